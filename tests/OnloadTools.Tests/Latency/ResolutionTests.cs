using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

/// <summary>
/// Resolution is part of the data: what a reported value stands for (MetricResolution), how a comparison widens its
/// interval by it, and that a one-bucket step of netperf's P50 is never a Slower or a regression by itself.
/// </summary>
public class ResolutionTests
{
    private static readonly ComparisonOptions Defaults = new();

    /// <summary>A netperf run (its samples carry netperf's command line) with exactly these per-iteration values.</summary>
    internal static LatencyRun NetperfRun(string label, double[] p50, double[] means, string? commandLine = "netperf -H 127.0.0.1 -t TCP_RR -l 1 -- -k MIN_LATENCY")
    {
        var run = SyntheticRuns.Make(label, "TCP_RR", 20, 0, p50.Length, 1);
        for (int i = 0; i < p50.Length; i++)
        {
            var s = run.Samples[i];
            s.P50Latency = p50[i];
            s.MeanLatency = means[i];
            s.MinLatency = 16;
            s.P99Latency = 30;
            s.StdDevLatency = 3.5;
            s.TransactionRate = Math.Round(1e6 / means[i], 3);
            s.CommandLine = commandLine ?? "";
        }
        return run;
    }

    // ---- what a netperf value stands for: the histogram of HIST_add, ported here from netlib.c ----

    /// <summary>HIST_add's bucket of a whole-µs time (netlib.c: float val, divided by 10 per decade; index (int)(val × 10)).</summary>
    private static (int Row, int Index) HistAdd(int timeDelta)
    {
        float val = timeDelta;
        int row = 0;
        while (val >= 10 && row < 8) { val /= 10; row++; }
        return (row, (int)(val * 10));
    }

    [Fact]
    public void Netperf_bucket_widths_are_those_of_its_histogram()
    {
        // Every whole µs up to 100 ms, grouped by the bucket netlib.c's HIST_add puts it in: a bucket holding k
        // consecutive µs values is k µs wide.
        int start = 0;
        var bucket = HistAdd(0);
        int checkedBuckets = 0;
        for (int t = 1; t <= 100_000; t++)
        {
            var b = HistAdd(t);
            if (b == bucket) continue;
            for (int v = start; v < t; v++)
            {
                Assert.Equal(t - start, MetricResolution.NetperfBucketWidth(v));
            }
            checkedBuckets++;
            (start, bucket) = (t, b);
        }
        Assert.True(checkedBuckets > 300);
        Assert.Equal(1, MetricResolution.NetperfBucketWidth(19));
        Assert.Equal(1, MetricResolution.NetperfBucketWidth(99));
        Assert.Equal(10, MetricResolution.NetperfBucketWidth(100));
        Assert.Equal(10, MetricResolution.NetperfBucketWidth(866));
        Assert.Equal(100, MetricResolution.NetperfBucketWidth(1000));
    }

    [Fact]
    public void A_netperf_value_stands_for_its_bucket_and_the_whole_microsecond_clock()
    {
        var netperf = MetricResolution.ForTool("netperf");
        Assert.Equal((18, 20), netperf.TrueRange("P50", 19));          // bucket [19, 20), clock −1
        Assert.Equal((859, 870), netperf.TrueRange("P99", 866));       // bucket [860, 870) holds the interpolated 866
        Assert.Equal((15, 17), netperf.TrueRange("Min", 16));
        Assert.Equal(2, netperf.Width("P50", 20));
        var (lo, hi) = netperf.TrueRange("Mean", 52.24);
        Assert.Equal(52.235, lo, 9);
        Assert.Equal(52.245, hi, 9);
        var sockperf = MetricResolution.ForTool("sockperf");
        Assert.Equal(0.001, sockperf.Width("P50", 6.222), 12);
        var unknown = MetricResolution.ForTool(null);
        Assert.Equal((19.37, 19.37), unknown.TrueRange("P50", 19.37));
        Assert.False(unknown.IsKnown);
    }

