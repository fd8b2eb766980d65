using System.Management.Automation;
using OnloadTools.Jitter;

namespace OnloadTools.Commands;

/// <summary>
/// Compare-HostJitterRun: night against night for Measure-HostJitter runs, per CPU. Each CPU of the difference runs
/// gets the threshold gate (Exceeded) and a regression decision on its maximum and its P99.99 tail (Regressed), by a
/// rule with one run per side (a single maximum cannot be tested) or by a rank test of the runs' maxima with three
/// or more per side; always beyond the tool's 1 µs resolution and a margin.
/// </summary>
[Cmdlet(VerbsData.Compare, "HostJitterRun")]
[OutputType(typeof(HostJitterComparison))]
public sealed class CompareHostJitterRunCommand : OnloadCmdlet
{
    /// <summary>The reference runs (last night, or several earlier nights): HostJitterRun objects or Measure-HostJitter's per-CPU results.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public object[] ReferenceRun { get; set; } = Array.Empty<object>();

    /// <summary>The runs compared with the reference (tonight), from the pipeline or as an array.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [AllowNull]
    public object[]? DifferenceRun { get; set; }

    /// <summary>µs each CPU's maximum must stay below; default: the threshold the difference runs were measured against.</summary>
    [Parameter]
    [ValidateRange(0.001, 1000000.0)]
    public double Threshold { get; set; }

    /// <summary>µs an increase must exceed, beyond the tool's 1 µs resolution, to be a regression (default 2).</summary>
    [Parameter]
    [ValidateRange(0.0, 1000000.0)]
    public double RegressionMargin { get; set; } = JitterComparer.DefaultMargin;

    /// <summary>% of the reference value an increase must exceed, beyond the resolution, to be a regression (default 10).
    /// The larger of the two allowances applies.</summary>
    [Parameter]
    [ValidateRange(0.0, 1000.0)]
    public double RegressionThreshold { get; set; } = JitterComparer.DefaultThresholdPercent;

    private readonly List<object?> _difference = new();

    protected override void Process()
    {
        if (DifferenceRun is null) return;
        foreach (object? item in DifferenceRun.SelectMany(LatencyRunBinder.Flatten))
        {
            if (item is null) continue;
            if (!HostJitterRunBinder.IsJitter(item))
            {
                // A stray object in the pipeline: an error for it, the others are still compared.
                WriteError(Error(new ArgumentException($"Input of type {(item is PSObject p && p.TypeNames.Count > 0 ? p.TypeNames[0] : item.GetType().FullName)} is not a jitter run. Pass the output of Measure-HostJitter or Import-HostJitterRun."),
                    ErrorIds.NotAHostJitterRun, ErrorCategory.InvalidArgument, item));
                continue;
            }
            _difference.Add(item);
        }
    }

    // Inside the error funnel: a run that cannot be bound, and runs of different tools, are the table's terminating errors.
    protected override void End()
    {
        ErrorTarget = ReferenceRun;
        var reference = HostJitterRunBinder.Bind(ReferenceRun.SelectMany(LatencyRunBinder.Flatten));
        ErrorTarget = null;
        var difference = HostJitterRunBinder.Bind(_difference);
        if (reference.Count == 0)
        {
            ThrowTerminatingError(Error(new ArgumentException("-ReferenceRun holds no jitter run."), ErrorIds.NoHostJitterRuns, ErrorCategory.InvalidArgument, null));
        }
        if (difference.Count == 0)
        {
            ThrowTerminatingError(Error(new ArgumentException("No difference run was given: pipe the output of Measure-HostJitter or Import-HostJitterRun, or give -DifferenceRun."),
                ErrorIds.NoHostJitterRuns, ErrorCategory.InvalidArgument, null));
        }
        var options = new JitterComparisonOptions
        {
            RegressionMargin = RegressionMargin,
            RegressionThreshold = RegressionThreshold,
            Threshold = MyInvocation.BoundParameters.ContainsKey(nameof(Threshold)) ? Threshold : null,
        };
        var comparisons = JitterComparer.Compare(reference, difference, options);
        if (comparisons.Count == 0)
        {
            WriteWarning("The difference runs hold no per-CPU result: nothing to compare.");
        }
        foreach (var c in comparisons)
        {
            if (c.Notes is { } notes) WriteVerbose($"CPU {c.Cpu}: {notes}.");
            WriteObject(c);
        }
    }
}
