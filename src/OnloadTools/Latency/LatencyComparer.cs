using System.Runtime.CompilerServices;
using System.Globalization;

namespace OnloadTools.Latency;

/// <summary>
/// How a comparison decides (Compare-LatencyRun, Export-LatencyReport, Invoke-LatencyComparison). The defaults and valid
/// ranges below are the only place they are written: the cmdlets' ValidateRange attributes and parameter defaults are
/// these constants.
/// </summary>
internal sealed class ComparisonOptions
{
    /// <summary>Default ± % of <see cref="EquivalenceMargin"/>.</summary>
    public const double DefaultEquivalenceMargin = 5;
    /// <summary>The smallest margin: below 0.1 % no interval of a measured latency lies inside (netperf resolves 1 µs on
    /// latencies of tens of µs), so Equivalent could never be said and a sequential experiment could never stop for it.</summary>
    public const double MinEquivalenceMargin = 0.1;
    /// <summary>The largest margin: beyond ±100 % a doubling of the latency would count as equivalent.</summary>
    public const double MaxEquivalenceMargin = 100;
    /// <summary>Default % of <see cref="RegressionThreshold"/>.</summary>
    public const double DefaultRegressionThreshold = 5;
    /// <summary>0: any significant slowdown is a regression.</summary>
    public const double MinRegressionThreshold = 0;
    public const double MaxRegressionThreshold = 1000;
    /// <summary>Default <see cref="ConfidenceLevel"/>.</summary>
    public const double DefaultConfidenceLevel = 0.95;
    public const double MinConfidenceLevel = 0.5;
    public const double MaxConfidenceLevel = 0.999;
    /// <summary>Valid range of <see cref="EquivalenceAlpha"/> as a parameter.</summary>
    public const double MinEquivalenceAlpha = 0.001;
    public const double MaxEquivalenceAlpha = 0.25;

    /// <summary>± % inside which the whole CI must lie for the verdict Equivalent (default 5).</summary>
    public double EquivalenceMargin { get; set; } = DefaultEquivalenceMargin;
    /// <summary>% slowdown the whole CI must exceed for IsRegression (default 5).</summary>
    public double RegressionThreshold { get; set; } = DefaultRegressionThreshold;
    /// <summary>Confidence level of the intervals; the significance level of the tests is 1 − this (default 0.95).</summary>
    public double ConfidenceLevel { get; set; } = DefaultConfidenceLevel;
    /// <summary>
    /// Significance level of each of the two one-sided tests (TOST) of equivalence: Equivalent when the
    /// (1 − 2·EquivalenceAlpha) interval lies strictly inside ±EquivalenceMargin. Null (the default): half of
    /// 1 − ConfidenceLevel, i.e. 2.5 % per side, the reported 95 % interval. 0.05 is the conventional TOST (90 % interval).
    /// </summary>
    public double? EquivalenceAlpha { get; set; }
    /// <summary>The confidence level of the interval that decides equivalence: 1 − 2·EquivalenceAlpha.</summary>
    public double EquivalenceConfidenceLevel => EquivalenceAlpha is { } a ? 1 - 2 * a : ConfidenceLevel;
    /// <summary>True when EquivalenceMargin is wider than RegressionThreshold: an interval such as [+6 %, +8 %] would lie
    /// inside the margin and beyond the threshold. Compare-LatencyRun warns; the verdict is then Slower with
    /// IsRegression (a regression is never reported as Equivalent).</summary>
    public bool MarginExceedsThreshold => EquivalenceMargin > RegressionThreshold;
    /// <summary>Fewer iterations than this on either side make the verdict Inconclusive (default 3).</summary>
    public int MinimumIterations { get; set; } = 3;
    /// <summary>The metrics to compare (default: all of <see cref="LatencyComparer.AllMetrics"/>).</summary>
    public IReadOnlyList<string>? Metrics { get; set; }
    /// <summary>
    /// When both sides are the two arms of one Invoke-LatencyComparison experiment, compare them at the experiment's
    /// level (<see cref="LatencyRun.ExperimentConfidenceLevel"/>) instead of <see cref="ConfidenceLevel"/>: one comparison
    /// has one interval wherever it is shown. True by default; false when a level was asked for explicitly.
    /// </summary>
    public bool AtExperimentLevel { get; set; } = true;

