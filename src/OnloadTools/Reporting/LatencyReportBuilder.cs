using System.Globalization;
using OnloadTools.Latency;

namespace OnloadTools.Reporting;

internal sealed class ReportOptions
{
    /// <summary>The label of the reference runs; null: the first label of the input (when there are several).</summary>
    public string? ReferenceLabel { get; set; }
    public string Title { get; set; } = "Latency report";
    public DateTime Generated { get; set; } = DateTime.UtcNow;
    public ComparisonOptions Comparison { get; set; } = new();
    /// <summary>At most this many CDF lines per test (the most recent iterations are kept).</summary>
    public int MaxLadderSeries { get; set; } = 40;
    /// <summary>For a history of one label: the baseline is chosen by <see cref="LatencyBaseline"/> among this many earlier runs.</summary>
    public int BaselineCount { get; set; } = LatencyBaseline.DefaultCount;
}

/// <summary>
/// Turns runs into what the report shows: per test, the sides compared (labels, or for a history of one label the
/// latest run against the earlier ones), their per-iteration points and confidence intervals, the comparison
/// verdicts in words, the percentile ladder or CDF, and the trend over runs with the baseline.
/// </summary>
internal static class LatencyReportBuilder
{
    private static readonly string[] Palette = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf" };
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static LatencyReportModel Build(IReadOnlyList<LatencyRun> runs, ReportOptions options)
    {
        var labels = runs.Select(r => r.Label).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        string? referenceLabel = options.ReferenceLabel is { } asked
            ? labels.FirstOrDefault(l => string.Equals(l, asked, StringComparison.OrdinalIgnoreCase)) ?? throw new ArgumentException($"No run has the label '{asked}'.")
            : labels.Count > 1 ? labels[0] : null;
        // Reference first, then the others in input order: their colours stay the same in every section.
        var ordered = referenceLabel is null ? labels : labels.Where(l => l == referenceLabel).Concat(labels.Where(l => l != referenceLabel)).ToList();
        var colors = ordered.Select((l, i) => (l, Palette[i % Palette.Length])).ToDictionary(p => p.l, p => p.Item2, StringComparer.OrdinalIgnoreCase);

        var model = new LatencyReportModel
        {
            Title = options.Title,
            Generated = options.Generated.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", Inv),
            EquivalenceMargin = options.Comparison.EquivalenceMargin,
            RegressionThreshold = options.Comparison.RegressionThreshold,
            ConfidenceLevel = options.Comparison.ConfidenceLevel,
        };
        int regressions = 0, compared = 0;
        var tests = runs.Select(r => r.TestName).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        for (int t = 0; t < tests.Count; t++)
        {
            var testRuns = runs.Where(r => string.Equals(r.TestName, tests[t], StringComparison.OrdinalIgnoreCase)).ToList();
            var section = BuildSection(t, testRuns, referenceLabel, colors, options, out var comparisons);
            regressions += comparisons.Count(c => c.IsRegression);
            compared += comparisons.Count;
            model.Sections.Add(section);
        }
        model.Summary = compared == 0
            ? $"{runs.Count} run(s) of {tests.Count} test(s); nothing was compared (one run per test and label)."
            : regressions == 0
                ? $"{runs.Count} run(s) of {tests.Count} test(s); {compared} comparison(s); no regression beyond {Num(options.Comparison.RegressionThreshold)} %."
                : $"{runs.Count} run(s) of {tests.Count} test(s); {compared} comparison(s); {regressions} REGRESSION(S) beyond {Num(options.Comparison.RegressionThreshold)} %.";
        return model;
    }

