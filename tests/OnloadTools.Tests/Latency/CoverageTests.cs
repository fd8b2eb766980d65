using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

/// <summary>
/// The methods do what a 95 % interval and a 5 % test promise: simulated experiments with a known truth
/// (seeded, so reproducible) check coverage and the false-alarm rate at small iteration counts.
/// </summary>
public class CoverageTests
{
    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static double[] Sample(Random rng, int n, double mean, double sd) =>
        Enumerable.Range(0, n).Select(_ => mean + sd * Normal(rng)).ToArray();

    [Theory]
    [InlineData(4, 6, 0.5, 2.0)]   // unequal sizes and variances: where Welch matters
    [InlineData(10, 10, 1.0, 1.0)]
    public void Fieller_intervals_cover_the_true_ratio_about_95_percent_of_the_time(int nR, int nD, double sdR, double sdD)
    {
        var rng = new Random(42);
        const int trials = 3000;
        int covered = 0, rejected = 0;
        for (int i = 0; i < trials; i++)
        {
            var r = WelchTest.Run(Sample(rng, nR, 20, sdR), Sample(rng, nD, 24, sdD), 0.95);
            if (r.RatioLow <= 1.2 && 1.2 <= r.RatioHigh) covered++;
            var same = WelchTest.Run(Sample(rng, nR, 20, sdR), Sample(rng, nD, 20, sdD), 0.95);
            if (same.PValue < 0.05) rejected++;
        }
        Assert.InRange(covered / (double)trials, 0.93, 0.97);
        Assert.InRange(rejected / (double)trials, 0.035, 0.065);   // false alarms when nothing changed
    }

    [Fact]
    public void Mann_Whitney_false_alarm_rate_stays_at_or_below_five_percent_and_its_interval_covers_the_shift()
    {
        var rng = new Random(7);
        const int trials = 2000;
        int rejected = 0, covered = 0;
        for (int i = 0; i < trials; i++)
        {
            // Skewed (log-normal) per-iteration p99s, the difference 10 % slower by construction.
            var a = Enumerable.Range(0, 8).Select(_ => 30 * Math.Exp(0.1 * Normal(rng))).ToArray();
            var b = Enumerable.Range(0, 8).Select(_ => 30 * Math.Exp(0.1 * Normal(rng))).ToArray();
            if (MannWhitneyTest.Run(a, b, 0.95).PValue < 0.05) rejected++;
            var shifted = b.Select(x => x * 1.1).ToArray();
            var r = MannWhitneyTest.Run(a, shifted, 0.95);
            if (r.RatioLow <= 1.1 && 1.1 <= r.RatioHigh) covered++;
        }
        // Exact tests are conservative on discrete distributions: at most α, and not far below.
        Assert.InRange(rejected / (double)trials, 0.02, 0.06);
        Assert.InRange(covered / (double)trials, 0.93, 0.99);
    }

    [Fact]
    public void A_higher_confidence_level_gives_a_wider_interval()
    {
        var a = SyntheticRuns.Make("a", "TCP_RR", 20, 0.05, 8, 1);
        var b = SyntheticRuns.Make("b", "TCP_RR", 21, 0.05, 8, 2);
        foreach (string metric in new[] { "Mean", "P99" })
        {
            var c95 = LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { Metrics = new[] { metric } }).Single();
            var c99 = LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { Metrics = new[] { metric }, ConfidenceLevel = 0.99 }).Single();
            Assert.True(c99.ConfidenceIntervalLow < c95.ConfidenceIntervalLow, metric);
            Assert.True(c99.ConfidenceIntervalHigh > c95.ConfidenceIntervalHigh, metric);
            Assert.Equal(0.99, c99.ConfidenceLevel);
        }
    }
}
