using System.Management.Automation;
using OnloadTools.Latency;

namespace OnloadTools.Commands;

/// <summary>
/// Import-LatencyRun: reads runs back from history folders, run files and .jsonl files as typed LatencyRun objects,
/// oldest first. A corrupt file is a non-terminating error naming it; everything else still loads. Histories come
/// from outside: only regular files are read (no FIFOs, devices, or links inside a folder), each up to a size limit,
/// and Ctrl+C stops the reading. A run holding an impossible value (NaN, infinity, a negative latency or count, more
/// iterations than requested …) is refused with one LatencyRunImpossibleValue error naming the file and the field. Runs
/// whose measurement never finished (Status InProgress) are left out with a warning, and so is a copy of a run that
/// contradicts another copy of the same RunId.
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

    /// <summary>Also returns runs still marked InProgress: measurements that never finished (the process was killed) or
    /// are being measured right now. Without it they are left out with a warning.</summary>
    [Parameter]
    public SwitchParameter IncludeIncomplete { get; set; }

    private readonly LatencyRunStore.LoadResult _loaded = new();

    protected override void Process()
    {
        foreach (string file in Resolve())
        {
            int problemsBefore = _loaded.Problems.Count;
            LatencyRunStore.Load(file, _loaded, Cancellation);   // Ctrl+C stops the pipeline (the funnel)
            foreach (var problem in _loaded.Problems.Skip(problemsBefore))
            {
                Report(this, problem);
            }
        }
    }

    /// <summary>What a reader of a history (Import-LatencyRun, Import-HostJitterRun) says about a file or line it could not read.</summary>
    internal static void Report(Cmdlet cmdlet, LatencyRunStore.LoadProblem problem)
    {
        string where = problem.Line is { } line ? $"{problem.Path}, line {line}" : problem.Path;
        switch (problem.Kind)
        {
            case LatencyRunStore.ProblemKind.TornTail:
                cmdlet.WriteWarning($"Skipped an incomplete run at {where}: a write was interrupted (crash or power loss); the runs before it are intact.");
                break;
            case LatencyRunStore.ProblemKind.Busy:
                cmdlet.WriteWarning($"Did not read {where}: {problem.Message}");
                break;
            case LatencyRunStore.ProblemKind.NotRegular:
                cmdlet.WriteError(Error(new IOException($"Skipped {where}: {problem.Message}"),
                    "LatencyRunFileNotRegular", ErrorCategory.InvalidType, problem.Path));
                break;
            case LatencyRunStore.ProblemKind.TooLarge:
                cmdlet.WriteError(Error(new IOException($"Skipped {where}: {problem.Message}"),
                    "LatencyRunFileTooLarge", ErrorCategory.LimitsExceeded, problem.Path));
                break;
            case LatencyRunStore.ProblemKind.Impossible:
                cmdlet.WriteError(Error(new InvalidDataException($"Refused the run at {where}: {problem.Message}"),
                    ErrorIds.LatencyRunImpossibleValue, ErrorCategory.InvalidData, problem.Path));
                break;
            case LatencyRunStore.ProblemKind.Unreadable:
                cmdlet.WriteError(Error(new IOException($"Cannot read {where}: {problem.Message}"),
                    "LatencyRunFileUnreadable", ErrorCategory.ReadError, problem.Path));
                break;
            default:
                cmdlet.WriteError(Error(new InvalidDataException($"Cannot read a run from {where}: {problem.Message}"),
                    "LatencyRunFileCorrupt", ErrorCategory.InvalidData, problem.Path));
                break;
        }
    }

    protected override void End()
    {
        var labels = Label?.Select(l => new WildcardPattern(l, WildcardOptions.IgnoreCase)).ToArray();
        var tests = TestName?.Select(t => new WildcardPattern(t, WildcardOptions.IgnoreCase)).ToArray();
        var selection = new LatencyHistory.Selection(
            r => (labels is null || labels.Any(p => p.IsMatch(r.Label))) && (tests is null || tests.Any(p => p.IsMatch(r.TestName))),
            IncludeIncomplete, Last);
        if (_loaded.JitterRuns.Count > 0)
        {
            WriteVerbose($"Left out {_loaded.JitterRuns.Count} jitter run(s) of Measure-HostJitter that share the history: Import-HostJitterRun reads them.");
        }
        foreach (var run in LatencyHistory.Select(_loaded.Runs, selection, WriteWarning))
        {
            WriteObject(run);
        }
    }

    private IEnumerable<string> Resolve() => Resolve(this, ParameterSetName == LiteralPathSet ? LiteralPath : Path, ParameterSetName == LiteralPathSet);

    /// <summary>The history paths of -Path (wildcards) or -LiteralPath, each one that is missing a LatencyRunPathNotFound error.</summary>
    internal static IEnumerable<string> Resolve(PSCmdlet cmdlet, string[] paths, bool literal)
    {
        if (literal)
        {
            foreach (string literalPath in paths)
            {
                string path = cmdlet.GetUnresolvedProviderPathFromPSPath(literalPath);
                if (File.Exists(path) || Directory.Exists(path)) yield return path;
                else cmdlet.WriteError(NotFound(path));
            }
            yield break;
        }
        foreach (string pattern in paths)
        {
            List<string> resolved;
            try
            {
                resolved = cmdlet.GetResolvedProviderPathFromPSPath(pattern, out _).ToList();
            }
            catch (ItemNotFoundException)
            {
                cmdlet.WriteError(NotFound(pattern));
                continue;
            }
            if (resolved.Count == 0) cmdlet.WriteError(NotFound(pattern));
            foreach (string path in resolved) yield return path;
        }
    }

    private static ErrorRecord NotFound(string path) =>
        Error(new ItemNotFoundException($"Cannot find the run history '{path}'."), "LatencyRunPathNotFound", ErrorCategory.ObjectNotFound, path);
}
