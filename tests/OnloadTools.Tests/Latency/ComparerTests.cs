using CsCheck;
using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

/// <summary>LatencyComparer's verdicts on synthetic runs with known answers.</summary>
public class ComparerTests
{
    private static readonly ComparisonOptions Defaults = new();

    [Fact]
    public void Identical_samples_are_Equivalent_on_every_metric()
    {
        var a = SyntheticRuns.Make("bare-metal", "TCP_RR", 20, 0.02, 10, seed: 1);
        var b = SyntheticRuns.Make("container", "TCP_RR", 20, 0.02, 10, seed: 1);
        var results = LatencyComparer.Compare(new[] { a }, new[] { b }, Defaults);
        // netperf-like samples: every metric but P999 (netperf reports no p99.9; a metric no side reports is skipped)
        Assert.Equal(LatencyComparer.AllMetrics.Where(m => m != "P999").Order(), results.Select(r => r.Metric).Order());
        foreach (var c in results)
        {
            Assert.Equal("Equivalent", c.Verdict);
            Assert.False(c.IsRegression);
            Assert.Equal(0, c.DeltaPercent, 9);
            Assert.True(c.ConfidenceIntervalLow <= 0 && c.ConfidenceIntervalHigh >= 0, $"{c.Metric}: CI must contain 0");
            Assert.True(c.PValue > 0.5, $"{c.Metric}: p = {c.PValue}");
            Assert.Equal("bare-metal", c.ReferenceLabel);
            Assert.Equal("container", c.DifferenceLabel);
            Assert.Equal(10, c.ReferenceCount);
            Assert.Equal(10, c.DifferenceValues.Length);
        }
    }

    [Fact]
    public void A_twenty_percent_shift_with_low_noise_is_a_significant_slowdown_and_a_regression()
    {
        var a = SyntheticRuns.Make("bare-metal", "TCP_RR", 20, 0.02, 8, seed: 2);
        var b = SyntheticRuns.Make("container", "TCP_RR", 24, 0.02, 8, seed: 3);
        var results = LatencyComparer.Compare(new[] { a }, new[] { b }, Defaults).ToDictionary(r => r.Metric);
        foreach (string metric in new[] { "Mean", "P50", "P99", "Min", "StdDev" })
        {
            var c = results[metric];
            Assert.Equal("Slower", c.Verdict);
            Assert.True(c.PValue < 0.05, $"{metric}: p = {c.PValue}");
            Assert.InRange(c.DeltaPercent, 12, 28);
            Assert.True(c.ConfidenceIntervalLow > 5, $"{metric}: CI low {c.ConfidenceIntervalLow}");
            Assert.True(c.IsRegression, metric);
        }
        // A 20 % longer round trip is a lower transaction rate: also Slower, with a negative delta.
        var rate = results["TransactionRate"];
        Assert.Equal("Slower", rate.Verdict);
        Assert.False(rate.LowerIsBetter);
        Assert.True(rate.DeltaPercent < -10);
        Assert.True(rate.ConfidenceIntervalHigh < 0);
        Assert.True(rate.IsRegression);
        Assert.Equal(results["Mean"].DifferenceValue - results["Mean"].ReferenceValue, results["Mean"].Delta, 9);
    }

    [Fact]
    public void The_reverse_shift_is_Faster_and_never_a_regression()
    {
        var a = SyntheticRuns.Make("bare-metal", "UDP_RR", 24, 0.02, 8, seed: 4);
        var b = SyntheticRuns.Make("onload", "UDP_RR", 20, 0.02, 8, seed: 5);
        foreach (var c in LatencyComparer.Compare(new[] { a }, new[] { b }, Defaults))
        {
            Assert.Equal("Faster", c.Verdict);
            Assert.False(c.IsRegression);
        }
    }

