using System.Runtime.CompilerServices;
using System.Collections.Concurrent;

namespace OnloadTools.Latency;

/// <summary>
/// The Mann-Whitney U (Wilcoxon rank-sum) test with its exact permutation distribution — ties included, by
/// dynamic programming over mid-ranks — and the Hodges-Lehmann estimate and distribution-free confidence
/// interval of the shift, taken on the log scale so that it is a ratio (a relative difference).
/// </summary>
internal static class MannWhitneyTest
{
    public readonly record struct Result(
        double ReferenceMedian, double DifferenceMedian, double U, double PValue, bool Exact,
        double? RatioLow, double? RatioHigh, double RatioEstimate, bool LogScale);

    /// <summary>Without ties the exact distribution (cached per sample sizes) is used up to this many pairs (nR·nD).</summary>
    public const int ExactPairLimit = 2500;
    /// <summary>With ties the exact distribution depends on the tie pattern and is computed each time: exact up to
    /// this many pairs (20 × 20), beyond it the normal approximation with tie correction, already accurate there.</summary>
    public const int ExactPairLimitWithTies = 400;

    private static readonly ConcurrentDictionary<string, double[]> Distributions = new();

    public static Result Run(IReadOnlyList<double> reference, IReadOnlyList<double> difference, double confidenceLevel) =>
        Run(reference, difference, confidenceLevel, ExactPairLimitWithTies);

    // Hot and called in bursts (1,000 pairs × 3 metrics): optimize at once rather than waiting for tiering.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Result Run(IReadOnlyList<double> reference, IReadOnlyList<double> difference, double confidenceLevel, int exactPairLimitWithTies)
    {
        int m = reference.Count, n = difference.Count;
        if (m < 1 || n < 1) throw new ArgumentException("The Mann-Whitney test needs at least one value on each side.");
        double alpha = 1 - confidenceLevel;

        // ---- the test: rank sum of the difference sample, mid-ranks for ties ----
        int total = m + n;
        var sorted = new double[total];
        for (int i = 0; i < m; i++) sorted[i] = reference[i];
        for (int j = 0; j < n; j++) sorted[m + j] = difference[j];
        Array.Sort(sorted);
        var doubledRanks = new int[total];   // 2 × mid-rank: always an integer
        var groups = new List<int>();
        for (int i = 0; i < total;)
        {
            int k = i;
            while (k + 1 < total && sorted[k + 1] == sorted[i]) k++;
            int doubled = (i + 1) + (k + 1);  // 2 × mean of ranks i+1 … k+1
            for (int r = i; r <= k; r++) doubledRanks[r] = doubled;
            groups.Add(k - i + 1);
            i = k + 1;
        }
        long w2 = 0;   // 2 × rank sum of the difference sample
        for (int j = 0; j < n; j++)
        {
            double v = difference[j];
            int below = LowerBound(sorted, v), upTo = LowerBound(sorted, Math.BitIncrement(v));
            w2 += below + 1 + upTo;
        }
        double u = w2 / 2.0 - n * (n + 1) / 2.0;

        double p;
        bool ties = groups.Count < total;
        bool exact = (long)m * n <= (ties ? exactPairLimitWithTies : ExactPairLimit);
        if (exact)
        {
            double[] dist = RankSumDistribution(n, doubledRanks, groups);
            double all0 = 0, le = 0, ge = 0;
            for (int s = 0; s < dist.Length; s++)
            {
                if (dist[s] == 0) continue;
                all0 += dist[s];
                if (s <= w2) le += dist[s];
                if (s >= w2) ge += dist[s];
            }
            p = Math.Min(1, 2 * Math.Min(le, ge) / all0);
        }
        else
        {
            double mu = m * (double)n / 2;
            double tieSum = groups.Sum(g => (double)g * g * g - g);
            double variance = m * (double)n / 12 * ((total + 1) - tieSum / (total * (double)(total - 1)));
            if (variance <= 0) p = 1;
            else
            {
                double z = (Math.Abs(u - mu) - 0.5) / Math.Sqrt(variance);
                p = Math.Min(1, 2 * NormalUpperTail(Math.Max(0, z)));
            }
        }

        // ---- Hodges-Lehmann shift and its exact CI (critical value of the continuous null distribution of U) ----
        bool log = true;
        for (int i = 0; i < total; i++) log &= sorted[i] > 0;
        double refMedian = Median(reference), diffMedian = Median(difference);
        var x = new double[m];
        for (int i = 0; i < m; i++) x[i] = log ? Math.Log(reference[i]) : reference[i];
        var diffs = new double[m * n];
        int d = 0;
        for (int j = 0; j < n; j++)
        {
            double y = log ? Math.Log(difference[j]) : difference[j];
            for (int i = 0; i < m; i++) diffs[d++] = y - x[i];
        }
        // Only four order statistics of the m·n differences are needed: select them (linear time) instead of sorting.
        int mn = diffs.Length;
        double hl = mn % 2 == 1 ? Select(diffs, mn / 2) : (Select(diffs, mn / 2 - 1) + Select(diffs, mn / 2)) / 2;
        int c = LowerCriticalU(m, n, alpha / 2);   // largest c with P(U ≤ c) ≤ α/2, or −1
        double? lo = null, hi = null;
        if (c >= 0)
        {
            lo = Select(diffs, c);               // the (c+1)-th smallest difference
            hi = Select(diffs, mn - 1 - c);      // the (c+1)-th largest
        }
        double ToRatio(double x) => log ? Math.Exp(x) : 1 + x / refMedian;
        return new Result(refMedian, diffMedian, u, p, exact,
            lo is null ? null : ToRatio(lo.Value), hi is null ? null : ToRatio(hi.Value), ToRatio(hl), log);
    }

