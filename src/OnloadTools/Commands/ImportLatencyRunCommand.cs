using System.Management.Automation;
using OnloadTools.Latency;

namespace OnloadTools.Commands;

/// <summary>
/// Import-LatencyRun: reads runs back from history folders, run files and .jsonl files as typed LatencyRun objects,
/// oldest first. A corrupt file is a non-terminating error naming it; everything else still loads.
/// </summary>
[Cmdlet(VerbsData.Import, "LatencyRun", DefaultParameterSetName = PathSet)]
[OutputType(typeof(LatencyRun))]
public sealed class ImportLatencyRunCommand : OnloadCmdlet
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

    /// <summary>Only runs whose Label matches one of these (wildcards allowed).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(LatencyHistoryCompleter))]
    public string[]? Label { get; set; }

    /// <summary>Only runs of these tests (TCP_RR, UDP_RR …; wildcards allowed).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(LatencyHistoryCompleter))]
    public string[]? TestName { get; set; }

    /// <summary>Only the N most recent runs (by StartTime) of each label and test.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Last { get; set; }

    private readonly LatencyRunStore.LoadResult _loaded = new();

    protected override void ProcessRecord()
    {
        foreach (string file in Resolve())
        {
            int problemsBefore = _loaded.Problems.Count;
            LatencyRunStore.Load(file, _loaded);
            foreach (var problem in _loaded.Problems.Skip(problemsBefore))
            {
                string where = problem.Line is { } line ? $"{problem.Path}, line {line}" : problem.Path;
                if (problem.TornTail)
                {
                    WriteWarning($"Skipped an incomplete run at {where}: a write was interrupted (crash or power loss); the runs before it are intact.");
                }
                else
                {
                    WriteError(Error(new InvalidDataException($"Cannot read a run from {where}: {problem.Message}"),
                        "LatencyRunFileCorrupt", ErrorCategory.InvalidData, problem.Path));
                }
            }
        }
    }

    protected override void EndProcessing()
    {
        var labels = Label?.Select(l => new WildcardPattern(l, WildcardOptions.IgnoreCase)).ToArray();
        var tests = TestName?.Select(t => new WildcardPattern(t, WildcardOptions.IgnoreCase)).ToArray();
        IEnumerable<LatencyRun> runs = _loaded.Runs
            .Select(l => l.Run)
            // One run saved several times (after every iteration, or to a folder and a .jsonl): keep its most complete copy.
            .GroupBy(r => r.RunId)
            .Select(g => g.OrderByDescending(r => r.Samples.Length)
                .ThenByDescending(r => r.Status != "InProgress") // the final save of a run beats its per-iteration saves
                .ThenByDescending(r => r.EndTime).First())
            .Where(r => labels is null || labels.Any(p => p.IsMatch(r.Label)))
            .Where(r => tests is null || tests.Any(p => p.IsMatch(r.TestName)));
        if (Last > 0)
        {
            runs = runs.GroupBy(r => (r.Label.ToUpperInvariant(), r.TestName.ToUpperInvariant()))
                .SelectMany(g => g.OrderByDescending(r => r.StartTime).Take(Last));
        }
        foreach (var run in runs.OrderBy(r => r.StartTime).ThenBy(r => r.TestName, StringComparer.Ordinal))
        {
            WriteObject(run);
        }
    }

    private IEnumerable<string> Resolve()
    {
        if (ParameterSetName == LiteralPathSet)
        {
            foreach (string literal in LiteralPath)
            {
                string path = GetUnresolvedProviderPathFromPSPath(literal);
                if (File.Exists(path) || Directory.Exists(path)) yield return path;
                else WriteError(NotFound(path));
            }
            yield break;
        }
        foreach (string pattern in Path)
        {
            List<string> resolved;
            try
            {
                resolved = GetResolvedProviderPathFromPSPath(pattern, out _).ToList();
            }
            catch (ItemNotFoundException)
            {
                WriteError(NotFound(pattern));
                continue;
            }
            if (resolved.Count == 0) WriteError(NotFound(pattern));
            foreach (string path in resolved) yield return path;
        }
    }

    private ErrorRecord NotFound(string path) =>
        Error(new ItemNotFoundException($"Cannot find the run history '{path}'."), "LatencyRunPathNotFound", ErrorCategory.ObjectNotFound, path);
}