    [Theory]
    [InlineData("netperf -H 127.0.0.1 -t TCP_RR", "netperf")]
    [InlineData("/usr/bin/netperf -H 127.0.0.1", "netperf")]
    [InlineData("onload --profile=latency netperf -H 10.0.0.2 -t UDP_RR", "netperf")]
    [InlineData("podman exec ot-client-1 sockperf ping-pong -i 127.0.0.1", "sockperf")]
    [InlineData("'/opt/sockperf/bin/sockperf' under-load", "sockperf")]
    [InlineData("netperf-wrapper --x", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_tool_is_the_program_named_in_the_command_line(string? commandLine, string? tool) =>
        Assert.Equal(tool, MetricResolution.ToolInCommandLine(commandLine));

    [Fact]
    public void A_run_without_a_command_line_is_of_unknown_resolution_unless_it_says_sockperf()
    {
        var bare = NetperfRun("old", new double[] { 19, 19, 19 }, new double[] { 20, 20, 20 }, commandLine: null);
        Assert.Equal("netperf", bare.Tool);   // LatencyRun.Tool's default: not proof of netperf
        Assert.Equal("unknown", MetricResolution.Of(new[] { bare }).Tool);
        bare.Tool = "sockperf";
        Assert.Equal("sockperf", MetricResolution.Of(new[] { bare }).Tool);
        var mixed = new[] { NetperfRun("a", new double[] { 19 }, new double[] { 20 }), bare };
        Assert.Equal("netperf", MetricResolution.Of(mixed).Tool);   // the coarser wins
    }

    // ---- the issue: all-19 against all-20, the mean +2 % ----

    [Fact]
    public void A_one_bucket_P50_step_with_the_mean_two_percent_higher_is_no_regression_on_any_metric()
    {
        var reference = NetperfRun("last-night", new double[] { 19, 19, 19, 19 }, new double[] { 20.00, 20.10, 19.95, 20.05 });
        var difference = NetperfRun("tonight", new double[] { 20, 20, 20, 20 }, new double[] { 20.42, 20.48, 20.36, 20.50 });
        var results = LatencyComparer.Compare(new[] { reference }, new[] { difference }, Defaults);
        Assert.Equal(LatencyComparer.AllMetrics.Where(m => m != "P999").Order(), results.Select(r => r.Metric).Order());   // netperf: no p99.9
        Assert.All(results, c => Assert.False(c.IsRegression, $"{c.Metric}: {c.Verdict} [{c.ConfidenceIntervalLow}, {c.ConfidenceIntervalHigh}]"));

        var p50 = results.Single(c => c.Metric == "P50");
        // What decided before: the rank test on the reported values. Exact enumeration: of the C(8, 4) = 70 ways to
        // place the four difference values among the eight, two are as extreme as this one (all above, all below).
        Assert.Equal(2.0 / 70, p50.PValue!.Value, 12);
        Assert.Equal(100.0 / 19, p50.StatisticalIntervalLow!.Value, 9);
        Assert.Equal(100.0 / 19, p50.StatisticalIntervalHigh!.Value, 9);
        // Resolution: 19 stands for [18, 20], 20 for [19, 21]. Lower bound 19 against 20, upper 21 against 18.
        Assert.Equal(-5, p50.ConfidenceIntervalLow!.Value, 9);
        Assert.Equal(100.0 * 3 / 18, p50.ConfidenceIntervalHigh!.Value, 9);
        Assert.True(p50.BelowResolution);
        Assert.Equal(LatencyVerdict.Inconclusive, p50.Verdict);
        Assert.Equal(2, p50.ReferenceResolution);
        Assert.Equal(2, p50.DifferenceResolution);
        Assert.Contains("netperf", p50.ResolutionBasis);
        Assert.Contains("below the tools' resolution", p50.Notes);
        Assert.Equal((p50.ConfidenceIntervalHigh - p50.ConfidenceIntervalLow) / 2, p50.PrecisionPercent);

        // The mean moved +2 %: measurable (netperf's mean resolves 0.01 µs: the widening is a few thousandths of a %),
        // and inside the ±5 % margin.
        var mean = results.Single(c => c.Metric == "Mean");
        Assert.False(mean.BelowResolution);
        Assert.Equal(LatencyVerdict.Equivalent, mean.Verdict);
        Assert.InRange(mean.ConfidenceIntervalLow!.Value, 0.5, 2);
        Assert.InRange(mean.ConfidenceIntervalHigh!.Value, 2, 5);
        Assert.InRange(mean.StatisticalIntervalLow!.Value - mean.ConfidenceIntervalLow.Value, 1e-4, 0.1);
    }

    [Fact]
    public void The_same_runs_without_a_tool_are_still_compared_on_the_reported_values()
    {
        // Older files, hashtables: no command line, so resolution unknown (0) and no widening; the basis says so.
        var reference = NetperfRun("a", new double[] { 19, 19, 19, 19 }, new double[] { 20, 20.1, 19.95, 20.05 }, commandLine: null);
        var difference = NetperfRun("b", new double[] { 20, 20, 20, 20 }, new double[] { 20.42, 20.48, 20.36, 20.5 }, commandLine: null);
        var p50 = LatencyComparer.Compare(new[] { reference }, new[] { difference }, Defaults).Single(c => c.Metric == "P50");
        Assert.Equal(p50.StatisticalIntervalLow, p50.ConfidenceIntervalLow);
        Assert.Equal(0, p50.ReferenceResolution);
        Assert.False(p50.BelowResolution);
        Assert.Contains("unknown tool", p50.ResolutionBasis);
        Assert.Contains("no widening", p50.ResolutionBasis);
        Assert.Equal(LatencyVerdict.Slower, p50.Verdict);
    }

    [Fact]
    public void A_step_of_several_buckets_is_still_found()
    {
        var reference = NetperfRun("a", new double[] { 19, 19, 20, 19, 19, 19, 20, 19 }, Enumerable.Repeat(20.0, 8).ToArray());
        var difference = NetperfRun("b", new double[] { 25, 26, 25, 25, 26, 25, 25, 25 }, Enumerable.Repeat(26.0, 8).ToArray());
        var p50 = LatencyComparer.Compare(new[] { reference }, new[] { difference }, Defaults).Single(c => c.Metric == "P50");
        Assert.False(p50.BelowResolution);
        Assert.Equal(LatencyVerdict.Slower, p50.Verdict);
        Assert.True(p50.IsRegression);   // at worst 25 against 21 (14 of the 64 pairs lower): +19 %
        Assert.True(p50.ConfidenceIntervalLow < p50.StatisticalIntervalLow);
    }

    // ---- the widened rank interval against an independent reference ----

    /// <summary>The Hodges-Lehmann interval of the ratio written out here: the (c+1)-th smallest and largest of all pairwise
    /// ratios, c the exact critical value by enumeration (ExactRankReference).</summary>
    private static (double Low, double High) NaiveRatioInterval(double[] r, double[] d, double level)
    {
        var (counts, total) = ExactRankReference.UDistribution(r.Length, d.Length);
        int c = ExactRankReference.LowerCriticalValue(counts, total, (1 - level) / 2);
        var ratios = (from y in d from x in r select y / x).Order().ToArray();
        return (ratios[c], ratios[^(c + 1)]);
    }

    [Fact]
    public void The_widened_rank_interval_covers_every_set_of_true_values_the_reported_ones_allow_and_no_more()
    {
        var netperf = MetricResolution.ForTool("netperf");
        var rng = new Random(20261207);
        for (int trial = 0; trial < 300; trial++)
        {
            int m = rng.Next(4, 8), n = rng.Next(4, 8);
            int centre = rng.Next(2, 3) == 2 ? rng.Next(15, 99) : rng.Next(100, 400);
            double[] Draw(int k, int shift) => Enumerable.Range(0, k).Select(_ => (double)(centre + shift + rng.Next(-2, 3) * (centre >= 100 ? 7 : 1))).ToArray();
            double[] r = Draw(m, 0), d = Draw(n, rng.Next(-2, 3));
            var (lo, hi) = MannWhitneyTest.ResolvedPercentInterval(r, d, v => netperf.TrueRange("P50", v), v => netperf.TrueRange("P50", v), 0.95);
            Assert.NotNull(lo);
            Assert.NotNull(hi);
            // Attained: the corner (difference at its lows, reference at its highs) gives exactly the lower bound, and so on.
            var corner = NaiveRatioInterval(r.Select(v => netperf.TrueRange("P50", v).High).ToArray(), d.Select(v => netperf.TrueRange("P50", v).Low).ToArray(), 0.95);
            Assert.Equal(100 * (corner.Low - 1), lo!.Value, 9);
            var other = NaiveRatioInterval(r.Select(v => netperf.TrueRange("P50", v).Low).ToArray(), d.Select(v => netperf.TrueRange("P50", v).High).ToArray(), 0.95);
            Assert.Equal(100 * (other.High - 1), hi!.Value, 9);
            // Covers: any true values inside the ranges give an interval inside the widened one.
            for (int k = 0; k < 20; k++)
            {
                double True(double v) { var (a, b) = netperf.TrueRange("P50", v); return a + (b - a) * rng.NextDouble(); }
                var truth = NaiveRatioInterval(r.Select(True).ToArray(), d.Select(True).ToArray(), 0.95);
                Assert.InRange(100 * (truth.Low - 1), lo.Value - 1e-9, double.PositiveInfinity);
                Assert.InRange(100 * (truth.High - 1), double.NegativeInfinity, hi.Value + 1e-9);
            }
            // And with no resolution it is the unwidened interval.
            var plain = MannWhitneyTest.Run(r, d, 0.95);
            var same = MannWhitneyTest.ResolvedPercentInterval(r, d, v => (v, v), v => (v, v), 0.95);
            Assert.Equal(plain.PercentLow!.Value, same.Low!.Value, 9);
            Assert.Equal(plain.PercentHigh!.Value, same.High!.Value, 9);
        }
    }

    [Fact]
    public void The_widened_mean_interval_covers_every_shift_of_the_means_the_resolution_allows()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            int nR = rng.Next(3, 10), nD = rng.Next(3, 10);
            double[] r = Enumerable.Range(0, nR).Select(_ => 20 + rng.NextDouble()).ToArray();
            double[] d = Enumerable.Range(0, nD).Select(_ => 20.5 + rng.NextDouble()).ToArray();
            double rb = rng.NextDouble(), ra = rng.NextDouble(), db = rng.NextDouble(), da = rng.NextDouble();
            var (lo, hi) = WelchTest.ResolvedPercentInterval(r, d, 0.95, rb, ra, db, da);
            for (int k = 0; k < 20; k++)
            {
                double sr = -rb + (rb + ra) * rng.NextDouble(), sd = -db + (db + da) * rng.NextDouble();
                var shifted = WelchTest.Run(r.Select(v => v + sr).ToArray(), d.Select(v => v + sd).ToArray(), 0.95);
                Assert.InRange(shifted.PercentLow!.Value, lo!.Value - 1e-9, double.PositiveInfinity);
                Assert.InRange(shifted.PercentHigh!.Value, double.NegativeInfinity, hi!.Value + 1e-9);
            }
            var plain = WelchTest.Run(r, d, 0.95);
            var same = WelchTest.ResolvedPercentInterval(r, d, 0.95, 0, 0, 0, 0);
            Assert.Equal(plain.PercentLow, same.Low);
            Assert.Equal(plain.PercentHigh, same.High);
        }
    }

