using System.Globalization;
using System.Text;

namespace OnloadTools.Latency;

/// <summary>One step of an experiment: which arm runs which tests, as its how-manieth iteration.</summary>
/// <param name="Position">0-based position in the interleaved order.</param>
/// <param name="Arm">0 for the reference arm (A), 1 for the difference arm (B).</param>
/// <param name="Iteration">The arm's iteration number, 1-based.</param>
/// <param name="Tests">The tests still undecided, run in this order.</param>
internal sealed record ExperimentStep(int Position, int Arm, int Iteration, IReadOnlyList<string> Tests)
{
    public char ArmLetter => LatencyExperiment.Letter(Arm);
}

/// <summary>
/// Invoke-LatencyComparison's experiment without any process: the interleaved order of the two arms (A B B A,
/// repeated, so a drift of the host falls on both arms alike), the per-iteration values of every test, and the
/// looks of the <see cref="SequentialDecision"/> rule after each pair, which drop a test from the order as soon
/// as its verdict is decided. The cmdlet asks <see cref="NextStep"/>, runs it, <see cref="Record"/>s the values
/// and calls <see cref="EndStep"/>.
/// </summary>
internal sealed class LatencyExperiment
{
    public const string Metric = "Mean";

    private readonly List<string> _pending;
    private readonly Dictionary<string, List<double>[]> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SequentialLook> _lastLook = new(StringComparer.OrdinalIgnoreCase);
    private readonly int[] _steps = new int[2];
    private readonly StringBuilder _order = new();

    public LatencyExperiment(IReadOnlyList<string> tests, SequentialDecision rule, ComparisonOptions options)
    {
        if (tests.Count == 0) throw new ArgumentException("At least one test is needed.", nameof(tests));
        Rule = rule;
        Options = options;
        _pending = tests.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        Tests = _pending.ToArray();
        foreach (string t in Tests) _values[t] = new[] { new List<double>(), new List<double>() };
    }

    public SequentialDecision Rule { get; }
    public ComparisonOptions Options { get; }
    public IReadOnlyList<string> Tests { get; }
    public IReadOnlyList<string> PendingTests => _pending;
    public bool IsFinished => _pending.Count == 0;
    /// <summary>Steps completed so far.</summary>
    public int Position { get; private set; }
    /// <summary>The arms in the order they ran, e.g. "ABBAAB".</summary>
    public string Order => _order.ToString();

    public static char Letter(int arm) => arm == 0 ? 'A' : 'B';

    /// <summary>The arm at a position of the order A B B A A B B A …</summary>
    public static int ArmAt(int position) => (position % 4) is 0 or 3 ? 0 : 1;

    /// <summary>The step to run next, or null when every test is decided.</summary>
    public ExperimentStep? NextStep()
    {
        if (IsFinished) return null;
        int arm = ArmAt(Position);
        return new ExperimentStep(Position, arm, _steps[arm] + 1, _pending.ToArray());
    }

    /// <summary>Records the value of <see cref="Metric"/> of one test's iteration of the current step; null when it failed.</summary>
    public void Record(string test, int arm, double? value)
    {
        if (!_values.TryGetValue(test, out var v)) throw new ArgumentException($"'{test}' is not a test of this experiment.", nameof(test));
        if (value is { } d && double.IsFinite(d)) v[arm].Add(d);
    }

    /// <summary>Records one test's iteration of the current step from its sample.</summary>
    public void Record(string test, int arm, LatencySample sample) => Record(test, arm, LatencyComparer.ValueOf(sample, Metric));

    /// <summary>
    /// Ends the current step. After each pair (both arms have run equally often) the rule looks at every pending test;
    /// returns those looks (empty between pairs). Tests whose look is final leave the order.
    /// </summary>
    public IReadOnlyList<SequentialLook> EndStep()
    {
        int arm = ArmAt(Position);
        _steps[arm]++;
        _order.Append(Letter(arm));
        Position++;
        if (_steps[0] != _steps[1]) return Array.Empty<SequentialLook>();
        if (_steps[0] < Rule.MinimumIterations) return Array.Empty<SequentialLook>();
        return Look(outOfTime: false);
    }