    [Fact]
    public void Two_samples_of_three_noisy_values_are_Inconclusive_not_Equivalent()
    {
        var a = SyntheticRuns.WithMeans("bare-metal", "TCP_RR", 18, 25, 21);
        var b = SyntheticRuns.WithMeans("container", "TCP_RR", 23, 17, 22);
        var results = LatencyComparer.Compare(new[] { a }, new[] { b }, Defaults);
        Assert.NotEmpty(results);
        Assert.All(results, c => Assert.Equal("Inconclusive", c.Verdict));
        Assert.All(results, c => Assert.False(c.IsRegression));
        // The rank-based metrics cannot even form a 95 % interval from 3 vs 3: it is reported as unbounded.
        var p99 = results.Single(c => c.Metric == "P99");
        Assert.Null(p99.ConfidenceIntervalLow);
        Assert.Contains("at least 4 per side", p99.Notes);
        Assert.Equal(1.0, p99.PValue!.Value, 9);
    }

    [Fact]
    public void Fewer_iterations_than_the_minimum_are_Inconclusive_with_a_note_even_when_the_data_look_clear()
    {
        var a = SyntheticRuns.WithMeans("a", "TCP_RR", 10.0, 10.01);
        var b = SyntheticRuns.WithMeans("b", "TCP_RR", 20.0, 20.01);
        var mean = LatencyComparer.Compare(new[] { a }, new[] { b }, Defaults).Single(c => c.Metric == "Mean");
        Assert.True(mean.PValue < 0.05);
        Assert.Equal("Inconclusive", mean.Verdict);
        Assert.Contains("Too few iterations", mean.Notes);
    }

    [Fact]
    public void A_significant_but_small_shift_is_Equivalent_within_the_margin_and_Slower_but_no_regression_outside_it()
    {
        var a = SyntheticRuns.Make("a", "TCP_RR", 20, 0.002, 10, seed: 8);
        var b = SyntheticRuns.Make("b", "TCP_RR", 20.4, 0.002, 10, seed: 9);   // +2 %
        var within = LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { Metrics = new[] { "Mean" } }).Single();
        Assert.True(within.PValue < 0.05);
        Assert.Equal("Equivalent", within.Verdict);

