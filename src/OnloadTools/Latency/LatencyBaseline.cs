namespace OnloadTools.Latency;

/// <summary>
/// The one baseline rule of the module, used by Select-LatencyBaseline (and so by the nightly and fleet scripts)
/// and by Export-LatencyReport for a history of one label:
/// of the last <c>count</c> completed runs of a test (by StartTime) that have a mean latency, the run whose mean
/// latency is the median — the lower middle for an even count. The baseline is a real run, so its per-iteration
/// values go into the comparison, and one bad night (or one slow host) cannot move it.
/// </summary>
internal static class LatencyBaseline
{
    /// <summary>How many of the most recent completed runs the median is taken from by default.</summary>
    public const int DefaultCount = 7;

    /// <summary>The rule in words (the report and the help print it).</summary>
    public static string Describe(int count) =>
        $"the median run by mean latency of the last {count} completed run(s)";

    /// <summary>The runs a baseline may be chosen from: completed (not InProgress, not Partial) and with a mean latency.</summary>
    public static bool IsCandidate(LatencyRun run) =>
        string.Equals(run.Status, LatencyRunStatus.Completed, StringComparison.OrdinalIgnoreCase) && run.MeanLatency is not null;

    /// <summary>The baseline among runs of ONE test; null when none is a candidate.</summary>
    public static LatencyRun? Select(IEnumerable<LatencyRun> runs, int count = DefaultCount)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), "The baseline is taken from at least one run.");
        var lastN = runs.Where(IsCandidate)
            .OrderBy(r => r.StartTime)          // OrderBy is stable: equal times keep their input order
            .TakeLast(count)
            .ToList();
        if (lastN.Count == 0) return null;
        var byMean = lastN.OrderBy(r => r.MeanLatency!.Value).ToList();
        return byMean[(byMean.Count - 1) / 2];
    }

    /// <summary>The baseline of every test in <paramref name="runs"/> (grouped by TestName, case-insensitive), in order of first appearance.</summary>
    public static IReadOnlyList<LatencyRun> SelectPerTest(IEnumerable<LatencyRun> runs, int count = DefaultCount)
    {
        var list = runs.ToList();
        var result = new List<LatencyRun>();
        foreach (string test in list.Select(r => r.TestName).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var baseline = Select(list.Where(r => string.Equals(r.TestName, test, StringComparison.OrdinalIgnoreCase)), count);
            if (baseline is not null) result.Add(baseline);
        }
        return result;
    }
}