    private static TestSection BuildSection(int index, List<LatencyRun> testRuns, string? referenceLabel,
        Dictionary<string, string> colors, ReportOptions options, out List<LatencyComparison> comparisons)
    {
        var first = testRuns[0];
        var kinds = testRuns.Select(r => r.LatencyKind).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var section = new TestSection
        {
            Id = "test-" + index.ToString(Inv),
            TestName = first.TestName,
            Tool = string.Join(", ", testRuns.Select(r => r.Tool).Distinct()),
            LatencyKind = string.Join(" and ", kinds.Select(KindText)),
        };
        comparisons = new List<LatencyComparison>();
        var labelsHere = testRuns.Select(r => r.Label).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        bool mixedKinds = kinds.Count > 1;
        if (mixedKinds)
        {
            section.Notes.Add("These runs do not measure the same thing (one-way latency and round trips are mixed): they are shown but not compared. Measure both sides with the same -RoundTrip setting.");
        }

        var sides = new List<(string Name, string Role, string Color, List<LatencyRun> Runs)>();
        bool history = false;
        if (referenceLabel is not null && labelsHere.Count > 1 && labelsHere.Contains(referenceLabel, StringComparer.OrdinalIgnoreCase))
        {
            var refRuns = testRuns.Where(r => Same(r.Label, referenceLabel)).ToList();
            sides.Add((referenceLabel, "reference", colors[referenceLabel], refRuns));
            foreach (string label in labelsHere.Where(l => !Same(l, referenceLabel)))
            {
                var diffRuns = testRuns.Where(r => Same(r.Label, label)).ToList();
                sides.Add((label, "difference", colors[label], diffRuns));
                if (!mixedKinds) AddComparisons(section, comparisons, refRuns, diffRuns, referenceLabel, label, options);
            }
        }
        else if (labelsHere.Count == 1 && testRuns.Count > 1)
        {
            // A history of one label (nightly runs): the latest run against the baseline, chosen among the earlier
            // runs by the module's one rule (LatencyBaseline) — the same run Select-LatencyBaseline gives the scripts.
            history = true;
            var byTime = testRuns.OrderBy(r => r.StartTime).ToList();
            var latest = byTime[^1];
            var baseline = LatencyBaseline.Select(byTime.Take(byTime.Count - 1), options.BaselineCount);
            string latestName = $"latest ({Time(latest.StartTime)})";
            int unfinished = byTime.Take(byTime.Count - 1).Count(r => !LatencyRunStatus.IsFinished(r.Status));
            if (unfinished > 0)
            {
                section.Notes.Add($"{unfinished} earlier run(s) of {first.TestName} never finished (status InProgress): never a baseline.");
            }
            if (baseline is null)
            {
                section.Notes.Add($"No earlier completed run of {first.TestName} to take a baseline from: the latest run is shown, not compared.");
                sides.Add((latestName, "latest", colors[latest.Label], new List<LatencyRun> { latest }));
            }
            else
            {
                string baseName = $"baseline ({Time(baseline.StartTime)})";
                section.Notes.Add($"Baseline: the run of {Time(baseline.StartTime)} (RunId {baseline.RunId}), {LatencyBaseline.Describe(options.BaselineCount)} before the latest.");
                sides.Add((baseName, "baseline", "#7f7f7f", new List<LatencyRun> { baseline }));
                sides.Add((latestName, "latest", colors[latest.Label], new List<LatencyRun> { latest }));
                if (!mixedKinds) AddComparisons(section, comparisons, new List<LatencyRun> { baseline }, new List<LatencyRun> { latest }, baseName, latestName, options);
            }
            section.Trend = BuildTrend(testRuns, referenceLabel, colors, baseline, options.BaselineCount);
        }
        else
        {
            foreach (string label in labelsHere)
            {
                sides.Add((label, Same(label, referenceLabel) ? "reference" : "run", colors[label], testRuns.Where(r => Same(r.Label, label)).ToList()));
            }
            if (referenceLabel is not null && !labelsHere.Contains(referenceLabel, StringComparer.OrdinalIgnoreCase))
            {
                section.Notes.Add($"No '{referenceLabel}' run of {first.TestName} was given: there is nothing to compare it with.");
            }
            else
            {
                section.Notes.Add($"One run of {first.TestName} per label: shown, not compared.");
            }
        }

        foreach (var (name, role, color, sideRuns) in sides)
        {
            var means = sideRuns.SelectMany(r => r.Samples).Select(LatencyRun.MeanOf).Where(v => v is not null).Select(v => v!.Value).ToArray();
            var (mean, low, high) = MeanInterval(means, options.Comparison.ConfidenceLevel);
            section.Labels.Add(new LabelSeries
            {
                Name = name, Role = role, Color = color, Runs = sideRuns.Count, IterationMeans = means.Select(R).ToArray(),
                Mean = mean is null ? null : R(mean.Value), CiLow = low is null ? null : R(low.Value), CiHigh = high is null ? null : R(high.Value),
                Accelerated = Accelerated(sideRuns, out int asked, out int without), OnloadRuns = asked, NotAcceleratedRuns = without,
            });
            // Lost acceleration is what admins miss: its numbers are the kernel stack's, whatever the label says.
            if (without > 0)
            {
                section.Notes.Add($"{name}: Onload was asked for but netperf ran without it in {without} of {asked} run(s) " +
                    "(libonload was not mapped in the netperf process): those numbers are the kernel stack's, not Onload's.");
            }
        }

        SetIntervalAxis(section, options.Comparison.EquivalenceMargin, options.Comparison.RegressionThreshold);
        section.Ladder = BuildLadder(sides.Select(s => (s.Name, s.Color, s.Runs)).ToList(), history, options.MaxLadderSeries);
        if (!history) section.Trend = BuildTrend(testRuns, referenceLabel, colors, null, options.BaselineCount);
        return section;
    }

