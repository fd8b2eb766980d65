namespace OnloadTools.Latency;

/// <summary>
/// The rules of a run history read back (Import-LatencyRun): one copy per run (the most complete), finished runs only
/// unless asked, the N most recent of each label and test, oldest first. The cmdlet reads the files
/// (<see cref="LatencyRunStore.Load"/>), says which labels and tests it wants, and writes what this returns.
/// </summary>
internal static class LatencyHistory
{
    /// <summary>What to keep of the runs loaded.</summary>
    /// <param name="Matches">Which runs the caller asked for (label and test filters); null keeps all.</param>
    /// <param name="IncludeIncomplete">Also keep runs whose measurement never finished (Status InProgress).</param>
    /// <param name="Last">Only the N most recent runs (by StartTime) of each label and test; 0 keeps all.</param>
    public sealed record Selection(Func<LatencyRun, bool>? Matches = null, bool IncludeIncomplete = false, int Last = 0);

    /// <summary>
    /// The runs to return, oldest first (then by test name). Each thing left out that the user should hear about (a
    /// contradicting copy of a RunId, an unfinished run) is told to <paramref name="warn"/> as one sentence.
    /// </summary>
    public static IReadOnlyList<LatencyRun> Select(IEnumerable<LatencyRunStore.LoadedRun> loaded, Selection selection, Action<string> warn)
    {
        var chosen = loaded
            // One run saved several times (after every iteration, or to a folder and a .jsonl): keep its most complete copy.
            .GroupBy(l => l.Run.RunId)
            .Select(copies => KeepOneCopy(copies, warn))
            .Where(l => selection.Matches is null || selection.Matches(l.Run))
            .ToList();
        if (!selection.IncludeIncomplete)
        {
            foreach (var l in chosen.Where(l => !LatencyRunStatus.IsFinished(l.Run.Status)))
            {
                warn($"Left out run {l.Run.RunId} ({l.Run.Label} {l.Run.TestName}, {l.Run.StartTime:yyyy-MM-dd HH:mm:ss} UTC, {l.Run.Samples.Length} iteration(s)) at {Where(l)}: " +
                    $"its status is '{l.Run.Status}', its measurement never finished (killed, or still running). -IncludeIncomplete imports it.");
            }
            chosen.RemoveAll(l => !LatencyRunStatus.IsFinished(l.Run.Status));
        }
        IEnumerable<LatencyRun> runs = chosen.Select(l => l.Run);
        if (selection.Last > 0)
        {
            runs = runs.GroupBy(r => (r.Label.ToUpperInvariant(), r.TestName.ToUpperInvariant()))
                .SelectMany(g => g.OrderByDescending(r => r.StartTime).Take(selection.Last));
        }
        return runs.OrderBy(r => r.StartTime).ThenBy(r => r.TestName, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The copy of a run to keep among its copies (same RunId): the most complete, the final save before a per-iteration
    /// one, the latest. A copy that is not an earlier save of the kept one (another label, test or start, or samples that
    /// differ) is a different run under the same RunId: it is left out with a warning naming both places.
    /// </summary>
    public static LatencyRunStore.LoadedRun KeepOneCopy(IEnumerable<LatencyRunStore.LoadedRun> copies, Action<string> warn)
    {
        var ordered = copies.OrderByDescending(l => l.Run.Samples.Length)
            .ThenByDescending(l => LatencyRunStatus.IsFinished(l.Run.Status)) // the final save of a run beats its per-iteration saves
            .ThenByDescending(l => l.Run.EndTime)
            .ToList();
        var kept = ordered[0];
        foreach (var other in ordered.Skip(1).Where(o => !IsEarlierSaveOf(o.Run, kept.Run)))
        {
            warn($"Run {kept.Run.RunId} is at {Where(kept)} and at {Where(other)} with different content: kept the copy at {Where(kept)} " +
                $"({kept.Run.Label} {kept.Run.TestName}, {kept.Run.StartTime:yyyy-MM-dd HH:mm:ss} UTC, {kept.Run.Samples.Length} iteration(s)); " +
                $"left out the other ({other.Run.Label} {other.Run.TestName}, {other.Run.StartTime:yyyy-MM-dd HH:mm:ss} UTC, {other.Run.Samples.Length} iteration(s)).");
        }
        return kept;
    }

    /// <summary>True when <paramref name="copy"/> is <paramref name="run"/> as saved earlier (or again): the same test
    /// against the same place at the same start, its samples the first of the run's, value for value.</summary>
    public static bool IsEarlierSaveOf(LatencyRun copy, LatencyRun run)
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

    /// <summary>Where a loaded run came from, as a message names it: the file, and the line of a .jsonl.</summary>
    public static string Where(LatencyRunStore.LoadedRun l) => l.Line is { } line ? $"{l.Path}, line {line}" : l.Path;
}
