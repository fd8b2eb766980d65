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

    protected override void ProcessRecord()
    {
        foreach (string file in Resolve())
        {
            int problemsBefore = _loaded.Problems.Count;
            try
            {
                LatencyRunStore.Load(file, _loaded, Cancellation);
            }
            catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            foreach (var problem in _loaded.Problems.Skip(problemsBefore))
            {
                Report(problem);
            }
        }
    }

    private void Report(LatencyRunStore.LoadProblem problem)
    {
        string where = problem.Line is { } line ? $"{problem.Path}, line {line}" : problem.Path;
        switch (problem.Kind)
        {
            case LatencyRunStore.ProblemKind.TornTail:
                WriteWarning($"Skipped an incomplete run at {where}: a write was interrupted (crash or power loss); the runs before it are intact.");
                break;
            case LatencyRunStore.ProblemKind.Busy:
                WriteWarning($"Did not read {where}: {problem.Message}");
                break;
            case LatencyRunStore.ProblemKind.NotRegular:
                WriteError(Error(new IOException($"Skipped {where}: {problem.Message}"),
                    "LatencyRunFileNotRegular", ErrorCategory.InvalidType, problem.Path));
                break;
            case LatencyRunStore.ProblemKind.TooLarge:
                WriteError(Error(new IOException($"Skipped {where}: {problem.Message}"),
                    "LatencyRunFileTooLarge", ErrorCategory.LimitsExceeded, problem.Path));
                break;
            case LatencyRunStore.ProblemKind.Impossible:
                WriteError(Error(new InvalidDataException($"Refused the run at {where}: {problem.Message}"),
                    "LatencyRunImpossibleValue", ErrorCategory.InvalidData, problem.Path));
                break;
            case LatencyRunStore.ProblemKind.Unreadable:
                WriteError(Error(new IOException($"Cannot read {where}: {problem.Message}"),
                    "LatencyRunFileUnreadable", ErrorCategory.ReadError, problem.Path));
                break;
            default:
                WriteError(Error(new InvalidDataException($"Cannot read a run from {where}: {problem.Message}"),
                    "LatencyRunFileCorrupt", ErrorCategory.InvalidData, problem.Path));
                break;
        }
    }

    protected override void EndProcessing()
    {
        var labels = Label?.Select(l => new WildcardPattern(l, WildcardOptions.IgnoreCase)).ToArray();
        var tests = TestName?.Select(t => new WildcardPattern(t, WildcardOptions.IgnoreCase)).ToArray();
        var chosen = _loaded.Runs
            // One run saved several times (after every iteration, or to a folder and a .jsonl): keep its most complete copy.
            .GroupBy(l => l.Run.RunId)
            .Select(KeepOneCopy)
            .Where(l => labels is null || labels.Any(p => p.IsMatch(l.Run.Label)))
            .Where(l => tests is null || tests.Any(p => p.IsMatch(l.Run.TestName)))
            .ToList();
        if (!IncludeIncomplete)
        {
            foreach (var l in chosen.Where(l => !LatencyRunStatus.IsFinished(l.Run.Status)))
            {
                string where = l.Line is { } line ? $"{l.Path}, line {line}" : l.Path;
                WriteWarning($"Left out run {l.Run.RunId} ({l.Run.Label} {l.Run.TestName}, {l.Run.StartTime:yyyy-MM-dd HH:mm:ss} UTC, {l.Run.Samples.Length} iteration(s)) at {where}: " +
                    $"its status is '{l.Run.Status}', its measurement never finished (killed, or still running). -IncludeIncomplete imports it.");
            }
            chosen.RemoveAll(l => !LatencyRunStatus.IsFinished(l.Run.Status));
        }
        IEnumerable<LatencyRun> runs = chosen.Select(l => l.Run);
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

    /// <summary>
    /// The copy of a run to keep among its copies (same RunId): the most complete, the final save before a per-iteration
    /// one, the latest. A copy that is not an earlier save of the kept one (another label, test or start, or samples that
    /// differ) is a different run under the same RunId: it is left out with a warning naming both places.
    /// </summary>
    private LatencyRunStore.LoadedRun KeepOneCopy(IEnumerable<LatencyRunStore.LoadedRun> copies)
    {
        var ordered = copies.OrderByDescending(l => l.Run.Samples.Length)
            .ThenByDescending(l => LatencyRunStatus.IsFinished(l.Run.Status)) // the final save of a run beats its per-iteration saves
            .ThenByDescending(l => l.Run.EndTime)
            .ToList();
        var kept = ordered[0];
        foreach (var other in ordered.Skip(1).Where(o => !IsEarlierSaveOf(o.Run, kept.Run)))
        {
            WriteWarning($"Run {kept.Run.RunId} is at {Where(kept)} and at {Where(other)} with different content: kept the copy at {Where(kept)} " +
                $"({kept.Run.Label} {kept.Run.TestName}, {kept.Run.StartTime:yyyy-MM-dd HH:mm:ss} UTC, {kept.Run.Samples.Length} iteration(s)); " +
                $"left out the other ({other.Run.Label} {other.Run.TestName}, {other.Run.StartTime:yyyy-MM-dd HH:mm:ss} UTC, {other.Run.Samples.Length} iteration(s)).");
        }
        return kept;
    }

    /// <summary>True when <paramref name="copy"/> is <paramref name="run"/> as saved earlier (or again): the same test
    /// against the same place at the same start, its samples the first of the run's, value for value.</summary>
    private static bool IsEarlierSaveOf(LatencyRun copy, LatencyRun run)
    {
        if (copy.Label != run.Label || copy.TestName != run.TestName || copy.StartTime != run.StartTime || copy.Tool != run.Tool
            || copy.ComputerName != run.ComputerName || copy.Port != run.Port || copy.ClientLocation != run.ClientLocation
            || copy.HostName != run.HostName || copy.LatencyKind != run.LatencyKind || copy.Samples.Length > run.Samples.Length)
        {
            return false;
        }
        for (int i = 0; i < copy.Samples.Length; i++)
        {
            if (!ReferenceEquals(copy.Samples[i], run.Samples[i])
                && System.Text.Json.JsonSerializer.Serialize(copy.Samples[i], LatencyRunStore.JsonOptions)
                   != System.Text.Json.JsonSerializer.Serialize(run.Samples[i], LatencyRunStore.JsonOptions))
            {
                return false;
            }
        }
        return true;
    }

    private static string Where(LatencyRunStore.LoadedRun l) => l.Line is { } line ? $"{l.Path}, line {line}" : l.Path;

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