    /// <summary>A copy with another confidence level.</summary>
    public ComparisonOptions WithConfidenceLevel(double level) => new()
    {
        EquivalenceMargin = EquivalenceMargin,
        RegressionThreshold = RegressionThreshold,
        ConfidenceLevel = level,
        EquivalenceAlpha = EquivalenceAlpha,
        MinimumIterations = MinimumIterations,
        Metrics = Metrics,
        AtExperimentLevel = AtExperimentLevel,
    };
}

/// <summary>
/// Compares the per-iteration values of reference and difference runs, test by test (TCP_RR with TCP_RR) and
/// metric by metric. Means (Mean, StdDev, TransactionRate): Welch's t-test and Fieller's CI of the ratio of
/// means. Order statistics (P50, P99, P999, Min): exact Mann-Whitney U and the Hodges-Lehmann CI of the ratio.
/// Several runs of one test on one side are pooled (their iterations together). Every interval is widened by the
/// resolution of the tool that measured each side (<see cref="MetricResolution"/>): netperf's whole-µs percentiles
/// stand for a range of true values, and no verdict claims more than that range allows.
/// </summary>
internal static class LatencyComparer
{
    public static readonly IReadOnlyList<string> AllMetrics = new[] { "Mean", "P50", "P99", "P999", "Min", "StdDev", "TransactionRate" };

    /// <summary>The per-iteration value of a metric, or null when the tool did not report it.</summary>
    public static double? ValueOf(LatencySample s, string metric) => metric switch
    {
        "Mean" => s.MeanLatency ?? s.RoundTripLatency,
        "P50" => s.P50Latency,
        "P99" => s.P99Latency,
        "P999" => s.P999Latency,   // sockperf's per-iteration p99.9 (netperf reports none)
        "Min" => s.MinLatency,
        "StdDev" => s.StdDevLatency,
        "TransactionRate" => s.TransactionRate,
        _ => throw new ArgumentException($"Unknown metric '{metric}'. Known: {string.Join(", ", AllMetrics)}.", nameof(metric)),
    };

    public static bool UsesRanks(string metric) => metric is "P50" or "P99" or "P999" or "Min";

    public static IReadOnlyList<LatencyComparison> Compare(IReadOnlyList<LatencyRun> reference, IReadOnlyList<LatencyRun> difference, ComparisonOptions? options = null)
    {
        options ??= new ComparisonOptions();
        Validate(options);
        var metrics = (options.Metrics ?? AllMetrics).Select(Canonical).Distinct().ToArray();
        var results = new List<LatencyComparison>();
        foreach (var (test, refRuns, diffRuns) in Pairs(reference, difference))   // one-way and round-trip latencies are not paired
        {
            var atLevel = ExperimentLevel(refRuns, diffRuns, options) is { } level ? options.WithConfidenceLevel(level) : options;
            foreach (string metric in metrics)
            {
                var refValues = Values(refRuns, metric);
                var diffValues = Values(diffRuns, metric);
                if (refValues.Length == 0 || diffValues.Length == 0) continue;   // the tool did not report this metric
                var c = CompareValues(test, metric, refValues, diffValues, atLevel, refRuns, diffRuns);
                if (!ReferenceEquals(atLevel, options) && options.ConfidenceLevel != atLevel.ConfidenceLevel)
                {
                    string note = string.Create(CultureInfo.InvariantCulture,
                        $"Compared at its experiment's level, {atLevel.ConfidenceLevel * 100:0.##}% (the calibrated looks of Invoke-LatencyComparison), as the experiment did; -ConfidenceLevel overrides.");
                    c.Notes = c.Notes is null ? note : note + " " + c.Notes;
                }
                results.Add(c);
            }
        }
        return results;
    }

