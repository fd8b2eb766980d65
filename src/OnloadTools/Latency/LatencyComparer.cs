using System.Runtime.CompilerServices;
using System.Globalization;

namespace OnloadTools.Latency;

/// <summary>How Compare-LatencyRun decides.</summary>
internal sealed class ComparisonOptions
{
    /// <summary>± % inside which the whole CI must lie for the verdict Equivalent (default 5).</summary>
    public double EquivalenceMargin { get; set; } = 5;
    /// <summary>% slowdown the whole CI must exceed for IsRegression (default 5).</summary>
    public double RegressionThreshold { get; set; } = 5;
    /// <summary>Confidence level of the intervals; the significance level of the tests is 1 − this (default 0.95).</summary>
    public double ConfidenceLevel { get; set; } = 0.95;
    /// <summary>Fewer iterations than this on either side make the verdict Inconclusive (default 3).</summary>
    public int MinimumIterations { get; set; } = 3;
    /// <summary>The metrics to compare (default: all of <see cref="LatencyComparer.AllMetrics"/>).</summary>
    public IReadOnlyList<string>? Metrics { get; set; }
}

/// <summary>
/// Compares the per-iteration values of reference and difference runs, test by test (TCP_RR with TCP_RR) and
/// metric by metric. Means (Mean, StdDev, TransactionRate): Welch's t-test and Fieller's CI of the ratio of
/// means. Order statistics (P50, P99, Min): exact Mann-Whitney U and the Hodges-Lehmann CI of the ratio.
/// Several runs of one test on one side are pooled (their iterations together).
/// </summary>
internal static class LatencyComparer
{
    public static readonly IReadOnlyList<string> AllMetrics = new[] { "Mean", "P50", "P99", "Min", "StdDev", "TransactionRate" };

    /// <summary>The per-iteration value of a metric, or null when the tool did not report it.</summary>
    public static double? ValueOf(LatencySample s, string metric) => metric switch
    {
        "Mean" => s.MeanLatency ?? s.RoundTripLatency,
        "P50" => s.P50Latency,
        "P99" => s.P99Latency,
        "Min" => s.MinLatency,
        "StdDev" => s.StdDevLatency,
        "TransactionRate" => s.TransactionRate,
        _ => throw new ArgumentException($"Unknown metric '{metric}'. Known: {string.Join(", ", AllMetrics)}.", nameof(metric)),
    };

    public static bool UsesRanks(string metric) => metric is "P50" or "P99" or "Min";

