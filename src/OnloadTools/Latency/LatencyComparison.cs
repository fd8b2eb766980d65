namespace OnloadTools;

/// <summary>
/// The statistical comparison of one metric of one test (TCP_RR, UDP_RR …) between a reference (bare metal,
/// last night's baseline …) and a difference (container, tonight …). Flat and primitive so it survives
/// remoting and Export-Clixml (Deserialized.OnloadTools.LatencyComparison).
/// </summary>
public sealed class LatencyComparison
{
    public string TestName { get; set; } = "";

    /// <summary>Mean, P50, P99, P999 (sockperf only), Min, StdDev (within-iteration jitter) or TransactionRate.</summary>
    public string Metric { get; set; } = "";

    /// <summary>µs for the latency metrics, trans/s for TransactionRate.</summary>
    public string Unit { get; set; } = "µs";

    /// <summary>True for latencies (more is slower); false for TransactionRate (less is slower).</summary>
    public bool LowerIsBetter { get; set; } = true;

    public string ReferenceLabel { get; set; } = "";
    public string DifferenceLabel { get; set; } = "";
    public string[] ReferenceRunId { get; set; } = Array.Empty<string>();
    public string[] DifferenceRunId { get; set; } = Array.Empty<string>();

    /// <summary>Central value of the reference: the mean of the per-iteration values (Welch) or their median (Mann-Whitney).</summary>
    public double ReferenceValue { get; set; }
    /// <summary>Central value of the difference, the same statistic as <see cref="ReferenceValue"/>.</summary>
    public double DifferenceValue { get; set; }

    /// <summary>DifferenceValue − ReferenceValue, in <see cref="Unit"/> (µs for latencies).</summary>
    public double Delta { get; set; }
    /// <summary>100 × (DifferenceValue − ReferenceValue) / ReferenceValue.</summary>
    public double DeltaPercent { get; set; }

    /// <summary>Lower bound of the confidence interval of the relative difference, %, widened by the tools' resolution
    /// (see <see cref="StatisticalIntervalLow"/> for the interval of the reported values alone); null when it is
    /// unbounded (too few iterations for the interval to exist at this confidence level).</summary>
    public double? ConfidenceIntervalLow { get; set; }
    /// <summary>Upper bound of the confidence interval of the relative difference, %; null when unbounded.</summary>
    public double? ConfidenceIntervalHigh { get; set; }
    public double ConfidenceLevel { get; set; } = Latency.ComparisonOptions.DefaultConfidenceLevel;

    /// <summary>Half the width of the confidence interval, in percentage points (the ± of the comparison); null when the
    /// interval is unbounded.</summary>
    public double? PrecisionPercent { get; set; }

    /// <summary>The confidence interval of the reported values taken as exact, % (before the widening by resolution); the
    /// same as the confidence interval when the resolution is unknown or negligible. Null when unbounded.</summary>
    public double? StatisticalIntervalLow { get; set; }
    public double? StatisticalIntervalHigh { get; set; }

    /// <summary>The width, in <see cref="Unit"/>, of the interval of true values the reference's central value stands for
    /// (netperf's P50 at 20 µs: 2, from 19 to 21: a 1 µs histogram bucket and the whole-µs clock; 0 when the tool is
    /// unknown).</summary>
    public double ReferenceResolution { get; set; }
    /// <summary>As <see cref="ReferenceResolution"/>, for the difference's central value.</summary>
    public double DifferenceResolution { get; set; }
    /// <summary>The tool whose resolution was used for each side (netperf, sockperf or unknown) and what the central
    /// values stand for, in words.</summary>
    public string ResolutionBasis { get; set; } = "";
    /// <summary>True when the step between the central values is within what the tools' resolution allows with no true
    /// change at all (netperf's P50 19 against 20 µs): then the comparison is never Slower or Faster, and the notes say so.</summary>
    public bool BelowResolution { get; set; }

