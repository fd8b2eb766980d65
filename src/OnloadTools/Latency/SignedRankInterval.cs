namespace OnloadTools.Latency;

/// <summary>
/// The one-sample Hodges–Lehmann estimate (the median of the Walsh averages (xᵢ + xⱼ)/2, i ≤ j) and its
/// distribution-free confidence interval from the exact null distribution of Wilcoxon's signed-rank statistic. It
/// assumes only that the values are symmetric about their centre, so one outlier (a pair hit by a scheduler hiccup)
/// moves it by one Walsh average, not by its size as it moves a mean and a t interval. Used where paired ratios are
/// summarised on the log scale (the transparency benchmark). Exact for any n the benchmark uses: the null
/// distribution is counted over all 2ⁿ sign patterns by a dynamic programme over the rank sums.
/// </summary>
internal static class SignedRankInterval
{
    /// <summary>The estimate and the interval at <paramref name="level"/>; the bounds are NaN when n is too small for
    /// the level (with n = 5, 2⁵ = 32 patterns cannot give 95 %: the widest interval has 1 − 2/32 = 93.75 %).</summary>
    public static (double Estimate, double Low, double High) Compute(IReadOnlyList<double> values, double level)
    {
        if (values.Count == 0) throw new ArgumentException("At least one value is needed.", nameof(values));
        if (values.Any(v => !double.IsFinite(v))) throw new ArgumentException("The values must be finite numbers.", nameof(values));
        if (level <= 0 || level >= 1) throw new ArgumentOutOfRangeException(nameof(level), "The level lies between 0 and 1.");
        int n = values.Count;
        var walsh = new double[n * (n + 1) / 2];
        int w = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++) walsh[w++] = (values[i] + values[j]) / 2;
        }
        Array.Sort(walsh);
        int m = walsh.Length;
        double estimate = m % 2 == 1 ? walsh[m / 2] : (walsh[m / 2 - 1] + walsh[m / 2]) / 2;

        // The largest c with P(T⁺ ≤ c) ≤ (1 − level)/2; the interval is [W(c+1), W(m−c)] (1-based order statistics).
        double[] cdf = LowerTail(n);
        double tail = (1 - level) / 2;
        int c = -1;
        while (c + 1 < cdf.Length && cdf[c + 1] <= tail * (1 + 1e-12)) c++;
        if (c < 0) return (estimate, double.NaN, double.NaN);
        return (estimate, walsh[c], walsh[m - 1 - c]);
    }

    /// <summary>P(T⁺ ≤ t) for t = 0 … n(n+1)/2 under the null hypothesis (each sign ± with probability ½).</summary>
    internal static double[] LowerTail(int n)
    {
        int max = n * (n + 1) / 2;
        // count[s] / 2ⁿ: the probability that the ranks with a + sign add up to s. Kept as probabilities (each step
        // halves) so that large n does not overflow.
        var p = new double[max + 1];
        p[0] = 1;
        int reach = 0;
        for (int rank = 1; rank <= n; rank++)
        {
            reach += rank;
            for (int s = reach; s >= 0; s--) p[s] = (p[s] + (s >= rank ? p[s - rank] : 0)) / 2;
        }
        var cdf = new double[max + 1];
        double sum = 0;
        for (int s = 0; s <= max; s++) cdf[s] = sum += p[s];
        return cdf;
    }
}