    /// <summary>A side's Onload state from its runs': False when any run asked for Onload and ran without it, True when all
    /// that asked had it, Unknown when it could not be seen; null when no run asked for Onload.</summary>
    internal static string? Accelerated(IReadOnlyCollection<LatencyRun> runs, out int asked, out int without)
    {
        asked = runs.Count(r => !string.IsNullOrEmpty(r.Accelerated));
        without = runs.Count(r => r.Accelerated == AccelerationProbe.False);
        return AccelerationProbe.Combine(runs.Select(r => r.Accelerated));
    }

    private static void AddComparisons(TestSection section, List<LatencyComparison> all, List<LatencyRun> reference, List<LatencyRun> difference,
        string referenceName, string differenceName, ReportOptions options)
    {
        var results = LatencyComparer.Compare(reference, difference, options.Comparison);
        if (results.Count == 0)
        {
            section.Notes.Add($"{differenceName} vs {referenceName}: no metric has values on both sides.");
            return;
        }
        all.AddRange(results);
        var mean = results.FirstOrDefault(c => c.Metric == "Mean");
        var p99 = results.FirstOrDefault(c => c.Metric == "P99");
        var lead = mean ?? p99 ?? results[0];
        section.Verdicts.Add(new VerdictLine
        {
            Text = Headline(differenceName, referenceName, mean, p99, options.Comparison), IsHeadline = true,
            Verdict = lead.Verdict, IsRegression = (mean?.IsRegression ?? false) || (p99?.IsRegression ?? false),
            HostDifferences = results.Select(r => r.HostDifferences).FirstOrDefault(h => h is not null),
        });
        foreach (var c in results)
        {
            section.Verdicts.Add(new VerdictLine { Text = Sentence(c, differenceName, referenceName, options.Comparison), Verdict = c.Verdict, IsRegression = c.IsRegression });
            section.Intervals.Add(new MetricInterval
            {
                Metric = MetricName(c.Metric), Difference = differenceName, Verdict = c.Verdict, DeltaPercent = R(c.DeltaPercent),
                Low = c.ConfidenceIntervalLow is { } lo ? R(lo) : null, High = c.ConfidenceIntervalHigh is { } hi ? R(hi) : null,
            });
            if (c.Notes is { Length: > 0 } note && !section.Notes.Contains(note)) section.Notes.Add(note);
        }
    }

