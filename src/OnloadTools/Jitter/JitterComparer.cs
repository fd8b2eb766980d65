using System.Globalization;
using OnloadTools.Host;
using OnloadTools.Latency;

namespace OnloadTools.Jitter;

/// <summary>The values no jitter measurement can produce (a run from a file or a pipeline is checked against them).</summary>
internal static class HostJitterRunRules
{
    /// <summary>The first impossible value of a run, in words ("Results[0].MaximumMicroseconds is NaN: …"), or null.</summary>
    public static string? FindImpossibleValue(HostJitterRun run)
    {
        if (run.Results is null) return "Results is null: a run holds a (possibly empty) list of results";
        if (!Usable(run.MaximumMicroseconds)) return $"MaximumMicroseconds is {Shown(run.MaximumMicroseconds)}: a latency is a finite number of µs, never negative";
        if (!Usable(run.ThresholdMicroseconds)) return $"ThresholdMicroseconds is {Shown(run.ThresholdMicroseconds)}: a threshold is a finite number of µs, never negative";
        if (!Usable(run.DurationSeconds)) return $"DurationSeconds is {Shown(run.DurationSeconds)}: a duration is finite, never negative";
        for (int i = 0; i < run.Results.Length; i++)
        {
            var r = run.Results[i];
            if (r is null) return $"Results[{i}] is null";
            foreach (var (name, value) in new (string, double?)[]
            {
                (nameof(r.MinimumMicroseconds), r.MinimumMicroseconds), (nameof(r.AverageMicroseconds), r.AverageMicroseconds),
                (nameof(r.MaximumMicroseconds), r.MaximumMicroseconds), (nameof(r.P99Microseconds), r.P99Microseconds),
                (nameof(r.P999Microseconds), r.P999Microseconds), (nameof(r.P9999Microseconds), r.P9999Microseconds),
                (nameof(r.ThresholdMicroseconds), r.ThresholdMicroseconds), (nameof(r.DurationSeconds), r.DurationSeconds),
            })
            {
                if (value is { } v && !Usable(v)) return $"Results[{i}].{name} is {Shown(v)}: a latency or duration is finite, never negative";
            }
            if (r.Cpu < -1) return $"Results[{i}].Cpu is {r.Cpu}: a CPU number is -1 (none) or more";
            if (r.Samples is < 0 || r.Overflows < 0) return $"Results[{i}] has a negative count";
        }
        return null;
    }

    private static bool Usable(double v) => double.IsFinite(v) && v >= 0 && v <= 1e12;

