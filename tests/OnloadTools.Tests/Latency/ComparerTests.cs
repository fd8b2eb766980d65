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
        Assert.Equal(LatencyComparer.AllMetrics.Order(), results.Select(r => r.Metric).Order());
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
}