        var tight = LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { Metrics = new[] { "mean" }, EquivalenceMargin = 1 }).Single();
        Assert.Equal("Slower", tight.Verdict);
        Assert.False(tight.IsRegression);   // slower by ~2 %, threshold 5 %
        var strict = LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { Metrics = new[] { "Mean" }, EquivalenceMargin = 1, RegressionThreshold = 1 }).Single();
        Assert.True(strict.IsRegression);
    }

    [Fact]
    public void Runs_are_paired_by_test_name_and_several_runs_of_a_test_are_pooled()
    {
        var refs = new[]
        {
            SyntheticRuns.Make("bm", "TCP_RR", 20, 0.02, 4, 1), SyntheticRuns.Make("bm", "TCP_RR", 20, 0.02, 4, 2),
            SyntheticRuns.Make("bm", "UDP_RR", 18, 0.02, 5, 3),
        };
        var diffs = new[] { SyntheticRuns.Make("ct", "tcp_rr", 20, 0.02, 5, 4), SyntheticRuns.Make("ct", "TCP_CRR", 50, 0.02, 5, 5) };
        var results = LatencyComparer.Compare(refs, diffs, new ComparisonOptions { Metrics = new[] { "Mean", "P99" } });
        Assert.Equal(2, results.Count);
        Assert.All(results, c => Assert.Equal("TCP_RR", c.TestName));
        Assert.All(results, c => Assert.Equal(8, c.ReferenceCount));
        Assert.All(results, c => Assert.Equal(2, c.ReferenceRunId.Length));
    }

    [Fact]
    public void A_metric_the_tool_did_not_report_is_left_out()
    {
        var a = SyntheticRuns.Make("a", "TCP_RR", 20, 0.02, 5, 1);
        var b = SyntheticRuns.Make("b", "TCP_RR", 20, 0.02, 5, 2);
        foreach (var s in a.Samples) s.P99Latency = null;
        var results = LatencyComparer.Compare(new[] { a }, new[] { b });
        Assert.DoesNotContain(results, c => c.Metric == "P99");
        Assert.Contains(results, c => c.Metric == "Mean");
    }

    [Fact]
    public void Unknown_metric_names_are_rejected()
    {
        var a = SyntheticRuns.Make("a", "TCP_RR", 20, 0.02, 5, 1);
        Assert.Throws<ArgumentException>(() => LatencyComparer.Compare(new[] { a }, new[] { a }, new ComparisonOptions { Metrics = new[] { "P42" } }));
    }

    [Fact]
    public void Verdicts_are_consistent_with_the_interval_and_the_p_value_on_random_data()
    {
        // Property: whatever the data, Equivalent ⇒ CI inside the margin; Slower/Faster ⇒ p < α and CI excludes 0;
        // IsRegression ⇒ Slower.
        Gen.Select(Gen.Int[3, 12], Gen.Int[3, 12], Gen.Double[0.7, 1.4], Gen.Double[0.001, 0.3], Gen.Int)
            .Sample((n1, n2, shift, noise, seed) =>
            {
                var a = SyntheticRuns.Make("a", "TCP_RR", 20, noise, n1, seed);
                var b = SyntheticRuns.Make("b", "TCP_RR", 20 * shift, noise, n2, seed + 1);
                foreach (var c in LatencyComparer.Compare(new[] { a }, new[] { b }))
                {
                    if (c.Verdict == "Equivalent") Assert.True(c.ConfidenceIntervalLow >= -5 && c.ConfidenceIntervalHigh <= 5);
                    if (c.Verdict is "Slower" or "Faster")
                    {
                        Assert.True(c.PValue < 0.05);
                        Assert.True(c.ConfidenceIntervalLow > 0 || c.ConfidenceIntervalHigh < 0);
                    }
                    if (c.IsRegression) Assert.Equal("Slower", c.Verdict);
                    if (c.ConfidenceIntervalLow is { } lo && c.ConfidenceIntervalHigh is { } hi) Assert.True(lo <= hi);
                }
            }, iter: 300);
    }

    // ---- Issue 10: decisions exactly at the margin and the threshold, the same rule on every metric ----

    /// <summary>A run whose every iteration reports <paramref name="latency"/> for every latency metric and
    /// <paramref name="rate"/> as the transaction rate.</summary>
    internal static LatencyRun Constant(string label, double latency, double rate, int iterations = 5)
    {
        var run = SyntheticRuns.Make(label, "TCP_RR", latency, 0, iterations, 1);
        foreach (var s in run.Samples)
        {
            s.MeanLatency = s.P50Latency = s.P99Latency = s.P999Latency = s.MinLatency = s.StdDevLatency = latency;
            s.TransactionRate = rate;
        }
        return run;
    }

    public static readonly TheoryData<double, double> ExactlyFivePercentSlower = new()
    {
        // reference, difference latency exactly 5 % higher (the rate case uses reference − 5 %).
        { 20, 21 }, { 10, 10.5 }, { 100, 105 }, { 40, 42 }, { 19, 19.95 }, { 15.3, 16.065 },
    };

    [Theory]
    [MemberData(nameof(ExactlyFivePercentSlower))]
    public void A_slowdown_of_exactly_the_threshold_is_no_regression_on_any_metric_and_just_above_it_is(double reference, double slower)
    {
        // Whole-µs percentiles make "exactly 5 %" common: the rule is "more than RegressionThreshold", the same for
        // every metric, whatever floating point makes of 21/20 or of 19.95.
        double faster = 2 * reference - slower;   // the rate, 5 % lower: slower too
        var a = Constant("a", reference, reference);
        var b = Constant("b", slower, faster);
        var at = LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { EquivalenceMargin = 1, RegressionThreshold = 5 });
        Assert.Equal(LatencyComparer.AllMetrics.Count, at.Count);
        foreach (var c in at)
        {
            double expected = c.LowerIsBetter ? 5 : -5;
            Assert.Equal(expected, c.ConfidenceIntervalLow!.Value, 9);
            Assert.Equal(expected, c.ConfidenceIntervalHigh!.Value, 9);
            Assert.Equal(expected, c.DeltaPercent, 9);
            Assert.Equal("Slower", c.Verdict);
            Assert.False(c.IsRegression, $"{c.Metric}: exactly 5 % is not more than 5 % (CI {c.ConfidenceIntervalLow:R} … {c.ConfidenceIntervalHigh:R})");
        }
        var below = LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { EquivalenceMargin = 1, RegressionThreshold = 4.99 });
        Assert.All(below, c => Assert.True(c.IsRegression, $"{c.Metric}: 5 % is more than 4.99 %"));
    }

    [Theory]
    [MemberData(nameof(ExactlyFivePercentSlower))]
    public void A_difference_of_exactly_the_margin_is_not_Equivalent_on_any_metric_and_just_inside_it_is(double reference, double slower)
    {
        // Equivalent needs the interval strictly inside ±margin: at exactly 5 % with margin 5 no metric is Equivalent.
        double faster = 2 * reference - slower;
        var a = Constant("a", reference, reference);
        var b = Constant("b", slower, faster);
        var at = LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { EquivalenceMargin = 5, RegressionThreshold = 10 });
        Assert.All(at, c => Assert.Equal("Slower", c.Verdict));
        var wider = LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { EquivalenceMargin = 5.01, RegressionThreshold = 10 });
        Assert.All(wider, c => Assert.Equal("Equivalent", c.Verdict));
    }

    [Fact]
    public void Constant_runs_give_the_exact_relative_difference_on_every_metric_instead_of_an_unbounded_interval()
    {
        // 15 µs against 15.3 µs, no spread: +2 % exactly (Fieller's discriminant used to cancel to a negative number).
        var a = Constant("a", 15, 15);
        var b = Constant("b", 15.3, 14.7);
        foreach (var c in LatencyComparer.Compare(new[] { a }, new[] { b }))
        {
            double expected = c.LowerIsBetter ? 2 : -2;
            Assert.NotNull(c.ConfidenceIntervalLow);
            Assert.Equal(expected, c.ConfidenceIntervalLow!.Value, 9);
            Assert.Equal(expected, c.ConfidenceIntervalHigh!.Value, 9);
            Assert.Equal("Equivalent", c.Verdict);
            Assert.Null(c.Notes);
        }
    }

    // ---- Issue 10: a wide margin must not hide a regression ----

    [Fact]
    public void An_equivalence_margin_wider_than_the_threshold_does_not_hide_a_regression()
    {
        // About +7.5 %, measured precisely: the interval lies inside ±10 % and entirely beyond +5 %.
        var a = SyntheticRuns.Make("a", "TCP_RR", 20, 0.01, 10, seed: 21);
        var b = SyntheticRuns.Make("b", "TCP_RR", 21.5, 0.01, 10, seed: 22);
        var options = new ComparisonOptions { Metrics = new[] { "Mean" }, EquivalenceMargin = 10, RegressionThreshold = 5 };
        Assert.True(options.MarginExceedsThreshold);
        var c = LatencyComparer.Compare(new[] { a }, new[] { b }, options).Single();
        Assert.InRange(c.ConfidenceIntervalLow!.Value, 5.5, 10);
        Assert.InRange(c.ConfidenceIntervalHigh!.Value, 5.5, 10);
        Assert.Equal("Slower", c.Verdict);
        Assert.True(c.IsRegression);
        // Within the margin and not beyond the threshold: still Equivalent.
        var small = SyntheticRuns.Make("b", "TCP_RR", 20.4, 0.01, 10, seed: 22);
        Assert.Equal("Equivalent", LatencyComparer.Compare(new[] { a }, new[] { small }, options).Single().Verdict);
        Assert.False(new ComparisonOptions().MarginExceedsThreshold);
    }

    // ---- Issue 10: values left out are reported, runs of different sizes are found ----

    [Fact]
    public void NaN_infinite_and_missing_iteration_values_are_reported_with_their_run_and_iteration()
    {
        var a = SyntheticRuns.Make("a", "TCP_RR", 20, 0.02, 5, 31);
        var b = SyntheticRuns.Make("b", "TCP_RR", 20, 0.02, 5, 32);
        a.Samples[1].P99Latency = double.NaN;
        a.Samples[3].P99Latency = null;
        b.Samples[0].MeanLatency = double.PositiveInfinity;
        b.Samples[4].MeanLatency = double.NegativeInfinity;
        foreach (var s in b.Samples) s.StdDevLatency = null;   // not reported at all: not compared, not "dropped"
        var results = LatencyComparer.Compare(new[] { a }, new[] { b });
        Assert.Equal(3, results.Single(c => c.Metric == "P99").ReferenceCount);
        Assert.Equal(3, results.Single(c => c.Metric == "Mean").DifferenceCount);
        var facts = LatencyComparer.FindUnusableValues(new[] { a }, new[] { b });
        Assert.Equal(4, facts.Count);
        Assert.Contains(facts, f => f is { Metric: "P99", Side: "Reference", Iteration: 2, Reason: "NaN", Used: 3, Iterations: 5 } && f.RunId == a.RunId);
        Assert.Contains(facts, f => f is { Metric: "P99", Side: "Reference", Iteration: 4, Reason: "missing" } && f.Label == "a");
        Assert.Contains(facts, f => f is { Metric: "Mean", Side: "Difference", Iteration: 1, Reason: "+Infinity" } && f.RunId == b.RunId);
        Assert.Contains(facts, f => f is { Metric: "Mean", Side: "Difference", Iteration: 5, Reason: "-Infinity", TestName: "TCP_RR" });
        Assert.Empty(LatencyComparer.FindUnusableValues(new[] { a }, new[] { b }, new ComparisonOptions { Metrics = new[] { "P50" } }));
    }

    [Fact]
    public void Runs_of_one_test_with_different_request_and_response_sizes_are_found()
    {
        var a = SyntheticRuns.Make("a", "TCP_RR", 20, 0.02, 5, 41);
        var b = SyntheticRuns.Make("b", "TCP_RR", 20, 0.02, 5, 42);
        var u = SyntheticRuns.Make("a", "UDP_RR", 20, 0.02, 5, 43);
        var v = SyntheticRuns.Make("b", "UDP_RR", 20, 0.02, 5, 44);
        a.RequestSize = a.ResponseSize = 1;
        b.RequestSize = b.ResponseSize = 1024;
        u.RequestSize = u.ResponseSize = v.RequestSize = v.ResponseSize = 64;
        var m = LatencyComparer.TestsWithMixedSizes(new[] { a, u }, new[] { b, v }).Single();
        Assert.Equal("TCP_RR", m.TestName);
        Assert.Equal(new[] { "1/1" }, m.ReferenceSizes);
        Assert.Equal(new[] { "1024/1024" }, m.DifferenceSizes);
        b.RequestSize = b.ResponseSize = 0;   // unknown sizes are not a mismatch
        Assert.Empty(LatencyComparer.TestsWithMixedSizes(new[] { a, u }, new[] { b, v }));
    }

    // ---- Issue 10: the Hodges-Lehmann estimate, and equivalence as a TOST at a chosen level ----

    [Fact]
    public void The_Hodges_Lehmann_estimate_is_the_median_of_the_pairwise_ratios_for_rank_metrics_only()
    {
        var a = SyntheticRuns.Make("a", "TCP_RR", 20, 0.05, 7, 51);
        var b = SyntheticRuns.Make("b", "TCP_RR", 22, 0.05, 6, 52);
        foreach (var c in LatencyComparer.Compare(new[] { a }, new[] { b }))
        {
            if (!LatencyComparer.UsesRanks(c.Metric))
            {
                Assert.Null(c.HodgesLehmannPercent);
                continue;
            }
            var ratios = c.DifferenceValues.SelectMany(d => c.ReferenceValues.Select(r => d / r)).Order().ToArray();
            double median = ratios.Length % 2 == 1 ? ratios[ratios.Length / 2] : Math.Sqrt(ratios[ratios.Length / 2 - 1] * ratios[ratios.Length / 2]);
            Assert.Equal(100 * (median - 1), c.HodgesLehmannPercent!.Value, 9);
            Assert.InRange(c.HodgesLehmannPercent.Value, c.ConfidenceIntervalLow!.Value, c.ConfidenceIntervalHigh!.Value);
        }
    }

    [Fact]
    public void Equivalence_at_five_percent_per_side_is_decided_on_the_ninety_percent_interval()
    {
        // Noisy enough that the 95 % interval pokes out of ±5 % while the 90 % one stays inside.
        var a = SyntheticRuns.Make("a", "TCP_RR", 20, 0.08, 8, 61);
        var b = SyntheticRuns.Make("b", "TCP_RR", 20.2, 0.08, 8, 62);
        var metrics = new[] { "Mean", "P99" };
        var tost95 = LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { Metrics = metrics }).ToDictionary(c => c.Metric);
        var tost90 = LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { Metrics = metrics, EquivalenceAlpha = 0.05 }).ToDictionary(c => c.Metric);
        foreach (string metric in metrics)
        {
            var c95 = tost95[metric];
            var c90 = tost90[metric];
            Assert.Equal(0.025, c95.EquivalenceAlpha, 12);
            Assert.Equal(c95.ConfidenceIntervalLow, c95.EquivalenceIntervalLow);
            Assert.Equal(0.05, c90.EquivalenceAlpha, 12);
            Assert.Equal(c95.ConfidenceIntervalLow, c90.ConfidenceIntervalLow);   // the reported interval stays the 95 % one
            var (lo, hi) = metric == "Mean" ? TextbookFieller(c90.ReferenceValues, c90.DifferenceValues, 0.90) : BruteForceHodgesLehmann(c90.ReferenceValues, c90.DifferenceValues, 0.05);
            Assert.Equal(lo, c90.EquivalenceIntervalLow!.Value, 8);
            Assert.Equal(hi, c90.EquivalenceIntervalHigh!.Value, 8);
            // A margin between the two intervals' reach: Equivalent by the conventional TOST only.
            double reach95 = Math.Max(-c95.ConfidenceIntervalLow!.Value, c95.ConfidenceIntervalHigh!.Value);
            double reach90 = Math.Max(-c90.EquivalenceIntervalLow!.Value, c90.EquivalenceIntervalHigh!.Value);
            Assert.True(reach90 < reach95);
            double margin = (reach90 + reach95) / 2;
            var at95 = LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { Metrics = new[] { metric }, EquivalenceMargin = margin, RegressionThreshold = 50 }).Single();
            var at90 = LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { Metrics = new[] { metric }, EquivalenceMargin = margin, RegressionThreshold = 50, EquivalenceAlpha = 0.05 }).Single();
            Assert.Equal("Inconclusive", at95.Verdict);
            Assert.Equal("Equivalent", at90.Verdict);
        }
    }

    /// <summary>Fieller's interval as a relative difference, %, by the textbook quadratic (fine with real noise).</summary>
    private static (double, double) TextbookFieller(double[] r, double[] d, double level)
    {
        double mR = r.Average(), mD = d.Average();
        double vR = r.Sum(x => (x - mR) * (x - mR)) / (r.Length - 1) / r.Length, vD = d.Sum(x => (x - mD) * (x - mD)) / (d.Length - 1) / d.Length;
        double df = (vR + vD) * (vR + vD) / (vR * vR / (r.Length - 1) + vD * vD / (d.Length - 1));
        double q = StudentT.Quantile(1 - (1 - level) / 2, df);
        double a = mR * mR - q * q * vR, b = -2 * mD * mR, c = mD * mD - q * q * vD;
        double root = Math.Sqrt(b * b - 4 * a * c);
        return (100 * ((-b - root) / (2 * a) - 1), 100 * ((-b + root) / (2 * a) - 1));
    }

    /// <summary>The Hodges-Lehmann interval, %, with the critical value from an enumeration of every rank assignment.</summary>
    private static (double, double) BruteForceHodgesLehmann(double[] r, double[] d, double tail)
    {
        int m = r.Length, n = d.Length;
        var (uCounts, total) = ExactRankReference.UDistribution(m, n);
        int c = ExactRankReference.LowerCriticalValue(uCounts, total, tail);   // P(U ≤ c) ≤ tail
        var ratios = d.SelectMany(y => r.Select(x => y / x)).Order().ToArray();
        return (100 * (ratios[c] - 1), 100 * (ratios[m * n - 1 - c] - 1));
    }
}