    /// <summary>The experiment's level when the two sides are exactly the two arms of one experiment (one run each, one
    /// ExperimentId, a level recorded on both); else null.</summary>
    internal static double? ExperimentLevel(IReadOnlyList<LatencyRun> reference, IReadOnlyList<LatencyRun> difference, ComparisonOptions options)
    {
        if (!options.AtExperimentLevel || reference.Count != 1 || difference.Count != 1) return null;
        LatencyRun a = reference[0], b = difference[0];
        if (string.IsNullOrEmpty(a.ExperimentId) || !string.Equals(a.ExperimentId, b.ExperimentId, StringComparison.OrdinalIgnoreCase)) return null;
        if (a.ExperimentConfidenceLevel is not { } la || b.ExperimentConfidenceLevel is not { } lb || la != lb) return null;
        return la is > 0 and < 1 ? la : null;
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

    private static void Validate(ComparisonOptions options)
    {
        if (options.ConfidenceLevel is <= 0 or >= 1 || double.IsNaN(options.ConfidenceLevel)) throw new ArgumentOutOfRangeException(nameof(options), "ConfidenceLevel must be between 0 and 1.");
        if (options.EquivalenceAlpha is { } a && !(a > 0 && a < 0.5)) throw new ArgumentOutOfRangeException(nameof(options), "EquivalenceAlpha must be between 0 and 0.5.");
    }

    /// <summary>The sentence of a comparison's Notes that names the host facts that differ between its sides.</summary>
    public static string HostNote(string hostDifferences) => $"The hosts differ: {hostDifferences}.";

    /// <summary>Compares two sets of per-iteration values of one metric.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static LatencyComparison CompareValues(string testName, string metric, double[] refValues, double[] diffValues,
        ComparisonOptions options, IReadOnlyList<LatencyRun>? refRuns = null, IReadOnlyList<LatencyRun>? diffRuns = null)
    {
        Validate(options);
        metric = Canonical(metric);
        bool lowerIsBetter = metric != "TransactionRate";
        double? equivalenceLevel = options.EquivalenceAlpha is null ? null : options.EquivalenceConfidenceLevel;
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
            EquivalenceAlpha = options.EquivalenceAlpha ?? Math.Round((1 - options.ConfidenceLevel) / 2, 12),   // 0.025, not 0.025000000000000022
            ReferenceAccelerated = refRuns is null ? null : AccelerationProbe.Combine(refRuns.Select(r => r.Accelerated)),
            DifferenceAccelerated = diffRuns is null ? null : AccelerationProbe.Combine(diffRuns.Select(r => r.Accelerated)),
        };
        var refResolution = MetricResolution.Of(refRuns);
        var diffResolution = MetricResolution.Of(diffRuns);
        bool widen = refResolution.IsKnown || diffResolution.IsKnown;
        string level = Percent(options.ConfidenceLevel);
        var notes = new List<string>();

