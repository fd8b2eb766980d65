using System.Globalization;
using OnloadTools.Jitter;

namespace OnloadTools;

/// <summary>
/// Compare-HostJitterRun's answer for one CPU: the reference and difference maxima and tails (µs, at the tool's 1 µs
/// resolution), the threshold gate and the regression decision, with the rule that decided it (<see cref="Basis"/>).
/// Flat and primitive, so it survives remoting and JSON alike.
/// </summary>
public sealed class HostJitterComparison
{
    /// <summary>The CPU (-1 for hwlatdetect, which measures no CPU of its own).</summary>
    public int Cpu { get; set; }
    /// <summary>oslat, cyclictest or hwlatdetect: runs of one tool are compared only with runs of the same tool.</summary>
    public string Tool { get; set; } = "";
    public string HostName { get; set; } = "";
    /// <summary>Runs of each side that measured this CPU.</summary>
    public int ReferenceRuns { get; set; }
    public int DifferenceRuns { get; set; }
    /// <summary>The maximum of the side: the run's maximum with one run, the median of the runs' maxima with several;
    /// null when the side did not measure this CPU.</summary>
    public double? ReferenceMaximumMicroseconds { get; set; }
    public double? DifferenceMaximumMicroseconds { get; set; }
    /// <summary>Difference − reference maximum, µs (null when a side lacks the CPU).</summary>
    public double? MaximumChangeMicroseconds { get; set; }
    /// <summary>The tail compared: the percentile the tool's histogram gives (P99.99).</summary>
    public string TailPercentile { get; set; } = JitterComparer.TailName;
    /// <summary>The tail of each side (median of the runs' tails with several); null when it lies beyond the histogram
    /// (then it is at least the histogram's limit) or the tool gave no histogram.</summary>
    public double? ReferenceTailMicroseconds { get; set; }
    public double? DifferenceTailMicroseconds { get; set; }
    public double? TailChangeMicroseconds { get; set; }
    /// <summary>The threshold the difference maximum is gated against (the difference runs' own, or -Threshold).</summary>
    public double ThresholdMicroseconds { get; set; }
    /// <summary>The instrument's resolution: oslat and cyclictest report whole microseconds, so a change of 1 µs or less is no change.</summary>
    public double ResolutionMicroseconds { get; set; }
    /// <summary>The increase allowed beyond the resolution before a regression is called: the larger of -RegressionMargin
    /// (µs) and -RegressionThreshold % of the reference value.</summary>
    public double AllowanceMicroseconds { get; set; }
    /// <summary>One-sided p-value of the Mann-Whitney test of the runs' maxima (difference larger), or null when a side has
    /// fewer than <see cref="JitterComparer.MinimumRunsForTest"/> runs (a single maximum cannot be tested).</summary>
    public double? PValue { get; set; }
    public double ConfidenceLevel { get; set; }
    /// <summary>The difference maximum reached or passed the threshold.</summary>
    public bool IsExceeded { get; set; }
    /// <summary>The maximum or the tail grew by more than the resolution plus the allowance (and, with several runs per side,
    /// the test of the maxima is significant).</summary>
    public bool IsRegression { get; set; }
    /// <summary>Which figures regressed: "Maximum", "P99.99", both, or empty.</summary>
    public string RegressedMetrics { get; set; } = "";
    /// <summary>Exceeded (the threshold gate failed), else Regressed, else Passed.</summary>
    public string Verdict { get; set; } = "";
    /// <summary>How it was decided, in a sentence: a rule on single maxima, or a test on the runs' maxima; and what a
    /// single run cannot decide.</summary>
    public string Basis { get; set; } = "";
    /// <summary>What else differs between the sides that explains a change (durations, the host facts), or null.</summary>
    public string? Notes { get; set; }
    /// <summary>The host facts that differ between the sides ("kernel 5.14.0-427 → 5.14.0-503"), or null.</summary>
    public string? HostDifferences { get; set; }
    public string ReferenceRunIds { get; set; } = "";
    public string DifferenceRunIds { get; set; } = "";

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"CPU {Cpu}: {Verdict}, max {ReferenceMaximumMicroseconds} → {DifferenceMaximumMicroseconds} µs");
}

/// <summary>The per-CPU verdicts of a comparison of jitter runs, written once.</summary>
public static class HostJitterComparisonVerdict
{
    public const string Passed = "Passed";
    public const string Exceeded = "Exceeded";
    public const string Regressed = "Regressed";
}
