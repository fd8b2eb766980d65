namespace OnloadTools.Reporting;

/// <summary>What the HTML report shows, computed in C# (the page only draws it). Serialized into the page as JSON.</summary>
internal sealed class LatencyReportModel
{
    public string Title { get; set; } = "";
    public string Generated { get; set; } = "";
    public string Summary { get; set; } = "";
    public double EquivalenceMargin { get; set; }
    public double RegressionThreshold { get; set; }
    /// <summary>The level of every confidence interval in the report (0.95): the same as the comparisons'.</summary>
    public double ConfidenceLevel { get; set; }
    public List<TestSection> Sections { get; set; } = new();
    /// <summary>The jitter runs (Measure-HostJitter), one section per host and tool.</summary>
    public List<JitterSection> JitterSections { get; set; } = new();
}

/// <summary>The latest jitter run of one host and tool, per CPU, against the run before it.</summary>
internal sealed class JitterSection
{
    public string Id { get; set; } = "";
    public string Title { get; set; } = "";
    public string Subtitle { get; set; } = "";
    /// <summary>A headline, then one line per CPU (Passed, Exceeded, Regressed), as Compare-HostJitterRun decides.</summary>
    public List<VerdictLine> Verdicts { get; set; } = new();
    public List<string> Notes { get; set; } = new();
    /// <summary>The x axis of the per-CPU chart: "CPU 1", "CPU 2" …</summary>
    public string[] Cpus { get; set; } = Array.Empty<string>();
    /// <summary>Per CPU, the latest run's maximum and tail (P99.99; null beyond the histogram), µs.</summary>
    public double[] Maximum { get; set; } = Array.Empty<double>();
    public double?[] Tail { get; set; } = Array.Empty<double?>();
    /// <summary>Per CPU, the previous run's maximum and tail (null where it did not measure the CPU); null without a previous run.</summary>
    public double?[]? PreviousMaximum { get; set; }
    public double?[]? PreviousTail { get; set; }
    /// <summary>Per CPU, Passed, Exceeded or Regressed (colours the latest maxima).</summary>
    public string[] CpuVerdicts { get; set; } = Array.Empty<string>();
    public double Threshold { get; set; }
    public string LatestName { get; set; } = "";
    public string? PreviousName { get; set; }
    /// <summary>Every run of the host and tool over time: its worst maximum (null when a single run).</summary>
    public JitterTrend? Trend { get; set; }
}

internal sealed class JitterTrend
{
    public string[] Times { get; set; } = Array.Empty<string>();
    public double[] WorstMaximum { get; set; } = Array.Empty<double>();
    public string[] RunIds { get; set; } = Array.Empty<string>();
}

internal sealed class TestSection
{
    public string Id { get; set; } = "";
    public string TestName { get; set; } = "";
    public string Tool { get; set; } = "";
    /// <summary>"one-way (half the round trip)" or "round trip".</summary>
    public string LatencyKind { get; set; } = "";
    /// <summary>The comparison verdicts in words: a headline per difference, then one line per metric.</summary>
    public List<VerdictLine> Verdicts { get; set; } = new();
    public List<string> Notes { get; set; } = new();
    public List<LabelSeries> Labels { get; set; } = new();
    /// <summary>Relative difference CIs per metric and difference label (empty when nothing was compared).</summary>
    public List<MetricInterval> Intervals { get; set; } = new();
    /// <summary>The x axis of the relative-difference chart, %: the margins and every estimate are on it, intervals
    /// that reach further are clipped to it (<see cref="MetricInterval.ClippedLow"/>), so one huge interval cannot
    /// squeeze the ±margin out of sight. Null when nothing was compared.</summary>
    public double? IntervalAxisMin { get; set; }
    public double? IntervalAxisMax { get; set; }
    public Ladder? Ladder { get; set; }
    public Trend? Trend { get; set; }
}

/// <summary>One side (a label, or a baseline / latest run of a history) with its per-iteration means and a CI of their mean.</summary>
internal sealed class LabelSeries
{
    public string Name { get; set; } = "";
    /// <summary>reference, difference, baseline or latest.</summary>
    public string Role { get; set; } = "";
    public string Color { get; set; } = "";
    public int Runs { get; set; }
    public double[] IterationMeans { get; set; } = Array.Empty<double>();
    public double? Mean { get; set; }
    public double? CiLow { get; set; }
    public double? CiHigh { get; set; }
    /// <summary>Whether netperf really had Onload in this side's runs (True, False, Unknown); null when no run asked for Onload.</summary>
    public string? Accelerated { get; set; }
    /// <summary>How many of the runs that asked for Onload ran without it, and how many asked.</summary>
    public int NotAcceleratedRuns { get; set; }
    public int OnloadRuns { get; set; }
}

internal sealed class MetricInterval
{
    public string Metric { get; set; } = "";
    public string Difference { get; set; } = "";
    public string Verdict { get; set; } = "";
    public double DeltaPercent { get; set; }
    public double? Low { get; set; }
    public double? High { get; set; }
    /// <summary>The interval reaches below <see cref="TestSection.IntervalAxisMin"/> (unbounded counts): its bar stops at the axis.</summary>
    public bool ClippedLow { get; set; }
    /// <summary>The interval reaches above <see cref="TestSection.IntervalAxisMax"/> (unbounded counts).</summary>
    public bool ClippedHigh { get; set; }
}

/// <summary>Percentile ladder / CDF: x are percentiles (0-100), each series one iteration of one label.</summary>
internal sealed class Ladder
{
    /// <summary>"full distribution" when every round trip was read, else "summary percentiles".</summary>
    public string Source { get; set; } = "";
    public List<LadderSeries> Series { get; set; } = new();
    /// <summary>The percentiles between 0 and 100 that some series measured, ascending (the axis labels these only).</summary>
    public double[] MeasuredPercentiles { get; set; } = Array.Empty<double>();
    /// <summary>The highest measured percentile below 100 (the axis ends there, or just after it at the maximum).</summary>
    public double TopPercentile { get; set; }
    /// <summary>Whether some series has its maximum (percentile 100), drawn just right of <see cref="TopPercentile"/>.</summary>
    public bool HasMax { get; set; }
}

internal sealed class LadderSeries
{
    public string Name { get; set; } = "";
    public string Color { get; set; } = "";
    public double[] Percentiles { get; set; } = Array.Empty<double>();
    public double[] Latencies { get; set; } = Array.Empty<double>();
}

/// <summary>Runs over time (nights): one point per run, the mean of its iteration means.</summary>
internal sealed class Trend
{
    public string[] Times { get; set; } = Array.Empty<string>();
    public List<TrendSeries> Series { get; set; } = new();
    public double? Baseline { get; set; }
    public string BaselineDescription { get; set; } = "";
}

internal sealed class TrendSeries
{
    public string Name { get; set; } = "";
    public string Color { get; set; } = "";
    /// <summary>One value per entry of <see cref="Trend.Times"/> (null where this label has no run).</summary>
    public double?[] Values { get; set; } = Array.Empty<double?>();
    public string?[] RunIds { get; set; } = Array.Empty<string?>();
}

internal sealed class VerdictLine
{
    public string Text { get; set; } = "";
    /// <summary>Equivalent, Slower, Faster or Inconclusive.</summary>
    public string Verdict { get; set; } = "";
    public bool IsRegression { get; set; }
    public bool IsHeadline { get; set; }
    /// <summary>On a headline: the host facts that differ between the two sides (LatencyComparison.HostDifferences), or null.</summary>
    public string? HostDifferences { get; set; }
}