    private static string Shown(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>How Compare-HostJitterRun decides (the cmdlet's parameters).</summary>
internal sealed class JitterComparisonOptions
{
    /// <summary>µs an increase must exceed, beyond the resolution, to be a regression (default 2).</summary>
    public double RegressionMargin { get; init; } = JitterComparer.DefaultMargin;
    /// <summary>% of the reference value an increase must exceed, beyond the resolution, to be a regression (default 10).</summary>
    public double RegressionThreshold { get; init; } = JitterComparer.DefaultThresholdPercent;
    /// <summary>The threshold gate, µs; null: the difference runs' own threshold.</summary>
    public double? Threshold { get; init; }
    /// <summary>The level of the test of the runs' maxima (one-sided), when each side has enough runs.</summary>
    public double ConfidenceLevel { get; init; } = 0.95;
}

/// <summary>Runs of different tools, which measure different things: they are not compared.</summary>
internal sealed class JitterToolMismatchException(string message) : Exception(message);

/// <summary>
/// Night against night for jitter runs, per CPU: the threshold gate on the difference side, and whether the maximum or
/// the tail (P99.99 from the tool's histogram) grew.
/// </summary>
/// <remarks>
/// A run has ONE maximum per CPU: an extreme of millions of samples, whose spread from run to run is unknown from a
/// single run. So with one run on a side nothing can be tested: the decision is a rule, stated as such — a regression
/// is an increase larger than the tool's resolution (oslat and cyclictest report whole microseconds: 1 µs) plus an
/// allowance (the larger of a margin in µs and a percentage of the reference). With at least
/// <see cref="MinimumRunsForTest"/> runs on each side the runs' maxima are a sample per side, and the increase must
/// also be significant by the exact one-sided Mann-Whitney test (ties included) at the comparison's level — the same
/// rank test, resolution and margins the latency comparison uses, applied to the figures a jitter run has.
/// </remarks>
internal static class JitterComparer
{
    public const string TailName = "P99.99";
    public const double DefaultMargin = 2;
    public const double DefaultThresholdPercent = 10;
    /// <summary>Runs per side needed before the runs' maxima are tested (3 against 3: the smallest one-sided exact p is 0.05).</summary>
    public const int MinimumRunsForTest = 3;

    /// <summary>The resolution of a tool's figures, µs: oslat, cyclictest and hwlatdetect all report whole microseconds.</summary>
    public static double Resolution(string tool) => 1;

    public static IReadOnlyList<HostJitterComparison> Compare(IReadOnlyList<HostJitterRun> reference, IReadOnlyList<HostJitterRun> difference, JitterComparisonOptions options)
    {
        if (reference.Count == 0 || difference.Count == 0) throw new ArgumentException("Each side needs at least one jitter run.");
        var tools = reference.Concat(difference).Select(r => r.Tool).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (tools.Count > 1)
        {
            throw new JitterToolMismatchException(
                $"The runs were measured with different tools ({string.Join(", ", tools)}): oslat's busy loop and cyclictest's timer wake-ups measure different things, so their figures are not compared. Compare runs of one tool.");
        }
        string tool = tools[0];
        double resolution = Resolution(tool);
        string? hostDifferences = HostFactsDifference.Describe(reference.Select(Facts), difference.Select(Facts));
        var notes = new List<string>();
        double refDuration = Median(reference.Select(r => r.DurationSeconds).ToList());
        double diffDuration = Median(difference.Select(r => r.DurationSeconds).ToList());
        if (refDuration > 0 && diffDuration > 0 && Math.Max(refDuration, diffDuration) / Math.Min(refDuration, diffDuration) >= 1.5)
        {
            notes.Add($"the sides measured for different durations ({Num(refDuration)} s against {Num(diffDuration)} s): a longer run meets rarer interruptions, so its maximum tends to be larger");
        }
        var refHosts = reference.Select(r => r.HostName).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var diffHosts = difference.Select(r => r.HostName).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (!refHosts.SequenceEqual(diffHosts, StringComparer.OrdinalIgnoreCase))
        {
            notes.Add($"different hosts ({string.Join(", ", refHosts)} against {string.Join(", ", diffHosts)})");
        }

        var cpus = difference.SelectMany(r => r.Results).Select(r => r.Cpu).Distinct().Order().ToList();
        var result = new List<HostJitterComparison>();
        foreach (int cpu in cpus)
        {
            var refResults = reference.SelectMany(r => r.Results.Where(x => x.Cpu == cpu)).ToList();
            var diffResults = difference.SelectMany(r => r.Results.Where(x => x.Cpu == cpu)).ToList();
            double threshold = options.Threshold ?? diffResults.Min(r => r.ThresholdMicroseconds);
            var c = new HostJitterComparison
            {
                Cpu = cpu, Tool = tool, HostName = string.Join(", ", diffHosts),
                ReferenceRuns = refResults.Count, DifferenceRuns = diffResults.Count,
                DifferenceMaximumMicroseconds = Median(diffResults.Select(r => r.MaximumMicroseconds).ToList()),
                DifferenceTailMicroseconds = MedianOrNull(diffResults.Select(r => r.P9999Microseconds)),
                ThresholdMicroseconds = threshold, ResolutionMicroseconds = resolution, ConfidenceLevel = options.ConfidenceLevel,
                IsExceeded = diffResults.Any(r => r.MaximumMicroseconds >= threshold),
                HostDifferences = hostDifferences,
                ReferenceRunIds = string.Join(",", refResults.Select(r => r.RunId).Distinct()),
                DifferenceRunIds = string.Join(",", diffResults.Select(r => r.RunId).Distinct()),
            };
            var cpuNotes = new List<string>(notes);
            if (refResults.Count == 0)
            {
                c.Basis = $"CPU {cpu} is not in the reference runs: only the threshold gate decides.";
            }
            else
            {
                c.ReferenceMaximumMicroseconds = Median(refResults.Select(r => r.MaximumMicroseconds).ToList());
                c.ReferenceTailMicroseconds = MedianOrNull(refResults.Select(r => r.P9999Microseconds));
                c.AllowanceMicroseconds = Math.Max(options.RegressionMargin, options.RegressionThreshold * c.ReferenceMaximumMicroseconds.Value / 100);
                var max = Decide(refResults.Select(r => r.MaximumMicroseconds).ToList(), diffResults.Select(r => r.MaximumMicroseconds).ToList(),
                    resolution, options, out double? p);
                c.MaximumChangeMicroseconds = max.Change;
                c.PValue = p;
                var regressed = new List<string>();
                if (max.Regressed) regressed.Add("Maximum");
                var refTails = refResults.Where(r => r.P9999Microseconds is not null).Select(r => r.P9999Microseconds!.Value).ToList();
                var diffTails = diffResults.Where(r => r.P9999Microseconds is not null).Select(r => r.P9999Microseconds!.Value).ToList();
                if (refTails.Count > 0 && diffTails.Count > 0)
                {
                    var tail = Decide(refTails, diffTails, resolution, options, out _);
                    c.TailChangeMicroseconds = tail.Change;
                    if (tail.Regressed) regressed.Add(TailName);
                }
                else if (refResults.Concat(diffResults).Any(r => r.HistogramLimitMicroseconds > 0 && r.P9999Microseconds is null))
                {
                    cpuNotes.Add($"{TailName} lies beyond the histogram on a side (it is at least the histogram's limit): the tail is not compared");
                }
                c.RegressedMetrics = string.Join(", ", regressed);
                c.IsRegression = regressed.Count > 0;
                string allowance = $"the resolution ({Num(resolution)} µs) plus {Num(c.AllowanceMicroseconds)} µs (the larger of {Num(options.RegressionMargin)} µs and {Num(options.RegressionThreshold)} % of the reference maximum)";
                c.Basis = refResults.Count >= MinimumRunsForTest && diffResults.Count >= MinimumRunsForTest
                    ? $"Test: medians of {refResults.Count} and {diffResults.Count} runs' maxima; a regression is an increase beyond {allowance} that the one-sided exact Mann-Whitney test of the maxima finds significant at {Num(100 * options.ConfidenceLevel)} %."
                    : $"Rule, not a test: one maximum per CPU per run says nothing of its spread from run to run, so a regression is an increase beyond {allowance}; an increase within it cannot be told from chance. With {MinimumRunsForTest} or more runs on each side the maxima are tested.";
            }
            if (cpuNotes.Count > 0) c.Notes = string.Join("; ", cpuNotes);
            c.Verdict = c.IsExceeded ? HostJitterComparisonVerdict.Exceeded : c.IsRegression ? HostJitterComparisonVerdict.Regressed : HostJitterComparisonVerdict.Passed;
            result.Add(c);
        }
        return result;
    }

    /// <summary>The change of the medians, and whether it is a regression: beyond the resolution plus the allowance, and
    /// (with enough runs on each side) significant by the one-sided exact Mann-Whitney test.</summary>
    internal static (double Change, bool Regressed) Decide(IReadOnlyList<double> reference, IReadOnlyList<double> difference,
        double resolution, JitterComparisonOptions options, out double? pValue)
    {
        double refMedian = Median(reference), diffMedian = Median(difference);
        double change = diffMedian - refMedian;
        double allowance = Math.Max(options.RegressionMargin, options.RegressionThreshold * refMedian / 100);
        bool beyond = change > resolution + allowance;
        pValue = null;
        if (reference.Count >= MinimumRunsForTest && difference.Count >= MinimumRunsForTest)
        {
            var mw = MannWhitneyTest.Run(reference, difference, options.ConfidenceLevel);
            // The two-sided p halved in the direction of the difference side's U (p = 2·min of the two tails).
            double oneSided = mw.U > reference.Count * (double)difference.Count / 2 ? mw.PValue / 2 : 1 - mw.PValue / 2;
            pValue = Math.Min(1, oneSided);
            return (change, beyond && pValue <= 1 - options.ConfidenceLevel);
        }
        return (change, beyond);
    }

    /// <summary>The host facts a jitter run carries, as the latency runs' facts (so one owner says what differs).</summary>
    internal static HostFacts Facts(HostJitterRun run) => new()
    {
        KernelRelease = run.KernelRelease, KernelCommandLine = run.KernelCommandLine, TunedProfile = run.TunedProfile,
        IsolatedCpus = run.IsolatedCpus, Clocksource = run.ClockSource,
    };

    internal static double Median(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : MannWhitneyTest.Median(values);

    private static double? MedianOrNull(IEnumerable<double?> values)
    {
        var known = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        return known.Count == 0 ? null : Median(known);
    }

    private static string Num(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