    /// <summary>Ends the experiment early (the time is spent): a last look at every pending test, Inconclusive unless decided.</summary>
    public IReadOnlyList<SequentialLook> Stop() => Look(outOfTime: true);

    /// <summary>The latest look at a test, or null before its first.</summary>
    public SequentialLook? LastLook(string test) => _lastLook.TryGetValue(test, out var l) ? l : null;

    /// <summary>The values recorded for a test: [reference, difference].</summary>
    public (double[] Reference, double[] Difference) Values(string test) => (_values[test][0].ToArray(), _values[test][1].ToArray());

    /// <summary>Steps left at most (every pending test running to the last look), for the time remaining.</summary>
    public int MaximumStepsLeft => IsFinished ? 0 : Math.Max(0, 2 * Rule.MaximumIterations - Position);

    /// <summary>Records the experiment's level on a run of it (before it is saved), see <see cref="LatencyRun.ExperimentConfidenceLevel"/>.</summary>
    public void Stamp(LatencyRun run) => run.ExperimentConfidenceLevel = Rule.AdjustedConfidenceLevel;

    /// <summary>
    /// Every metric's comparison of a finished test, at the rule's level, with the rule's note: what the experiment
    /// emits, reports and saves. One home for a finished test's comparisons, so that the progress, the emitted objects
    /// and the report show one interval.
    /// </summary>
    public IReadOnlyList<LatencyComparison> Comparisons(SequentialLook look, LatencyRun reference, LatencyRun difference, bool outOfTime)
    {
        // (The runs carry the level too, so that Compare-LatencyRun and Export-LatencyReport give the same interval later:
        // stamp them with Stamp before they are saved.)
        var options = new ComparisonOptions
        {
            EquivalenceMargin = Options.EquivalenceMargin,
            RegressionThreshold = Options.RegressionThreshold,
            ConfidenceLevel = Rule.AdjustedConfidenceLevel,
            MinimumIterations = Options.MinimumIterations,
        };
        string errorRate = string.Create(CultureInfo.InvariantCulture,
            $"{Rule.AdjustedConfidenceLevel * 100:0.##}% intervals keep false verdicts of this test at most {(1 - Rule.ConfidenceLevel) * 100:0.##}%");
        if (Tests.Count > 1)
        {
            errorRate += string.Create(CultureInfo.InvariantCulture, $" ({Tests.Count} tests: at most {Tests.Count * (1 - Rule.ConfidenceLevel) * 100:0.##}% for the experiment)");
        }
        string ruleNote = Rule.Looks == 1
            ? $"Fixed protocol: {Rule.MinimumIterations} iterations per arm, one look; {errorRate}; interleaved {Order}."
            : $"Adaptive: look {look.Look} of at most {Rule.Looks}; repeated {errorRate}; interleaved {Order}.";
        if (outOfTime && !look.Decided && SequentialDecision.HalfWidth(look.Comparison) is { } hw)
        {
            ruleNote += string.Create(CultureInfo.InvariantCulture, $" Stopped by -MaxDuration: precision reached ±{hw:0.0}% (the margin is ±{options.EquivalenceMargin:0.##}%).");
        }
        reference.ExperimentConfidenceLevel = difference.ExperimentConfidenceLevel = Rule.AdjustedConfidenceLevel;
        var comparisons = LatencyComparer.Compare(new[] { reference }, new[] { difference }, options);
        foreach (LatencyComparison c in comparisons) c.Notes = c.Notes is null ? ruleNote : ruleNote + " " + c.Notes;
        return comparisons;
    }

    private IReadOnlyList<SequentialLook> Look(bool outOfTime)
    {
        var looks = new List<SequentialLook>();
        foreach (string test in _pending.ToArray())
        {
            var (a, b) = Values(test);
            var look = Rule.Evaluate(test, Metric, a, b, Options, outOfTime);
            _lastLook[test] = look;
            looks.Add(look);
            if (look.Final) _pending.Remove(test);
        }
        return looks;
    }
}