        if (UsesRanks(metric))
        {
            var r = MannWhitneyTest.Run(refValues, diffValues, options.ConfidenceLevel, equivalenceLevel);
            c.ReferenceValue = r.ReferenceMedian;
            c.DifferenceValue = r.DifferenceMedian;
            c.PValue = r.PValue;
            c.ConfidenceIntervalLow = r.PercentLow;
            c.ConfidenceIntervalHigh = r.PercentHigh;
            c.HodgesLehmannPercent = r.PercentEstimate;
            if (equivalenceLevel is not null)
            {
                c.EquivalenceIntervalLow = r.SecondPercentLow;
                c.EquivalenceIntervalHigh = r.SecondPercentHigh;
            }
            c.Method = $"{(r.Exact ? "exact" : "normal-approximation")} Mann-Whitney U on per-iteration values (medians compared); " +
                       $"Hodges-Lehmann {level}% CI of the ratio{(r.LogScale ? "" : " (shift / reference median)")}";
            if (r.RatioLow is null)
            {
                notes.Add($"{refValues.Length} vs {diffValues.Length} iterations cannot give a {level}% rank-based interval; use at least 4 per side.");
            }
            c.StatisticalIntervalLow = c.ConfidenceIntervalLow;
            c.StatisticalIntervalHigh = c.ConfidenceIntervalHigh;
            if (widen && r.LogScale && r.RatioLow is not null)
            {
                (double, double) RefRange(double v) => refResolution.TrueRange(metric, v);
                (double, double) DiffRange(double v) => diffResolution.TrueRange(metric, v);
                (c.ConfidenceIntervalLow, c.ConfidenceIntervalHigh) =
                    MannWhitneyTest.ResolvedPercentInterval(refValues, diffValues, RefRange, DiffRange, options.ConfidenceLevel);
                if (equivalenceLevel is { } el && r.SecondPercentLow is not null)
                {
                    (c.EquivalenceIntervalLow, c.EquivalenceIntervalHigh) =
                        MannWhitneyTest.ResolvedPercentInterval(refValues, diffValues, RefRange, DiffRange, el);
                }
            }
        }
        else
        {
            c.ReferenceValue = WelchTest.Mean(refValues);
            c.DifferenceValue = WelchTest.Mean(diffValues);
            c.Method = $"Welch t-test on per-iteration values (means compared); Fieller {level}% CI of the ratio of means";
            if (refValues.Length >= 2 && diffValues.Length >= 2)
            {
                var r = WelchTest.Run(refValues, diffValues, options.ConfidenceLevel, equivalenceLevel);
                c.PValue = r.PValue;
                c.ConfidenceIntervalLow = r.PercentLow;
                c.ConfidenceIntervalHigh = r.PercentHigh;
                if (equivalenceLevel is not null)
                {
                    c.EquivalenceIntervalLow = r.SecondPercentLow;
                    c.EquivalenceIntervalHigh = r.SecondPercentHigh;
                }
                if (r.RatioLow is null) notes.Add("The reference mean is not distinguishable from zero: the interval of the ratio is unbounded.");
                c.StatisticalIntervalLow = c.ConfidenceIntervalLow;
                c.StatisticalIntervalHigh = c.ConfidenceIntervalHigh;
                if (widen)
                {
                    double rBelow = refValues.Average(v => refResolution.Below(metric, v)), rAbove = refValues.Average(v => refResolution.Above(metric, v));
                    double dBelow = diffValues.Average(v => diffResolution.Below(metric, v)), dAbove = diffValues.Average(v => diffResolution.Above(metric, v));
                    if (r.PercentLow is not null || r.PercentHigh is not null)
                    {
                        (c.ConfidenceIntervalLow, c.ConfidenceIntervalHigh) =
                            WelchTest.ResolvedPercentInterval(refValues, diffValues, options.ConfidenceLevel, rBelow, rAbove, dBelow, dAbove);
                    }
                    if (equivalenceLevel is { } el && (r.SecondPercentLow is not null || r.SecondPercentHigh is not null))
                    {
                        (c.EquivalenceIntervalLow, c.EquivalenceIntervalHigh) =
                            WelchTest.ResolvedPercentInterval(refValues, diffValues, el, rBelow, rAbove, dBelow, dAbove);
                    }
                }
            }
        }
        if (equivalenceLevel is null)
        {
            c.EquivalenceIntervalLow = c.ConfidenceIntervalLow;
            c.EquivalenceIntervalHigh = c.ConfidenceIntervalHigh;
        }
        c.Delta = c.DifferenceValue - c.ReferenceValue;
        c.DeltaPercent = c.ReferenceValue != 0 ? 100 * (c.DifferenceValue - c.ReferenceValue) / c.ReferenceValue : double.NaN;

