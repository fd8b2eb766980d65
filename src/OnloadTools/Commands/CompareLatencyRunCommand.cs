using System.Management.Automation;
using OnloadTools.Latency;

namespace OnloadTools.Commands;

/// <summary>
/// Compare-LatencyRun: statistical comparison of reference and difference runs, test by test and metric by metric,
/// with a confidence interval of the relative difference, a p-value and a verdict.
/// </summary>
[Cmdlet(VerbsData.Compare, "LatencyRun", DefaultParameterSetName = RunsSet)]
[OutputType(typeof(LatencyComparison))]
public sealed class CompareLatencyRunCommand : OnloadCmdlet
{
    private const string RunsSet = "Runs";
    private const string PipelineSet = "Pipeline";

    /// <summary>The reference runs (bare metal, a baseline night …): live, deserialized or imported; arrays are flattened.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = RunsSet)]
    [ValidateNotNullOrEmpty]
    public object[] ReferenceRun { get; set; } = Array.Empty<object>();

    /// <summary>The runs compared against the reference (container, tonight …); also from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ParameterSetName = RunsSet)]
    [ValidateNotNullOrEmpty]
    public object[] DifferenceRun { get; set; } = Array.Empty<object>();

    /// <summary>Runs from the pipeline, grouped by Label.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = PipelineSet)]
    [AllowNull]
    public object[]? InputObject { get; set; }

    /// <summary>With pipeline input: the Label of the reference runs; every other label is compared against it.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PipelineSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RunLabelCompleter))]
    public string ReferenceLabel { get; set; } = "";

    [Parameter]
    [ValidateSet("Mean", "P50", "P99", "P999", "Min", "StdDev", "TransactionRate", IgnoreCase = true)]
    public string[]? Metric { get; set; }

    /// <summary>± % inside which the whole CI must lie for Equivalent (default 5).</summary>
    [Parameter]
    [ValidateRange(ComparisonOptions.MinEquivalenceMargin, ComparisonOptions.MaxEquivalenceMargin)]
    public double EquivalenceMargin { get; set; } = ComparisonOptions.DefaultEquivalenceMargin;

    /// <summary>% slowdown the whole CI must exceed for IsRegression (default 5).</summary>
    [Parameter]
    [ValidateRange(ComparisonOptions.MinRegressionThreshold, ComparisonOptions.MaxRegressionThreshold)]
    public double RegressionThreshold { get; set; } = ComparisonOptions.DefaultRegressionThreshold;

    /// <summary>Confidence level of the intervals (default 0.95).</summary>
    [Parameter]
    [ValidateRange(ComparisonOptions.MinConfidenceLevel, ComparisonOptions.MaxConfidenceLevel)]
    public double ConfidenceLevel { get; set; } = ComparisonOptions.DefaultConfidenceLevel;

    /// <summary>Significance level of each one-sided test of the equivalence TOST (default: half of 1 − ConfidenceLevel,
    /// 0.025, the 95 % interval); 0.05 is the conventional TOST, decided on the 90 % interval.</summary>
    [Parameter]
    [ValidateRange(ComparisonOptions.MinEquivalenceAlpha, ComparisonOptions.MaxEquivalenceAlpha)]
    public double EquivalenceAlpha { get; set; }

    private readonly List<LatencyRun> _pipelineRuns = new();
    private readonly List<LatencyRun> _differenceRuns = new();

    protected override void Process()
    {
        if (ParameterSetName == RunsSet)
        {
            // -DifferenceRun may come from the pipeline one run at a time: collect them all.
            // A stray object in the pipeline is a non-terminating error; a bad -DifferenceRun argument terminates.
            _differenceRuns.AddRange(BindAll(DifferenceRun, terminating: !MyInvocation.ExpectingInput));
            return;
        }
        _pipelineRuns.AddRange(BindRuns(InputObject));
    }

    protected override void End()
    {
        var options = new ComparisonOptions
        {
            EquivalenceMargin = EquivalenceMargin,
            RegressionThreshold = RegressionThreshold,
            ConfidenceLevel = ConfidenceLevel,
            EquivalenceAlpha = MyInvocation.BoundParameters.ContainsKey(nameof(EquivalenceAlpha)) ? EquivalenceAlpha : null,
            Metrics = Metric?.Select(LatencyComparer.Canonical).Distinct().ToArray(),
            AtExperimentLevel = !MyInvocation.BoundParameters.ContainsKey(nameof(ConfidenceLevel)),
        };
        if (options.MarginExceedsThreshold)
        {
            WriteWarning($"EquivalenceMargin ({EquivalenceMargin} %) is wider than RegressionThreshold ({RegressionThreshold} %): an interval inside " +
                         $"±{EquivalenceMargin} % can lie entirely beyond +{RegressionThreshold} %. Such a slowdown is reported as Slower with IsRegression, " +
                         "not Equivalent. Use an EquivalenceMargin no wider than the RegressionThreshold.");
        }

        if (ParameterSetName == RunsSet)
        {
            var reference = BindAll(ReferenceRun);
            var difference = _differenceRuns;
            if (!Emit(reference, difference, options))
            {
                ThrowTerminatingError(NoPairs(reference, difference));
            }
            return;
        }

        if (RunPairing.ReferenceLabelMissing(_pipelineRuns, ReferenceLabel) is { } missing)
        {
            ThrowTerminatingError(Error(new ItemNotFoundException(missing), ErrorIds.ReferenceLabelNotFound, ErrorCategory.ObjectNotFound, ReferenceLabel));
        }
        var (refRuns, others) = RunPairing.ByLabel(_pipelineRuns, ReferenceLabel);
        if (others.Count == 0)
        {
            ThrowTerminatingError(Error(new ItemNotFoundException(
                    $"Every input run has the reference label '{ReferenceLabel}': there is nothing to compare it with. Pipe runs of another label too."),
                "NoDifferenceRuns", ErrorCategory.ObjectNotFound, ReferenceLabel));
        }
        foreach (var group in others)
        {
            if (!Emit(refRuns, group.Runs, options)) WriteError(NoPairs(refRuns, group.Runs));
        }
    }