    // ---- the verdict and p never disagree ----

    [Fact]
    public void Slower_or_Faster_always_has_p_below_alpha_and_an_interval_beyond_zero_and_the_notes_explain_a_disagreement()
    {
        // Every pair of five-iteration samples of whole-µs values 19, 20, 21 (ties everywhere), with the tool unknown
        // (no widening) and as netperf (widened).
        var multisets = new List<double[]>();
        for (int a = 0; a <= 5; a++)
            for (int b = 0; a + b <= 5; b++)
                multisets.Add(Enumerable.Repeat(19.0, a).Concat(Enumerable.Repeat(20.0, b)).Concat(Enumerable.Repeat(21.0, 5 - a - b)).ToArray());
        int disagreements = 0, decided = 0;
        foreach (string? commandLine in new[] { null, "netperf -H 127.0.0.1" })
        {
            foreach (var r in multisets)
            {
                foreach (var d in multisets)
                {
                    var c = LatencyComparer.Compare(
                        new[] { NetperfRun("a", r, r, commandLine) }, new[] { NetperfRun("b", d, d, commandLine) },
                        new ComparisonOptions { Metrics = new[] { "P50" } }).Single();
                    bool significant = c.PValue < 0.05;
                    if (c.Verdict is LatencyVerdict.Slower or LatencyVerdict.Faster)
                    {
                        decided++;
                        Assert.True(significant);
                        Assert.True(c.Verdict == LatencyVerdict.Slower ? c.ConfidenceIntervalLow > 0 : c.ConfidenceIntervalHigh < 0);
                        Assert.False(c.BelowResolution);
                    }
                    else if (significant && c.Verdict == LatencyVerdict.Inconclusive)
                    {
                        disagreements++;
                        Assert.True(c.BelowResolution || c.ConfidenceIntervalLow <= 0 && c.ConfidenceIntervalHigh >= 0);
                        Assert.Matches("interval.*reaches 0|below the tools' resolution", c.Notes);
                    }
                    if (commandLine is not null && Math.Abs(c.Delta) <= 1)
                    {
                        Assert.True(c.BelowResolution);   // a one-bucket step of the medians: never decided by itself
                        Assert.DoesNotContain(c.Verdict, new[] { LatencyVerdict.Slower, LatencyVerdict.Faster });
                    }
                }
            }
        }
        Assert.True(decided > 0);
        Assert.True(disagreements > 0, "the rule is exercised: some p < 0.05 comparisons have an interval reaching 0");
    }

    [Fact]
    public void The_comparison_says_whether_each_side_ran_accelerated()
    {
        var a = NetperfRun("bare", new double[] { 19, 19, 19 }, new double[] { 20, 20, 20 });
        var b = NetperfRun("onload", new double[] { 9, 9, 9 }, new double[] { 10, 10, 10 });
        var b2 = NetperfRun("onload", new double[] { 9, 9, 9 }, new double[] { 10, 10, 10 });
        b.Accelerated = "True";
        b2.Accelerated = "False";
        var c = LatencyComparer.Compare(new[] { a }, new[] { b }, Defaults).First();
        Assert.Null(c.ReferenceAccelerated);
        Assert.Equal("True", c.DifferenceAccelerated);
        c = LatencyComparer.Compare(new[] { a }, new[] { b, b2 }, Defaults).First();
        Assert.Equal("False", c.DifferenceAccelerated);
    }
}