    public static IReadOnlyList<LatencyComparison> Compare(IReadOnlyList<LatencyRun> reference, IReadOnlyList<LatencyRun> difference, ComparisonOptions? options = null)
    {
        options ??= new ComparisonOptions();
        if (options.ConfidenceLevel is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), "ConfidenceLevel must be between 0 and 1.");
        var metrics = (options.Metrics ?? AllMetrics).Select(Canonical).Distinct().ToArray();
        var results = new List<LatencyComparison>();
        foreach (string test in reference.Select(r => r.TestName).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var refRuns = reference.Where(r => string.Equals(r.TestName, test, StringComparison.OrdinalIgnoreCase)).ToArray();
            var diffRuns = difference.Where(r => string.Equals(r.TestName, test, StringComparison.OrdinalIgnoreCase)).ToArray();
            if (diffRuns.Length == 0) continue;
            if (HasMixedKinds(refRuns, diffRuns)) continue; // one-way and round-trip latencies are not comparable
            foreach (string metric in metrics)
            {
                var refValues = Values(refRuns, metric);
                var diffValues = Values(diffRuns, metric);
                if (refValues.Length == 0 || diffValues.Length == 0) continue;   // the tool did not report this metric
                results.Add(CompareValues(refRuns[0].TestName, metric, refValues, diffValues, options, refRuns, diffRuns));
            }
        }
        return results;
    }

    /// <summary>Tests whose runs mix one-way and round-trip latencies (sockperf's default against netperf): not compared.</summary>
    public static IReadOnlyList<string> TestsWithMixedLatencyKinds(IReadOnlyList<LatencyRun> reference, IReadOnlyList<LatencyRun> difference) =>
        reference.Select(r => r.TestName).Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(test => HasMixedKinds(
                reference.Where(r => string.Equals(r.TestName, test, StringComparison.OrdinalIgnoreCase)).ToArray(),
                difference.Where(r => string.Equals(r.TestName, test, StringComparison.OrdinalIgnoreCase)).ToArray()))
            .ToArray();

    private static bool HasMixedKinds(LatencyRun[] refRuns, LatencyRun[] diffRuns) =>
        diffRuns.Length > 0 && refRuns.Concat(diffRuns).Select(r => r.LatencyKind ?? "RoundTrip").Distinct(StringComparer.OrdinalIgnoreCase).Count() > 1;

    /// <summary>Compares two sets of per-iteration values of one metric.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static LatencyComparison CompareValues(string testName, string metric, double[] refValues, double[] diffValues,
        ComparisonOptions options, IReadOnlyList<LatencyRun>? refRuns = null, IReadOnlyList<LatencyRun>? diffRuns = null)
    {
        metric = Canonical(metric);
        bool lowerIsBetter = metric != "TransactionRate";
        var c = new LatencyComparison
        {
            TestName = testName,
            Metric = metric,
            Unit = lowerIsBetter ? "µs" : "trans/s",
            LowerIsBetter = lowerIsBetter,
            ReferenceLabel = Labels(refRuns),
            DifferenceLabel = Labels(diffRuns),
            ReferenceRunId = refRuns?.Select(r => r.RunId).ToArray() ?? Array.Empty<string>(),
            DifferenceRunId = diffRuns?.Select(r => r.RunId).ToArray() ?? Array.Empty<string>(),
            ReferenceCount = refValues.Length,
            DifferenceCount = diffValues.Length,
            ReferenceValues = refValues,
            DifferenceValues = diffValues,
            EquivalenceMargin = options.EquivalenceMargin,
            RegressionThreshold = options.RegressionThreshold,
            ConfidenceLevel = options.ConfidenceLevel,
        };
        string level = (options.ConfidenceLevel * 100).ToString("0.##", CultureInfo.InvariantCulture);
        var notes = new List<string>();

        if (UsesRanks(metric))
        {
            var r = MannWhitneyTest.Run(refValues, diffValues, options.ConfidenceLevel);
            c.ReferenceValue = r.ReferenceMedian;
            c.DifferenceValue = r.DifferenceMedian;
            c.PValue = r.PValue;
            c.ConfidenceIntervalLow = r.RatioLow is { } lo ? (lo - 1) * 100 : null;
            c.ConfidenceIntervalHigh = r.RatioHigh is { } hi ? (hi - 1) * 100 : null;
            c.Method = $"{(r.Exact ? "exact" : "normal-approximation")} Mann-Whitney U on per-iteration values (medians compared); " +
                       $"Hodges-Lehmann {level}% CI of the ratio{(r.LogScale ? "" : " (shift / reference median)")}";
            if (r.RatioLow is null)
            {
                notes.Add($"{refValues.Length} vs {diffValues.Length} iterations cannot give a {level}% rank-based interval; use at least 4 per side.");
            }
        }
        else
        {
            c.ReferenceValue = WelchTest.Mean(refValues);
            c.DifferenceValue = WelchTest.Mean(diffValues);
            c.Method = $"Welch t-test on per-iteration values (means compared); Fieller {level}% CI of the ratio of means";
            if (refValues.Length >= 2 && diffValues.Length >= 2)
            {
                var r = WelchTest.Run(refValues, diffValues, options.ConfidenceLevel);
                c.PValue = r.PValue;
                c.ConfidenceIntervalLow = r.RatioLow is { } lo ? (lo - 1) * 100 : null;
                c.ConfidenceIntervalHigh = r.RatioHigh is { } hi ? (hi - 1) * 100 : null;
                if (r.RatioLow is null) notes.Add("The reference mean is not distinguishable from zero: the interval of the ratio is unbounded.");
            }
        }
        c.Delta = c.DifferenceValue - c.ReferenceValue;
        c.DeltaPercent = c.ReferenceValue != 0 ? (c.DifferenceValue / c.ReferenceValue - 1) * 100 : double.NaN;

        bool tooFew = refValues.Length < options.MinimumIterations || diffValues.Length < options.MinimumIterations;
        if (tooFew)
        {
            notes.Insert(0, $"Too few iterations ({refValues.Length} reference, {diffValues.Length} difference; at least {options.MinimumIterations} per side are needed): not enough evidence.");
        }
        Decide(c, options, tooFew);
        c.Notes = notes.Count == 0 ? null : string.Join(" ", notes);
        return c;
    }

    private static void Decide(LatencyComparison c, ComparisonOptions options, bool tooFew)
    {
        double alpha = 1 - options.ConfidenceLevel;
        double? lo = c.ConfidenceIntervalLow, hi = c.ConfidenceIntervalHigh;
        c.Verdict = "Inconclusive";
        c.IsRegression = false;
        if (tooFew) return;
        if (lo is { } l && hi is { } h && l >= -options.EquivalenceMargin && h <= options.EquivalenceMargin)
        {
            c.Verdict = "Equivalent";
            return;
        }
        if (c.PValue is not { } p || p >= alpha) return;
        bool higher = lo is > 0;
        bool lower = hi is < 0;
        if (!higher && !lower) return;
        bool slower = c.LowerIsBetter ? higher : lower;
        c.Verdict = slower ? "Slower" : "Faster";
        if (slower)
        {
            c.IsRegression = c.LowerIsBetter ? lo > options.RegressionThreshold : hi < -options.RegressionThreshold;
        }
    }

    private static double[] Values(IEnumerable<LatencyRun> runs, string metric) =>
        runs.SelectMany(r => r.Samples ?? Array.Empty<LatencySample>())
            .Select(s => ValueOf(s, metric))
            .Where(v => v is { } d && double.IsFinite(d))
            .Select(v => v!.Value)
            .ToArray();

    private static string Labels(IReadOnlyList<LatencyRun>? runs) =>
        runs is null ? "" : string.Join(", ", runs.Select(r => r.Label).Where(l => !string.IsNullOrEmpty(l)).Distinct(StringComparer.OrdinalIgnoreCase));

    /// <summary>The metric's canonical spelling (case-insensitive input).</summary>
    public static string Canonical(string metric) =>
        AllMetrics.FirstOrDefault(m => string.Equals(m, metric, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown metric '{metric}'. Known: {string.Join(", ", AllMetrics)}.", nameof(metric));
}