        if (c.StatisticalIntervalLow != c.ConfidenceIntervalLow || c.StatisticalIntervalHigh != c.ConfidenceIntervalHigh)
        {
            c.Method += "; widened by the tools' resolution (ResolutionBasis)";
        }
        c.PrecisionPercent = c.ConfidenceIntervalLow is { } pl && c.ConfidenceIntervalHigh is { } ph ? (ph - pl) / 2 : null;
        c.ReferenceResolution = refResolution.Width(metric, c.ReferenceValue);
        c.DifferenceResolution = diffResolution.Width(metric, c.DifferenceValue);
        c.ResolutionBasis = refResolution.Tool == diffResolution.Tool && refResolution.Describe(metric, c.ReferenceValue) == diffResolution.Describe(metric, c.DifferenceValue)
            ? refResolution.Describe(metric, c.ReferenceValue)
            : $"reference {refResolution.Describe(metric, c.ReferenceValue)}; difference {diffResolution.Describe(metric, c.DifferenceValue)}";
        if (widen)
        {
            // The step between the central values that no true change at all could produce: the difference's value may
            // stand for a truth as low as its range allows and the reference's as high (and the other way round).
            double allowedUp = diffResolution.Below(metric, c.DifferenceValue) + refResolution.Above(metric, c.ReferenceValue);
            double allowedDown = diffResolution.Above(metric, c.DifferenceValue) + refResolution.Below(metric, c.ReferenceValue);
            c.BelowResolution = !LessThan(c.Delta, -allowedDown) && !MoreThan(c.Delta, allowedUp);
            bool heldBack = c.PValue is { } p0 && p0 < 1 - options.ConfidenceLevel;
            if (c.BelowResolution && (c.Delta != 0 || heldBack))
            {
                string unit = lowerIsBetter ? " µs" : " trans/s";
                notes.Add($"The step of {c.Delta.ToString("+0.###;-0.###", CultureInfo.InvariantCulture)}{unit} is below the tools' resolution " +
                          $"({c.ResolutionBasis}): it can come from no true change at all, so by itself it is neither Slower nor Faster.");
            }
        }