    /// <summary>
    /// The x axis of the relative-difference chart. It always holds ±max(margin, threshold) and every estimate
    /// (Δ %); beyond those it reaches to the intervals' ends, but on each side by at most twice the margin or half
    /// the span so far, whichever is more. An interval of -500 … +2,000 % next to a ±5 % margin so leaves the margin
    /// a visible band (axis -20 … +20 %) instead of a hairline, and its bar is drawn to the edge and marked
    /// clipped (unbounded intervals too).
    /// </summary>
    internal static void SetIntervalAxis(TestSection section, double margin, double threshold)
    {
        if (section.Intervals.Count == 0) return;
        double guard = Math.Max(Math.Max(margin, threshold), 1);
        double lo = Math.Min(-guard, section.Intervals.Min(i => i.DeltaPercent));
        double hi = Math.Max(guard, section.Intervals.Max(i => i.DeltaPercent));
        double reach = Math.Max(2 * guard, (hi - lo) / 2);
        double min = Math.Max(lo - reach, Math.Min(lo, section.Intervals.Min(i => i.Low ?? double.NegativeInfinity)));
        double max = Math.Min(hi + reach, Math.Max(hi, section.Intervals.Max(i => i.High ?? double.PositiveInfinity)));
        // Out to the next round tick (1, 2 or 5 × 10^k, about eight ticks), with a little air beyond the outermost
        // end, so a bar that ends exactly there is not taken for clipped.
        double pad = (max - min) * 0.02;
        double raw = (max - min) / 8, unit = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = raw <= unit ? unit : raw <= 2 * unit ? 2 * unit : raw <= 5 * unit ? 5 * unit : 10 * unit;
        section.IntervalAxisMin = R(Math.Floor((min - pad) / step) * step);
        section.IntervalAxisMax = R(Math.Ceiling((max + pad) / step) * step);
        foreach (var i in section.Intervals)
        {
            i.ClippedLow = (i.Low ?? double.NegativeInfinity) < section.IntervalAxisMin;
            i.ClippedHigh = (i.High ?? double.PositiveInfinity) > section.IntervalAxisMax;
        }
    }

    /// <summary>The sentence an admin can defend, from the mean and p99 comparisons.</summary>
    public static string Headline(string difference, string reference, LatencyComparison? mean, LatencyComparison? p99, ComparisonOptions o)
    {
        string Part(LatencyComparison c, string what) => c.Verdict switch
        {
            LatencyVerdict.Equivalent => $"adds no measurable latency at the {what} (within ±{Num(o.EquivalenceMargin)} %)",
            LatencyVerdict.Slower => $"adds {Num(Math.Abs(c.Delta))} µs {Interval(c)} at the {what}",
            LatencyVerdict.Faster => $"is {Num(Math.Abs(c.Delta))} µs faster {Interval(c)} at the {what}",
            _ => $"cannot be told apart at the {what} either way (inconclusive)",
        };
        var parts = new List<string>();
        if (mean is not null) parts.Add(Part(mean, "mean"));
        if (p99 is not null) parts.Add(Part(p99, "p99"));
        if (parts.Count == 0) return $"{difference} against {reference}: see the metrics below.";
        bool regression = (mean?.IsRegression ?? false) || (p99?.IsRegression ?? false);
        // Each label is named once: the sentence says who is compared, then "it" for the difference.
        return $"Against {reference}, {difference} {string.Join("; it ", parts)}." + (regression ? " This is a REGRESSION." : "");
    }

    private static string Interval(LatencyComparison c) =>
        c.ConfidenceIntervalLow is { } lo && c.ConfidenceIntervalHigh is { } hi
            ? $"({Signed(c.DeltaPercent)} %, {Num(c.ConfidenceLevel * 100)} % CI {Signed(lo)} to {Signed(hi)} %)"
            : $"({Signed(c.DeltaPercent)} %, confidence interval unbounded)";

