using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

public class SignedRankIntervalTests
{
    /// <summary>The null distribution by brute force: every one of the 2ⁿ sign patterns, counted exactly.</summary>
    private static long[] Counts(int n)
    {
        int max = n * (n + 1) / 2;
        var counts = new long[max + 1];
        for (long pattern = 0; pattern < 1L << n; pattern++)
        {
            int sum = 0;
            for (int rank = 1; rank <= n; rank++) if ((pattern & (1L << (rank - 1))) != 0) sum += rank;
            counts[sum]++;
        }
        return counts;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(16)]
    public void The_null_distribution_is_the_count_over_every_sign_pattern(int n)
    {
        long[] counts = Counts(n);
        double[] cdf = SignedRankInterval.LowerTail(n);
        long running = 0;
        for (int s = 0; s < counts.Length; s++)
        {
            running += counts[s];
            Assert.Equal((double)running / (1L << n), cdf[s], 12);
        }
        Assert.Equal(1.0, cdf[^1], 12);
    }

    [Fact]
    public void The_interval_is_the_one_of_the_tables()
    {
        // n = 10: the two-sided 5 % critical value of T⁺ is 8 (P(T⁺ ≤ 8) = 25/1024 ≤ 0.025 < P(T⁺ ≤ 9) = 33/1024),
        // so the 95 % interval runs from the 9th to the 47th of the 55 Walsh averages.
        double[] x = { 1.5, -0.3, 2.2, 0.8, 3.1, 1.1, -1.2, 0.4, 2.7, 1.9 };
        var walsh = new List<double>();
        for (int i = 0; i < x.Length; i++) for (int j = i; j < x.Length; j++) walsh.Add((x[i] + x[j]) / 2);
        walsh.Sort();
        var (estimate, low, high) = SignedRankInterval.Compute(x, 0.95);
        Assert.Equal(walsh[27], estimate, 12);   // the median of 55
        Assert.Equal(walsh[8], low, 12);
        Assert.Equal(walsh[46], high, 12);
        Assert.Equal(25.0 / 1024, SignedRankInterval.LowerTail(10)[8], 12);
        Assert.Equal(33.0 / 1024, SignedRankInterval.LowerTail(10)[9], 12);
    }

    [Fact]
    public void One_wild_value_moves_the_interval_little_where_the_t_interval_doubles()
    {
        var rng = new Random(7);
        var quiet = Enumerable.Range(0, 40).Select(_ => 0.01 * (rng.NextDouble() * 2 - 1)).ToList();
        var (_, low0, high0) = SignedRankInterval.Compute(quiet, 0.95);
        var wild = quiet.Take(39).Append(Math.Log(2.4)).ToList();   // one pair at ratio 2.4
        var (_, low1, high1) = SignedRankInterval.Compute(wild, 0.95);
        Assert.True(high1 - low1 < 1.5 * (high0 - low0), $"{low0}..{high0} became {low1}..{high1}");
        Assert.True(high1 < 0.02, $"upper bound {high1}");
        // The mean's t interval of the same data is pulled far wider by the one value.
        double mean = wild.Average(), sd = Math.Sqrt(wild.Sum(v => (v - mean) * (v - mean)) / 39);
        Assert.True(2 * 2.02 * sd / Math.Sqrt(40) > 3 * (high1 - low1));
    }

    [Fact]
    public void Too_few_values_for_the_level_give_no_bounds_and_bad_input_is_refused()
    {
        var (estimate, low, high) = SignedRankInterval.Compute(new[] { 1.0, 2, 3, 4, 5 }, 0.95);
        Assert.Equal(3, estimate);
        Assert.True(double.IsNaN(low) && double.IsNaN(high));
        Assert.False(double.IsNaN(SignedRankInterval.Compute(new[] { 1.0, 2, 3, 4, 5, 6 }, 0.95).Low));   // 2/64 ≤ 0.05
        Assert.Throws<ArgumentException>(() => SignedRankInterval.Compute(Array.Empty<double>(), 0.95));
        Assert.Throws<ArgumentException>(() => SignedRankInterval.Compute(new[] { 1.0, double.NaN }, 0.95));
        Assert.Throws<ArgumentOutOfRangeException>(() => SignedRankInterval.Compute(new[] { 1.0 }, 1.0));
    }
}
