using System.Management.Automation;
using OnloadTools.Latency;

namespace OnloadTools.Commands;

/// <summary>
/// Select-LatencyBaseline: the baseline run of each test among the runs piped in, by the module's one rule
/// (<see cref="LatencyBaseline"/>): of the last -Count completed runs of the test, the median by mean latency.
/// </summary>
[Cmdlet(VerbsCommon.Select, "LatencyBaseline")]
[OutputType(typeof(LatencyRun))]
public sealed class SelectLatencyBaselineCommand : OnloadCmdlet
{
    /// <summary>Runs (live, deserialized, imported): a history of one label, or tonight's runs of a fleet.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, Position = 0)]
    [AllowNull]
    [AllowEmptyCollection]
    public object[]? InputObject { get; set; }

    /// <summary>The median is taken over the last N completed runs of each test (by StartTime; default 7).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; } = LatencyBaseline.DefaultCount;

    private readonly List<LatencyRun> _runs = new();

    protected override void Process()
    {
        _runs.AddRange(BindRuns(InputObject));
    }

    protected override void End()
    {
        var baselines = LatencyBaseline.SelectPerTest(_runs, Count);
        foreach (string test in _runs.Select(r => r.TestName).Distinct(StringComparer.OrdinalIgnoreCase)
                     .Where(t => !baselines.Any(b => string.Equals(b.TestName, t, StringComparison.OrdinalIgnoreCase))))
        {
            WriteVerbose($"{test}: no completed run with a mean latency, so no baseline.");
        }
        foreach (var run in baselines)
        {
            WriteVerbose($"{run.TestName}: baseline is run {run.RunId} of {run.StartTime:u} ({LatencyBaseline.Describe(Count)}).");
            WriteObject(run);
        }
    }
}