    /// <summary>One comparison in words: direction, size, interval, p-value, method and verdict.</summary>
    public static string Sentence(LatencyComparison c, string difference, string reference, ComparisonOptions o)
    {
        bool rate = !c.LowerIsBetter;
        bool jitter = c.Metric == "StdDev";   // less jitter is steadier, not faster
        string direction = c.Delta == 0 ? "is equal to"
            : rate ? (c.Delta > 0 ? "is higher than" : "is lower than")
            : jitter ? (c.Delta > 0 ? "has more jitter than" : "has less jitter than")
            : (c.Delta > 0 ? "is slower than" : "is faster than");
        string size = $"{Num(Math.Abs(c.Delta))} {c.Unit} ({Signed(c.DeltaPercent)} %)";
        string ci = c.ConfidenceIntervalLow is { } lo && c.ConfidenceIntervalHigh is { } hi
            ? $"{Num(c.ConfidenceLevel * 100)} % CI of the difference {Signed(lo)} % to {Signed(hi)} %"
            : "the confidence interval is unbounded with so few iterations";
        string p = c.PValue is { } pv ? (pv < 0.001 ? ", p < 0.001" : $", p = {pv.ToString("0.###", Inv)}") : "";
        string verdict = c.Verdict switch
        {
            LatencyVerdict.Equivalent => $"Equivalent: no measurable difference (the interval lies within ±{Num(c.EquivalenceMargin)} %)",
            LatencyVerdict.Slower => rate ? "Slower: significantly lower rate" : jitter ? "More jitter: significantly less steady" : "Slower: significantly slower",
            LatencyVerdict.Faster => rate ? "Faster: significantly higher rate" : jitter ? "Less jitter: significantly steadier" : "Faster: significantly faster",
            _ => "Inconclusive: not enough evidence either way",
        };
        string regression = c.IsRegression ? $" REGRESSION: {(jitter ? "more jitter" : "slower")} by more than {Num(c.RegressionThreshold)} % with confidence." : "";
        return $"{MetricName(c.Metric)}: {difference} {direction} {reference} by {size}; {ci}{p} ({c.Method}; {c.ReferenceCount} vs {c.DifferenceCount} iterations). {verdict}.{regression}";
    }

    public static string MetricName(string metric) => metric switch
    {
        "Mean" => "Mean latency",
        "P50" => "p50",
        "P99" => "p99 (per iteration)",
        "Min" => "Minimum",
        "StdDev" => "Jitter (std-dev within iterations)",
        "TransactionRate" => "Transaction rate",
        _ => metric,
    };

    private static Ladder? BuildLadder(List<(string Name, string Color, List<LatencyRun> Runs)> sides, bool history, int max)
    {
        var series = new List<(DateTime Time, LadderSeries S)>();
        bool full = false;
        foreach (var (name, color, sideRuns) in sides)
        {
            foreach (var run in sideRuns)
            {
                foreach (var s in run.Samples)
                {
                    double[] ps, ls;
                    if (s.DistributionPercentiles is { Length: > 1 } dp && s.DistributionLatencies is { } dl && dl.Length == dp.Length)
                    {
                        ps = dp;
                        ls = dl;
                        full = true;
                    }
                    else
                    {
                        var points = new (double P, double? V)[]
                        {
                            (0, s.MinLatency), (50, s.P50Latency), (90, s.P90Latency), (99, s.P99Latency), (99.9, s.P999Latency),
                            (99.99, s.P9999Latency), (99.999, s.P99999Latency), (100, s.MaxLatency),
                        }.Where(x => x.V is not null).ToArray();
                        if (points.Count(x => x.P is > 0 and < 100) < 2) continue;
                        ps = points.Select(x => x.P).ToArray();
                        ls = points.Select(x => R(x.V!.Value)).ToArray();
                    }
                    string what = sideRuns.Count > 1 ? $"{name} {Time(run.StartTime)} #{s.Iteration}" : $"{name} #{s.Iteration}";
                    series.Add((s.StartTime, new LadderSeries { Name = what, Color = color, Percentiles = ps, Latencies = ls }));
                }
            }
        }
        if (series.Count == 0) return null;
        var kept = series.Count <= max ? series : series.OrderByDescending(x => x.Time).Take(max).ToList();
        var shown = series.Where(kept.Contains).Select(x => x.S).ToList();
        // The axis goes as far as a percentile was measured (netperf: p99), never through percentiles no run has.
        var measured = shown.SelectMany(x => x.Percentiles).Where(p => p is > 0 and < 100).Distinct().OrderBy(p => p).ToArray();
        return new Ladder
        {
            Source = full ? "full distribution (every round trip)" : "summary percentiles",
            Series = shown,
            MeasuredPercentiles = measured,
            TopPercentile = measured.Length > 0 ? measured[^1] : 0,
            HasMax = shown.Any(x => x.Percentiles.Contains(100)),
        };
    }

    private static Trend? BuildTrend(List<LatencyRun> testRuns, string? referenceLabel, Dictionary<string, string> colors, LatencyRun? historyBaseline, int baselineCount)
    {
        var byLabel = testRuns.GroupBy(r => r.Label, StringComparer.OrdinalIgnoreCase).ToList();
        if (!byLabel.Any(g => g.Count() > 1)) return null;
        var times = testRuns.Select(r => r.StartTime).Distinct().OrderBy(t => t).ToList();
        var trend = new Trend { Times = times.Select(Time).ToArray() };
        foreach (var g in byLabel)
        {
            var values = new double?[times.Count];
            var ids = new string?[times.Count];
            foreach (var run in g)
            {
                int i = times.IndexOf(run.StartTime);
                values[i] = run.MeanLatency is { } m ? R(m) : null;
                ids[i] = run.RunId;
            }
            trend.Series.Add(new TrendSeries { Name = g.Key, Color = colors[g.Key], Values = values, RunIds = ids });
        }
        if (historyBaseline is not null)
        {
            trend.Baseline = historyBaseline.MeanLatency is { } b ? R(b) : null;
            trend.BaselineDescription = $"baseline: run of {Time(historyBaseline.StartTime)}, {LatencyBaseline.Describe(baselineCount)}";
        }
        else if (referenceLabel is not null && testRuns.Any(r => Same(r.Label, referenceLabel)))
        {
            var refs = testRuns.Where(r => Same(r.Label, referenceLabel)).Select(r => r.MeanLatency).ToList();
            trend.Baseline = LatencyStatistics.Median(refs) is { } b ? R(b) : null;
            trend.BaselineDescription = $"baseline: median of the {refs.Count} '{referenceLabel}' run(s)";
        }
        return trend;
    }

    /// <summary>Mean of the values and its t-interval (null bounds with fewer than two values).</summary>
    public static (double? Mean, double? Low, double? High) MeanInterval(double[] values, double level)
    {
        if (values.Length == 0) return (null, null, null);
        double mean = values.Average();
        if (values.Length < 2) return (mean, null, null);
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
        double half = StudentT.Quantile(0.5 + level / 2, values.Length - 1) * sd / Math.Sqrt(values.Length);
        return (mean, mean - half, mean + half);
    }

    private static bool Same(string a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    private static string KindText(string kind) => kind == "OneWay" ? "one-way latency (half the round trip)" : "round-trip latency";
    private static string Time(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", Inv);
    private static double R(double v) => Math.Round(v, 3);
    private static string Num(double v) => v.ToString("0.###", Inv);
    private static string Signed(double v) => v.ToString("+0.0;-0.0;0.0", Inv);
}