    /// <summary>Exact two-sided p-value from a precomputed statistic; exposed for tests.</summary>
    public static double ExactPValue(IReadOnlyList<double> reference, IReadOnlyList<double> difference) =>
        Run(reference, difference, 0.95).PValue;

    /// <summary>
    /// Number of ways to choose <paramref name="n"/> of the scores so that their doubled rank sum is s, indexed by s.
    /// Cached per tie pattern (without ties, per sample sizes).
    /// </summary>
    private static double[] RankSumDistribution(int n, int[] doubledRanks, List<int> groups)
    {
        string key = groups.Count == doubledRanks.Length ? $"{n}:{doubledRanks.Length}" : n + ":" + string.Join(',', groups);
        return Distributions.TryGetValue(key, out var cached) ? cached : Distributions.GetOrAdd(key, ComputeRankSumDistribution(n, doubledRanks));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double[] ComputeRankSumDistribution(int n, int[] doubledRanks)
    {
        int maxSum = 0;
        for (int i = doubledRanks.Length - n; i < doubledRanks.Length; i++) maxSum += doubledRanks[i];
        var count = new double[n + 1, maxSum + 1];
        count[0, 0] = 1;
        int seen = 0;
        foreach (int score in doubledRanks)
        {
            seen++;
            for (int k = Math.Min(seen, n); k >= 1; k--)
            {
                for (int s = maxSum - score; s >= 0; s--)
                {
                    double prev = count[k - 1, s];
                    if (prev != 0) count[k, s + score] += prev;
                }
            }
        }
        var dist = new double[maxSum + 1];
        for (int s = 0; s <= maxSum; s++) dist[s] = count[n, s];
        return dist;
    }

    /// <summary>Largest c with P(U ≤ c) ≤ tail under the continuous (no-ties) null distribution; −1 if none.</summary>
    internal static int LowerCriticalU(int m, int n, double tail)
    {
        // A string key: ConcurrentDictionary over a struct key would be JIT-compiled unoptimized first, and the
        // first thousand comparisons run while that code is cold.
        string key = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{m}:{n}:{tail:R}");
        if (CriticalValues.TryGetValue(key, out int c)) return c;
        return CriticalValues.GetOrAdd(key, ComputeLowerCriticalU(m, n, tail));
    }

    private static readonly ConcurrentDictionary<string, int> CriticalValues = new();

    private static int ComputeLowerCriticalU(int m, int n, double tail)
    {
        if ((long)m * n > ExactPairLimit)
        {
            double z = NormalQuantileUpper(tail);
            double c = m * (double)n / 2 - z * Math.Sqrt(m * (double)n * (m + n + 1) / 12) - 0.5;
            return (int)Math.Max(-1, Math.Floor(c));
        }
        int total = m + n;
        var ranks = new int[total];
        var groups = new List<int>(total);
        for (int i = 0; i < total; i++) { ranks[i] = 2 * (i + 1); groups.Add(1); }
        double[] dist = RankSumDistribution(n, ranks, groups);
        double all = dist.Sum();
        int minW2 = n * (n + 1);   // 2 × (1 + … + n)
        double cumulative = 0;
        int critical = -1;
        for (int uu = 0; uu <= m * n; uu++)
        {
            int s = minW2 + 2 * uu;
            if (s < dist.Length) cumulative += dist[s];
            if (cumulative / all <= tail + 1e-12) critical = uu; else break;
        }
        return critical;
    }

    /// <summary>The k-th smallest (0-based) element; reorders <paramref name="a"/> (Hoare's quickselect).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double Select(double[] a, int k)
    {
        int left = 0, right = a.Length - 1;
        while (left < right)
        {
            double pivot = a[(left + right) >>> 1];
            int i = left, j = right;
            while (i <= j)
            {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j)
                {
                    (a[i], a[j]) = (a[j], a[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j) right = j;
            else if (k >= i) left = i;
            else return a[k];
        }
        return a[k];
    }

    /// <summary>The number of elements of a sorted array that are smaller than <paramref name="value"/>.</summary>
    private static int LowerBound(double[] sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        var v = new double[values.Count];
        for (int i = 0; i < v.Length; i++) v[i] = values[i];
        Array.Sort(v);
        return MedianSorted(v);
    }

    private static double MedianSorted(double[] v)
    {
        int mid = v.Length / 2;
        return v.Length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    }

    /// <summary>P(Z &gt; z) for a standard normal Z (complementary error function, Numerical Recipes erfc).</summary>
    internal static double NormalUpperTail(double z) => 0.5 * Erfc(z / Math.Sqrt(2));

    private static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    private static double NormalQuantileUpper(double tail)
    {
        double lo = 0, hi = 40;
        for (int i = 0; i < 200; i++)
        {
            double mid = (lo + hi) / 2;
            if (NormalUpperTail(mid) > tail) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }
}
