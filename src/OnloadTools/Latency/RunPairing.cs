namespace OnloadTools.Latency;

/// <summary>The runs of one label (case-insensitive), in the order their label was first seen.</summary>
internal sealed record LabelGroup(string Label, IReadOnlyList<LatencyRun> Runs);

/// <summary>
/// How runs are put side by side before they are compared (Compare-LatencyRun, Export-LatencyReport): grouped by Label
/// (ignoring case), every other label against the reference label, and paired by TestName (TCP_RR with TCP_RR).
/// </summary>
internal static class RunPairing
{
    /// <summary>The labels of <paramref name="runs"/>, once each (ignoring case), in the order first seen.</summary>
    public static IReadOnlyList<string> Labels(IEnumerable<LatencyRun> runs) =>
        runs.Select(r => r.Label).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>Null when some run has <paramref name="referenceLabel"/>; else the sentence that says so and names the labels seen.</summary>
    public static string? ReferenceLabelMissing(IReadOnlyCollection<LatencyRun> runs, string referenceLabel)
    {
        if (runs.Any(r => HasLabel(r, referenceLabel))) return null;
        var labels = Labels(runs);
        return $"No input run has the label '{referenceLabel}'. Labels seen: {(labels.Count == 0 ? "(no runs)" : string.Join(", ", labels.Select(l => $"'{l}'")))}.";
    }

    /// <summary>
    /// The runs of <paramref name="referenceLabel"/>, and one group per other label, each to be compared with them.
    /// Empty groups when every run has the reference label (nothing to compare it with).
    /// </summary>
    public static (IReadOnlyList<LatencyRun> Reference, IReadOnlyList<LabelGroup> Others) ByLabel(IReadOnlyCollection<LatencyRun> runs, string referenceLabel)
    {
        var reference = runs.Where(r => HasLabel(r, referenceLabel)).ToList();
        var others = Labels(runs).Where(l => !string.Equals(l, referenceLabel, StringComparison.OrdinalIgnoreCase))
            .Select(l => new LabelGroup(l, runs.Where(r => HasLabel(r, l)).ToList()))
            .ToList();
        return (reference, others);
    }

    /// <summary>True when some test appears on both sides: runs are paired by TestName, ignoring case.</summary>
    public static bool HaveCommonTest(IEnumerable<LatencyRun> reference, IEnumerable<LatencyRun> difference) =>
        reference.Select(r => r.TestName).Intersect(difference.Select(r => r.TestName), StringComparer.OrdinalIgnoreCase).Any();

    /// <summary>Why nothing can be paired: the tests of each side, and the difference's label.</summary>
    public static string NoPairsMessage(IEnumerable<LatencyRun> reference, IReadOnlyCollection<LatencyRun> difference)
    {
        static string Tests(IEnumerable<LatencyRun> runs) =>
            string.Join(", ", runs.Select(r => r.TestName).Distinct(StringComparer.OrdinalIgnoreCase)) is { Length: > 0 } s ? s : "(none)";
        string label = DifferenceLabel(difference) ?? "";
        return $"No test appears on both sides, so nothing can be paired: the reference has {Tests(reference)}, the difference{(label.Length > 0 ? $" ('{label}')" : "")} has {Tests(difference)}. Runs are paired by TestName (TCP_RR with TCP_RR).";
    }

    /// <summary>The difference side's label(s), as an error names its target; null when they have none.</summary>
    public static string? DifferenceLabel(IEnumerable<LatencyRun> difference) =>
        string.Join(", ", difference.Select(r => r.Label).Distinct()) is { Length: > 0 } label ? label : null;

    private static bool HasLabel(LatencyRun run, string label) => string.Equals(run.Label, label, StringComparison.OrdinalIgnoreCase);
}
