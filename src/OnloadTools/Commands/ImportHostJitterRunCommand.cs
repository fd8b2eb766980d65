using System.Management.Automation;
using OnloadTools.Latency;

namespace OnloadTools.Commands;

/// <summary>
/// Import-HostJitterRun: reads the jitter runs of Measure-HostJitter -HistoryPath back from the same histories the
/// latency runs live in (folders, run files, .jsonl files), as typed HostJitterRun objects, oldest first. The files are
/// read exactly as Import-LatencyRun reads them (regular files only, size limits, torn last lines, corrupt files as
/// non-terminating errors); the latency runs in them are left out.
/// </summary>
[Cmdlet(VerbsData.Import, "HostJitterRun", DefaultParameterSetName = PathSet)]
[OutputType(typeof(HostJitterRun))]
public sealed class ImportHostJitterRunCommand : OnloadCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>Folders, run files or .jsonl files; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>Only runs measured on these hosts (wildcards allowed).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? HostName { get; set; }

    /// <summary>Only runs of these tools: Oslat, Cyclictest, Hwlatdetect.</summary>
    [Parameter]
    [ValidateSet("Oslat", "Cyclictest", "Hwlatdetect")]
    public string[]? Tool { get; set; }

    /// <summary>Only the N most recent runs (by StartTime) of each host and tool.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Last { get; set; }

    private readonly LatencyRunStore.LoadResult _loaded = new();

    // Inside the error funnel (Ctrl+C stops the reading); what cannot be read is reported as Import-LatencyRun reports it.
    protected override void Process()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (string file in ImportLatencyRunCommand.Resolve(this, literal ? LiteralPath : Path, literal))
        {
            int problemsBefore = _loaded.Problems.Count;
            LatencyRunStore.Load(file, _loaded, Cancellation);
            foreach (var problem in _loaded.Problems.Skip(problemsBefore))
            {
                ImportLatencyRunCommand.Report(this, problem);
            }
        }
    }

    protected override void End()
    {
        if (_loaded.Runs.Count > 0)
        {
            WriteVerbose($"Left out {_loaded.Runs.Count} latency run(s) that share the history: Import-LatencyRun reads them.");
        }
        var hosts = HostName?.Select(h => new WildcardPattern(h, WildcardOptions.IgnoreCase)).ToArray();
        var chosen = new List<HostJitterRun>();
        // One run saved twice (to a folder and a .jsonl) is one run: the first copy is kept, and a copy that differs is named.
        foreach (var copies in _loaded.JitterRuns.GroupBy(l => l.Run.RunId, StringComparer.Ordinal))
        {
            var kept = copies.First();
            string keptJson = kept.Run.ToJson();
            foreach (var other in copies.Skip(1).Where(o => o.Run.ToJson() != keptJson))
            {
                WriteWarning($"Jitter run {kept.Run.RunId} is at {Where(kept)} and at {Where(other)} with different content: kept the copy at {Where(kept)}.");
            }
            chosen.Add(kept.Run);
        }
        IEnumerable<HostJitterRun> runs = chosen
            .Where(r => hosts is null || hosts.Any(p => p.IsMatch(r.HostName)))
            .Where(r => Tool is null || Tool.Any(t => string.Equals(t, r.Tool, StringComparison.OrdinalIgnoreCase)));
        if (Last > 0)
        {
            runs = runs.GroupBy(r => (r.HostName.ToUpperInvariant(), r.Tool.ToUpperInvariant()))
                .SelectMany(g => g.OrderByDescending(r => r.StartTime).Take(Last));
        }
        foreach (var run in runs.OrderBy(r => r.StartTime).ThenBy(r => r.RunId, StringComparer.Ordinal))
        {
            WriteObject(run);
        }
    }

    private static string Where(LatencyRunStore.LoadedJitterRun l) => l.Line is { } line ? $"{l.Path}, line {line}" : l.Path;
}