    /// <summary>Compares and writes; false when no test appears on both sides.</summary>
    private bool Emit(IReadOnlyList<LatencyRun> reference, IReadOnlyList<LatencyRun> difference, ComparisonOptions options)
    {
        foreach (var run in reference.Concat(difference).Where(r => r.Samples.Length == 0))
        {
            WriteWarning($"Run {run.RunId} ({run.Label} {run.TestName}) has no completed iterations; it adds nothing to the comparison.");
        }
        var mixed = LatencyComparer.TestsWithMixedLatencyKinds(reference, difference);
        foreach (string test in mixed)
        {
            WriteError(new ErrorRecord(
                new InvalidOperationException($"{test}: the runs mix one-way and round-trip latencies (LatencyKind), which are not comparable; it is not compared. Measure sockperf with -RoundTrip to compare it with netperf."),
                "LatencyKindMismatch", ErrorCategory.InvalidData, test));
        }
        foreach (var m in LatencyComparer.TestsWithMixedSizes(reference, difference))
        {
            static string Show(string[] sizes) => sizes.Length == 0 ? "unknown" : string.Join(", ", sizes);
            WriteWarning($"{m.TestName}: the runs use different request/response sizes (reference {Show(m.ReferenceSizes)} bytes, " +
                         $"difference {Show(m.DifferenceSizes)} bytes); latencies of different message sizes are compared as if they were the same test.");
        }
        // An unexpected failure of the statistics is a defect: the funnel shows it as itself, with its stack under -Debug.
        var results = LatencyComparer.Compare(reference, difference, options);
        var unusable = LatencyComparer.FindUnusableValues(reference, difference, options);
        foreach (var group in unusable.GroupBy(u => (u.TestName, u.Metric, u.Side, u.RunId)))
        {
            var first = group.First();
            string which = string.Join(", ", group.Select(u => $"{u.Iteration} ({u.Reason})"));
            WriteWarning($"{first.TestName} {first.Metric}: the {first.Side.ToLowerInvariant()} run {first.RunId}{(first.Label.Length > 0 ? $" ({first.Label})" : "")} " +
                         $"has no usable value in iteration{(group.Count() > 1 ? "s" : "")} {which}; {first.Used} of its {first.Iterations} iterations are compared.");
        }
        if (results.Count == 0)
        {
            if (mixed.Count > 0) return true; // already reported
            bool paired = RunPairing.HaveCommonTest(reference, difference);
            if (paired)
            {
                WriteWarning("The paired runs have no metric with values on both sides (no completed iterations, or only metrics the tool did not report).");
            }
            return paired;
        }
        if (options.Metrics is { } asked)
        {
            foreach (var test in results.Select(r => r.TestName).Distinct())
            {
                foreach (var missing in asked.Where(m => !results.Any(r => r.TestName == test && r.Metric == m)))
                {
                    WriteWarning($"{test}: the runs do not report {missing} on both sides, so it is not compared.");
                }
            }
        }
        var warned = new HashSet<string>();
        foreach (var c in results)
        {
            string? note = c.Notes;
            if (c.HostDifferences is { } host)
            {
                // Said once per test and pair of sides, not again with every metric's other notes.
                string hostNote = LatencyComparer.HostNote(host);
                if (warned.Add(c.TestName + "\u0000" + hostNote)) WriteWarning($"{c.TestName} {c.DifferenceLabel} vs {c.ReferenceLabel}: {hostNote}");
                note = note?.Replace(hostNote, "").Trim() is { Length: > 0 } rest ? rest : null;
            }
            if (note is not null && warned.Add(c.TestName + "\u0000" + note))
            {
                WriteWarning($"{c.TestName} {c.DifferenceLabel} vs {c.ReferenceLabel}: {note}");
            }
            WriteObject(c);
        }
        return true;
    }

    private static ErrorRecord NoPairs(IReadOnlyList<LatencyRun> reference, IReadOnlyList<LatencyRun> difference) =>
        Error(new ItemNotFoundException(RunPairing.NoPairsMessage(reference, difference)), "NoPairedRuns", ErrorCategory.ObjectNotFound, RunPairing.DifferenceLabel(difference));

    private List<LatencyRun> BindAll(object[] input, bool terminating = true) => BindRuns(input, terminating).ToList();
}