        bool tooFew = refValues.Length < options.MinimumIterations || diffValues.Length < options.MinimumIterations;
        if (tooFew)
        {
            notes.Insert(0, $"Too few iterations ({refValues.Length} reference, {diffValues.Length} difference; at least {options.MinimumIterations} per side are needed): not enough evidence.");
        }
        Decide(c, options, tooFew);
        if (!tooFew) notes.AddRange(Disagreements(c, options, level));
        if (refRuns is not null && diffRuns is not null
            && Host.HostFactsDifference.Describe(refRuns.Select(r => r.HostFacts), diffRuns.Select(r => r.HostFacts)) is { } hostDifferences)
        {
            c.HostDifferences = hostDifferences;
            notes.Add(HostNote(hostDifferences));
        }
        c.Notes = notes.Count == 0 ? null : string.Join(" ", notes);
        return c;
    }

    /// <summary>
    /// Where the test and the interval do not say the same, which one decided and why (see <see cref="Decide"/>):
    /// a p below α whose interval reaches 0 (ties, or the resolution's widening), an interval beyond 0 with p at or above
    /// α, and an equivalence the reported values show but the resolution does not allow.
    /// </summary>
    private static IEnumerable<string> Disagreements(LatencyComparison c, ComparisonOptions options, string level)
    {
        double alpha = 1 - options.ConfidenceLevel;
        bool significant = c.PValue is { } p && p < alpha;
        bool beyondZero = (c.ConfidenceIntervalLow is { } l && MoreThan(l, 0)) || (c.ConfidenceIntervalHigh is { } h && LessThan(h, 0));
        string pText = c.PValue is { } pv ? pv.ToString("0.####", CultureInfo.InvariantCulture) : "-";
        string alphaText = alpha.ToString("0.###", CultureInfo.InvariantCulture);
        bool widened = c.StatisticalIntervalLow != c.ConfidenceIntervalLow || c.StatisticalIntervalHigh != c.ConfidenceIntervalHigh;
        if (significant && !beyondZero)
        {
            yield return $"p = {pText} < {alphaText}, but the {level}% interval{(widened ? ", widened by the resolution," : "")} reaches 0: " +
                         "the interval decides, so the verdict is not Slower or Faster.";
        }
        else if (!significant && beyondZero && c.PValue is not null)
        {
            yield return $"The {level}% interval excludes 0 but p = {pText} is not below {alphaText}: both are needed for Slower or Faster.";
        }
        if (widened && c.Verdict != LatencyVerdict.Equivalent && !c.IsRegression &&
            c.StatisticalIntervalLow is { } sl && c.StatisticalIntervalHigh is { } sh &&
            MoreThan(sl, -options.EquivalenceMargin) && LessThan(sh, options.EquivalenceMargin) && options.EquivalenceAlpha is null)
        {
            yield return $"Within ±{options.EquivalenceMargin.ToString("0.##", CultureInfo.InvariantCulture)} % on the reported values, but the " +
                         "resolution at these values does not allow claiming Equivalent.";
        }
    }

    private static string Percent(double level) => (level * 100).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>
    /// x is more than the bound. Bounds are compared with a tolerance of 1e-9 % (relative to the bound): the decimal
    /// values people type (19.95 µs, a 5 % threshold) are not exact in binary floating point, and an interval that is
    /// mathematically exactly at a bound must not fall on either side of it by rounding.
    /// </summary>
    internal static bool MoreThan(double x, double bound) => x > bound + Tolerance(bound);
    /// <summary>x is less than the bound, with the same tolerance as <see cref="MoreThan"/>.</summary>
    internal static bool LessThan(double x, double bound) => x < bound - Tolerance(bound);
    private static double Tolerance(double bound) => 1e-9 * Math.Max(1, Math.Abs(bound));

    /// <summary>
    /// The rules, the same for every metric (α = 1 − ConfidenceLevel; bounds with <see cref="MoreThan"/>; the intervals
    /// are the ones widened by the tools' resolution):
    /// Slower/Faster when p &lt; α and the interval lies entirely above or below 0 and the step is not below the
    /// resolution; IsRegression when Slower and the interval lies entirely beyond RegressionThreshold (more than it);
    /// Equivalent when the equivalence interval lies strictly inside ±EquivalenceMargin — unless it is a regression,
    /// which is never hidden by a wide margin; Inconclusive otherwise, and always with too few iterations.
    /// When p and the interval disagree (with ties the exact test can reject while the distribution-free interval ends
    /// exactly at 0; the widening can bring a bound back to 0), the stricter wins: both are needed, so the verdict is
    /// never Slower or Faster against an interval that reaches 0, and the notes say which one held it back.
    /// </summary>
    private static void Decide(LatencyComparison c, ComparisonOptions options, bool tooFew)
    {
        double alpha = 1 - options.ConfidenceLevel;
        double? lo = c.ConfidenceIntervalLow, hi = c.ConfidenceIntervalHigh;
        c.Verdict = LatencyVerdict.Inconclusive;
        c.IsRegression = false;
        if (tooFew) return;
        bool significant = c.PValue is { } p && p < alpha && !c.BelowResolution;
        bool higher = significant && lo is { } l && MoreThan(l, 0);
        bool lower = significant && hi is { } h && LessThan(h, 0);
        bool slower = c.LowerIsBetter ? higher : lower;
        bool regression = slower && (c.LowerIsBetter ? MoreThan(lo!.Value, options.RegressionThreshold) : LessThan(hi!.Value, -options.RegressionThreshold));
        bool equivalent = c.EquivalenceIntervalLow is { } el && c.EquivalenceIntervalHigh is { } eh &&
                          MoreThan(el, -options.EquivalenceMargin) && LessThan(eh, options.EquivalenceMargin);
        if (equivalent && !regression)
        {
            c.Verdict = LatencyVerdict.Equivalent;
            return;
        }
        if (!higher && !lower) return;
        c.Verdict = slower ? LatencyVerdict.Slower : LatencyVerdict.Faster;
        c.IsRegression = regression;
    }

    /// <summary>
    /// Per-iteration values that are not compared although the run reports the metric: NaN, ±Infinity, or missing in
    /// an iteration while other iterations of the run have it. One entry per run, metric and iteration, for the tests
    /// and metrics that <see cref="Compare"/> compares. (A metric a run reports in no iteration is simply not compared.)
    /// </summary>
    public static IReadOnlyList<UnusableValue> FindUnusableValues(IReadOnlyList<LatencyRun> reference, IReadOnlyList<LatencyRun> difference, ComparisonOptions? options = null)
    {
        options ??= new ComparisonOptions();
        var metrics = (options.Metrics ?? AllMetrics).Select(Canonical).Distinct().ToArray();
        var found = new List<UnusableValue>();
        foreach (var (test, refRuns, diffRuns) in Pairs(reference, difference))
        {
            foreach (string metric in metrics)
            {
                if (Values(refRuns, metric).Length == 0 || Values(diffRuns, metric).Length == 0) continue;   // not compared
                foreach (var (side, runs) in new[] { ("Reference", refRuns), ("Difference", diffRuns) })
                {
                    foreach (var run in runs)
                    {
                        var samples = run.Samples ?? Array.Empty<LatencySample>();
                        bool reports = samples.Any(x => ValueOf(x, metric) is not null);
                        if (!reports) continue;
                        for (int i = 0; i < samples.Length; i++)
                        {
                            string? reason = ValueOf(samples[i], metric) switch
                            {
                                null => "missing",
                                double d when double.IsNaN(d) => "NaN",
                                double d when double.IsPositiveInfinity(d) => "+Infinity",
                                double d when double.IsNegativeInfinity(d) => "-Infinity",
                                _ => null,
                            };
                            if (reason is null) continue;
                            int iteration = samples[i].Iteration > 0 ? samples[i].Iteration : i + 1;
                            found.Add(new UnusableValue(test, metric, side, run.RunId, run.Label, iteration, reason,
                                samples.Length, samples.Count(x => ValueOf(x, metric) is { } v && double.IsFinite(v))));
                        }
                    }
                }
            }
        }
        return found;
    }

    /// <summary>
    /// Tests compared whose runs do not all use the same request/response sizes (bytes; 0, unknown, is ignored):
    /// latencies of different message sizes are compared as if they were one test. One entry per such test.
    /// </summary>
    public static IReadOnlyList<SizeMismatch> TestsWithMixedSizes(IReadOnlyList<LatencyRun> reference, IReadOnlyList<LatencyRun> difference)
    {
        var found = new List<SizeMismatch>();
        foreach (var (test, refRuns, diffRuns) in Pairs(reference, difference))
        {
            static string[] Sizes(IEnumerable<LatencyRun> runs) => runs.Where(r => r.RequestSize > 0 || r.ResponseSize > 0)
                .Select(r => $"{r.RequestSize}/{r.ResponseSize}").Distinct().Order(StringComparer.Ordinal).ToArray();
            string[] refSizes = Sizes(refRuns), diffSizes = Sizes(diffRuns);
            if (refSizes.Concat(diffSizes).Distinct().Count() > 1) found.Add(new SizeMismatch(test, refSizes, diffSizes));
        }
        return found;
    }

    /// <summary>The tests <see cref="Compare"/> compares, with their runs on each side.</summary>
    private static IEnumerable<(string Test, LatencyRun[] Reference, LatencyRun[] Difference)> Pairs(IReadOnlyList<LatencyRun> reference, IReadOnlyList<LatencyRun> difference)
    {
        foreach (string test in reference.Select(r => r.TestName).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var refRuns = reference.Where(r => string.Equals(r.TestName, test, StringComparison.OrdinalIgnoreCase)).ToArray();
            var diffRuns = difference.Where(r => string.Equals(r.TestName, test, StringComparison.OrdinalIgnoreCase)).ToArray();
            if (diffRuns.Length == 0 || HasMixedKinds(refRuns, diffRuns)) continue;
            yield return (refRuns[0].TestName, refRuns, diffRuns);
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

/// <summary>A per-iteration value left out of a comparison (see <see cref="LatencyComparer.FindUnusableValues"/>).</summary>
/// <param name="Side">Reference or Difference.</param>
/// <param name="Reason">NaN, +Infinity, -Infinity or missing.</param>
/// <param name="Iterations">The run's iterations.</param>
/// <param name="Used">The run's iterations with a usable value of this metric.</param>
public sealed record UnusableValue(string TestName, string Metric, string Side, string RunId, string Label, int Iteration, string Reason, int Iterations, int Used);

/// <summary>A test whose runs use different request/response sizes ("request/response" in bytes, per side).</summary>
public sealed record SizeMismatch(string TestName, string[] ReferenceSizes, string[] DifferenceSizes);