    /// <summary>Whether the reference's runs ran with Onload ("True", "False", "Unknown"; null when not asked for): the
    /// runs' Accelerated combined (False when any is False).</summary>
    public string? ReferenceAccelerated { get; set; }
    /// <summary>As <see cref="ReferenceAccelerated"/>, for the difference's runs.</summary>
    public string? DifferenceAccelerated { get; set; }

    /// <summary>The Hodges-Lehmann estimate of the relative difference, % (the median of all pairwise ratios
    /// difference/reference, minus 1): the shift the rank test measures, for P50, P99 and Min; null for the metrics
    /// compared by their means.</summary>
    public double? HodgesLehmannPercent { get; set; }

    /// <summary>Per-side significance level of the two one-sided tests (TOST) that decide Equivalent: 0.025 by default
    /// (the 95 % interval), 0.05 for the conventional TOST (the 90 % interval).</summary>
    public double EquivalenceAlpha { get; set; } = 0.025;
    /// <summary>The (1 − 2·EquivalenceAlpha) interval of the relative difference, %, that decides Equivalent; the same
    /// as the confidence interval unless EquivalenceAlpha was given. Null when unbounded.</summary>
    public double? EquivalenceIntervalLow { get; set; }
    public double? EquivalenceIntervalHigh { get; set; }

    /// <summary>Two-sided p-value of the test named in <see cref="Method"/>; null when no test was possible.</summary>
    public double? PValue { get; set; }

    /// <summary>The test and interval used, e.g. "Welch t-test; Fieller CI" or "exact Mann-Whitney U; Hodges-Lehmann CI".</summary>
    public string Method { get; set; } = "";

    /// <summary>Equivalent, Slower, Faster or Inconclusive (<see cref="LatencyVerdict"/>). For TransactionRate, Slower means a lower rate.</summary>
    public string Verdict { get; set; } = LatencyVerdict.Inconclusive;

    /// <summary>Significantly slower by more than <see cref="RegressionThreshold"/> %: the whole CI lies beyond it
    /// (an interval exactly at the threshold is not beyond it).</summary>
    public bool IsRegression { get; set; }

    public int ReferenceCount { get; set; }
    public int DifferenceCount { get; set; }

    /// <summary>The per-iteration values compared (one per iteration, in the metric's unit).</summary>
    public double[] ReferenceValues { get; set; } = Array.Empty<double>();
    public double[] DifferenceValues { get; set; } = Array.Empty<double>();

    /// <summary>± % strictly inside which the equivalence interval must lie for Equivalent.</summary>
    public double EquivalenceMargin { get; set; }
    /// <summary>% slowdown beyond which a significant slowdown is a regression.</summary>
    public double RegressionThreshold { get; set; }

    /// <summary>Why the verdict is what it is when the data limited it (too few iterations, unbounded CI …).</summary>
    public string? Notes { get; set; }
    /// <summary>The host facts that differ between the two sides, in words ("kernel 5.14.0-427 → 5.14.0-503; tuned
    /// network-latency → throughput-performance"): what changed besides latency. Null when none differ or a side has no facts.</summary>
    public string? HostDifferences { get; set; }

    public override string ToString() =>
        $"{TestName} {Metric}: {DifferenceLabel} vs {ReferenceLabel} {DeltaPercent.ToString("+0.0;-0.0;0.0", System.Globalization.CultureInfo.InvariantCulture)}% → {Verdict}";
}

/// <summary>
/// The verdicts of a comparison: a closed set written here once. They are strings, not an enum, on purpose: a
/// comparison that comes back over remoting (Invoke-Command, a fleet) or from Import-Clixml keeps a string as the
/// string, while an enum of this module arrives as its bare number (Verdict 2), which breaks <c>-eq 'Slower'</c> and
/// the views on the receiving side. The same holds for <see cref="LatencyRunStatus"/>.
/// </summary>
public static class LatencyVerdict
{
    public const string Equivalent = "Equivalent";
    public const string Slower = "Slower";
    public const string Faster = "Faster";
    public const string Inconclusive = "Inconclusive";

    /// <summary>The four verdicts.</summary>
    public static IReadOnlyList<string> All { get; } = new[] { Equivalent, Slower, Faster, Inconclusive };
}
