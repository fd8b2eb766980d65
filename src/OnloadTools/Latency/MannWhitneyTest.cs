using System.Runtime.CompilerServices;
using System.Collections.Concurrent;

namespace OnloadTools.Latency;

/// <summary>
/// The Mann-Whitney U (Wilcoxon rank-sum) test with its exact permutation distribution — ties included — and the
/// Hodges-Lehmann estimate and distribution-free confidence interval of the shift, taken on the log scale so that it
/// is a ratio (a relative difference).
/// </summary>
/// <remarks>
/// Without ties the null distribution depends only on the sample sizes and is cached per (m, n): that cache (and the
/// critical values derived from it) is the only state kept between calls, and nothing computed for tied data ever
/// enters it. With ties the exact tail probability is computed each time by a dynamic programme over the tie groups
/// (the count of difference values in each group), truncated at the observed statistic; heavily tied data — few
/// distinct values, the whole-µs percentiles of netperf — make it cheap at any size. Only when that programme would
/// take more than <see cref="ExactWorkLimit"/> steps (many distinct values and large samples, where the normal
/// approximation is accurate) is the normal approximation with tie and continuity correction used.
/// </remarks>
internal static class MannWhitneyTest
{
    public readonly record struct Result(
        double ReferenceMedian, double DifferenceMedian, double U, double PValue, bool Exact,
        double? RatioLow, double? RatioHigh, double RatioEstimate, bool LogScale)
    {
        /// <summary>The interval of the relative difference in %, computed from the pair of values that bounds it
        /// (100 × (d − r) / r), so that exact cases are exact (20 against 21 is +5 %, not 5.000000000000004).</summary>
        public double? PercentLow { get; init; }
        public double? PercentHigh { get; init; }
        /// <summary>The Hodges-Lehmann estimate of the relative difference, %.</summary>
        public double PercentEstimate { get; init; }
        /// <summary>The interval at the second level asked for (the equivalence test's), %; null when unbounded or not asked.</summary>
        public double? SecondPercentLow { get; init; }
        public double? SecondPercentHigh { get; init; }
    }

    /// <summary>Without ties the exact distribution (cached per sample sizes) is used up to this many pairs (nR·nD).</summary>
    public const int ExactPairLimit = 2500;

    /// <summary>The most steps the exact computation with ties (or without ties beyond <see cref="ExactPairLimit"/>)
    /// may take before the normal approximation is used instead: about 20 ms.</summary>
    public const long ExactWorkLimit = 20_000_000;

    /// <summary>The former rule (exact with ties only up to 20 × 20 pairs); no longer used, kept for source compatibility.</summary>
    [Obsolete("Tied samples are computed exactly up to ExactWorkLimit steps, whatever their size.")]
    public const int ExactPairLimitWithTies = 400;

    private static readonly ConcurrentDictionary<long, double[]> ContinuousDistributions = new();
    private static readonly ConcurrentDictionary<(int M, int N, double Tail), int> CriticalValues = new();

    public static Result Run(IReadOnlyList<double> reference, IReadOnlyList<double> difference, double confidenceLevel) =>
        Run(reference, difference, confidenceLevel, null, ExactWorkLimit);

    /// <summary>As <see cref="Run(IReadOnlyList{double}, IReadOnlyList{double}, double)"/>, with the interval at a
    /// second confidence level too (<see cref="Result.SecondPercentLow"/>), e.g. the 90 % one of a TOST at 5 %.</summary>
    public static Result Run(IReadOnlyList<double> reference, IReadOnlyList<double> difference, double confidenceLevel, double? secondConfidenceLevel) =>
        Run(reference, difference, confidenceLevel, secondConfidenceLevel, ExactWorkLimit);

    // Hot and called in bursts (1,000 pairs × 3 metrics): optimize at once rather than waiting for tiering.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Result Run(IReadOnlyList<double> reference, IReadOnlyList<double> difference, double confidenceLevel,
        double? secondConfidenceLevel, long exactWorkLimit)
    {
        int m = reference.Count, n = difference.Count;
        if (m < 1 || n < 1) throw new ArgumentException("The Mann-Whitney test needs at least one value on each side.");
        for (int i = 0; i < m; i++) if (!double.IsFinite(reference[i])) throw new ArgumentException("The Mann-Whitney test needs finite values.", nameof(reference));
        for (int j = 0; j < n; j++) if (!double.IsFinite(difference[j])) throw new ArgumentException("The Mann-Whitney test needs finite values.", nameof(difference));
        double alpha = 1 - confidenceLevel;

        // ---- the statistic: U of the difference sample (ties count one half), and the tie groups ----
        int total = m + n;
        var sorted = new double[total];
        for (int i = 0; i < m; i++) sorted[i] = reference[i];
        for (int j = 0; j < n; j++) sorted[m + j] = difference[j];
        Array.Sort(sorted);
        var groups = new List<int>();
        for (int i = 0; i < total;)
        {
            int k = i;
            while (k + 1 < total && sorted[k + 1] == sorted[i]) k++;
            groups.Add(k - i + 1);
            i = k + 1;
        }
        long w2 = 0;   // 2 × rank sum of the difference sample (mid-ranks)
        for (int j = 0; j < n; j++)
        {
            double v = difference[j];
            int below = LowerBound(sorted, v), upTo = LowerBound(sorted, Math.BitIncrement(v));
            w2 += below + 1 + upTo;
        }
        long u2 = w2 - (long)n * (n + 1);   // 2U, an integer
        double u = u2 / 2.0;

        bool ties = groups.Count < total;
        double? exactP = null;
        if (!ties && (long)m * n <= ExactPairLimit) exactP = ContinuousPValue(m, n, u2);
        else exactP = TiedPValue(groups, m, n, u2, exactWorkLimit);
        double p;
        if (exactP is { } e) p = e;
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

        // ---- Hodges-Lehmann shift and its CI (critical value of the continuous null distribution of U) ----
        bool log = sorted[0] > 0;
        double refMedian = Median(reference), diffMedian = Median(difference);
        var x = new double[m];
        for (int i = 0; i < m; i++) x[i] = log ? Math.Log(reference[i]) : reference[i];
        var y = new double[n];
        for (int j = 0; j < n; j++) y[j] = log ? Math.Log(difference[j]) : difference[j];
        var diffs = new double[m * n];
        int d = 0;
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < m; i++) diffs[d++] = y[j] - x[i];
        }
        // Only a few order statistics of the m·n differences are needed: select them (linear time) instead of sorting.
        int mn = diffs.Length;
        double hlPercent;
        double hl;
        if (mn % 2 == 1)
        {
            hl = Select(diffs, mn / 2);
            hlPercent = PairPercent(hl);
        }
        else
        {
            double a = Select(diffs, mn / 2 - 1), b = Select(diffs, mn / 2);
            hl = (a + b) / 2;
            hlPercent = a == b ? PairPercent(a) : log ? 100 * (Math.Exp(hl) - 1) : 100 * hl / refMedian;
        }

        (double? Lo, double? Hi, double? LoPercent, double? HiPercent) Interval(double level)
        {
            int c = LowerCriticalU(m, n, (1 - level) / 2);   // largest c with P(U ≤ c) ≤ tail, or −1
            if (c < 0) return (null, null, null, null);
            double lo = Select(diffs, c);             // the (c+1)-th smallest difference
            double hi = Select(diffs, mn - 1 - c);    // the (c+1)-th largest
            return (ToRatio(lo), ToRatio(hi), PairPercent(lo), PairPercent(hi));
        }
        // The difference y − x as a relative difference, from the first pair of values that gives it.
        double PairPercent(double value)
        {
            for (int j = 0; j < n; j++)
            {
                for (int i = 0; i < m; i++)
                {
                    if (y[j] - x[i] == value)
                    {
                        return log ? 100 * (difference[j] - reference[i]) / reference[i] : 100 * (difference[j] - reference[i]) / refMedian;
                    }
                }
            }
            return log ? 100 * (Math.Exp(value) - 1) : 100 * value / refMedian;
        }
        double ToRatio(double v) => log ? Math.Exp(v) : 1 + v / refMedian;

        var main = Interval(confidenceLevel);
        (double? Lo, double? Hi, double? LoPercent, double? HiPercent) second = secondConfidenceLevel is { } l2 ? Interval(l2) : default;
        return new Result(refMedian, diffMedian, u, p, exactP is not null, main.Lo, main.Hi, ToRatio(hl), log)
        {
            PercentLow = main.LoPercent,
            PercentHigh = main.HiPercent,
            PercentEstimate = hlPercent,
            SecondPercentLow = second.LoPercent,
            SecondPercentHigh = second.HiPercent,
        };
    }

    /// <summary>
    /// The Hodges-Lehmann interval of the ratio widened by the tool's resolution, in %: each reported value stands for
    /// any true value in its range (<paramref name="referenceRange"/>, <paramref name="differenceRange"/>), and the
    /// interval covers the Hodges-Lehmann interval of every such set of true values. The lower bound is the (c+1)-th
    /// smallest of the ratios d_low / r_high over all pairs, the upper the (c+1)-th largest of d_high / r_low (each
    /// pairwise ratio grows with d and falls with r, so these corners are the extremes of the order statistics), with
    /// c the same critical value as the unwidened interval. With zero widths it is the unwidened interval. Null bounds
    /// where the interval does not exist (too few values) or is unbounded (a reference value whose range reaches 0).
    /// </summary>
    internal static (double? Low, double? High) ResolvedPercentInterval(IReadOnlyList<double> reference, IReadOnlyList<double> difference,
        Func<double, (double Low, double High)> referenceRange, Func<double, (double Low, double High)> differenceRange, double level)
    {
        int m = reference.Count, n = difference.Count;
        int c = LowerCriticalU(m, n, (1 - level) / 2);
        if (c < 0) return (null, null);
        int mn = m * n;
        var rLow = new double[m];
        var rHigh = new double[m];
        for (int i = 0; i < m; i++) (rLow[i], rHigh[i]) = referenceRange(reference[i]);
        var dLow = new double[n];
        var dHigh = new double[n];
        for (int j = 0; j < n; j++)
        {
            (dLow[j], dHigh[j]) = differenceRange(difference[j]);
            dLow[j] = Math.Max(0, dLow[j]);   // latencies and rates are not negative
        }
        var lows = new double[mn];
        var highs = new double[mn];
        int k = 0;
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < m; i++, k++)
            {
                lows[k] = dLow[j] / rHigh[i];
                highs[k] = rLow[i] > 0 ? dHigh[j] / rLow[i] : double.PositiveInfinity;
            }
        }
        double lo = Select(lows, c), hi = Select(highs, mn - 1 - c);
        double? Percent(double ratio, double[] d, double[] r)
        {
            if (!double.IsFinite(ratio)) return null;
            for (int j = 0; j < n; j++)
            {
                for (int i = 0; i < m; i++)
                {
                    if (r[i] > 0 && d[j] / r[i] == ratio) return 100 * (d[j] - r[i]) / r[i];   // exact: 20 against 20 is 0, not 1e-15
                }
            }
            return 100 * (ratio - 1);
        }
        return (Percent(lo, dLow, rHigh), Percent(hi, dHigh, rLow));
    }

    /// <summary>Exact two-sided p-value (the normal approximation only beyond <see cref="ExactWorkLimit"/>); exposed for tests.</summary>
    public static double ExactPValue(IReadOnlyList<double> reference, IReadOnlyList<double> difference) =>
        Run(reference, difference, 0.95).PValue;

    /// <summary>Two-sided p = min(1, 2·min(P(U ≤ u), P(U ≥ u))) from the cached no-ties distribution.</summary>
    private static double ContinuousPValue(int m, int n, long u2)
    {
        double[] dist = ContinuousDistribution(m, n);   // indexed by U
        double all = 0, le = 0, ge = 0;
        for (int uu = 0; uu < dist.Length; uu++)
        {
            all += dist[uu];
            if (2L * uu <= u2) le += dist[uu];
            if (2L * uu >= u2) ge += dist[uu];
        }
        return Math.Min(1, 2 * Math.Min(le, ge) / all);
    }

    /// <summary>
    /// The null distribution of U without ties (counts of the C(m+n, n) arrangements, indexed by U), cached per
    /// sample sizes: the standard recursion, built by adding one value at a time.
    /// </summary>
    private static double[] ContinuousDistribution(int m, int n)
    {
        long key = ((long)m << 32) | (uint)n;
        return ContinuousDistributions.TryGetValue(key, out var cached) ? cached : ContinuousDistributions.GetOrAdd(key, ComputeContinuousDistribution(m, n));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double[] ComputeContinuousDistribution(int m, int n)
    {
        // count[k][s]: ways to choose k of the first t ranks with rank sum (minus k(k+1)/2) equal to s, i.e. U-like.
        // Choosing n of ranks 1..m+n: U = rank sum − n(n+1)/2 ranges over 0..m·n.
        int maxU = m * n;
        var count = new double[n + 1, maxU + 1];
        count[0, 0] = 1;
        for (int t = 1; t <= m + n; t++)
        {
            // Adding rank t as the k-th chosen value adds t − k to U (t − 1 earlier values, k − 1 of them chosen).
            for (int k = Math.Min(t, n); k >= 1; k--)
            {
                int inc = t - k;
                if (inc > m) continue;   // would leave fewer than the remaining values needed; never reachable
                for (int s = maxU - inc; s >= 0; s--)
                {
                    double prev = count[k - 1, s];
                    if (prev != 0) count[k, s + inc] += prev;
                }
            }
        }
        var dist = new double[maxU + 1];
        for (int s = 0; s <= maxU; s++) dist[s] = count[n, s];
        return dist;
    }

    /// <summary>
    /// Exact two-sided p with ties (or without, beyond the cache): a dynamic programme over the tie groups in order
    /// whose state is (how many of the chosen sample so far, 2U so far), with C(g, j) ways of putting j of the chosen
    /// sample in a group of g. The chosen sample is the smaller one and the order is the one in which the observed 2U
    /// is at most half its range, so the programme only follows 2U up to the observed value (2U never decreases):
    /// P(U ≤ u) and P(U = u) give both tails. Null when it would take more than <paramref name="workLimit"/> steps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double? TiedPValue(List<int> groups, int m, int n, long u2, long workLimit)
    {
        // 2U of the difference sample counts its pairs above the reference; for the reference sample, 2mn − that.
        bool chooseDifference = n <= m;
        int nc = chooseDifference ? n : m;
        long uc2 = chooseDifference ? u2 : 2L * m * n - u2;       // 2U of the chosen sample, ascending order
        bool ascending = 2 * uc2 <= 2L * m * n;
        long s2 = ascending ? uc2 : 2L * m * n - uc2;              // observed statistic in the order followed, ≤ mn
        int total = m + n;
        if (total > 1000) return null;   // C(total, n) would leave the range of a double
        int width = (int)s2 + 1;
        if ((long)(nc + 1) * width > 50_000_000) return null;
        int size = (nc + 1) * width;
        // Scratch space from the thread's own pool, all zeros on entry and on exit (zeroed in full if anything fails):
        // the large arrays would otherwise be allocated on the large-object heap for every comparison.
        var scratch = size <= 1 << 20 ? Scratch ??= new TieScratch() : new TieScratch();   // at most 16 MB kept per thread
        scratch.Ensure(size);
        bool clean = false;
        try
        {
            double? p = TiedPValue(groups, m, n, nc, s2, ascending, width, scratch, workLimit);
            clean = true;
            return p;
        }
        finally
        {
            if (!clean) scratch.Reset();
        }
    }

    [ThreadStatic] private static TieScratch? Scratch;

    /// <summary>Two state arrays (all zeros between uses) and two lists of the states in use.</summary>
    private sealed class TieScratch
    {
        public double[] Cur = Array.Empty<double>(), Next = Array.Empty<double>();
        public int[] Active = new int[256], NextActive = new int[256];

        public void Ensure(int size)
        {
            if (Cur.Length >= size) return;
            Cur = new double[size];
            Next = new double[size];
        }

        public void Reset()
        {
            Array.Clear(Cur);
            Array.Clear(Next);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double? TiedPValue(List<int> groups, int m, int n, int nc, long s2, bool ascending, int width, TieScratch scratch, long workLimit)
    {
        int G = groups.Count, total = m + n;
        var cur = scratch.Cur;
        var next = scratch.Next;
        var active = scratch.Active;
        var nextActive = scratch.NextActive;
        int activeCount = 1, nextCount;
        cur[0] = 1;
        active[0] = 0;
        long work = 0;
        int before = 0;   // values in the groups already followed
        Span<double> binom = total <= 256 ? stackalloc double[total + 1] : new double[total + 1];
        for (int step = 0; step < G; step++)
        {
            int g = groups[ascending ? step : G - 1 - step];
            int after = total - before - g;
            // C(g, j), j = 0…g
            binom[0] = 1;
            for (int j = 1; j <= g; j++) binom[j] = binom[j - 1] * (g - j + 1) / j;
            nextCount = 0;
            for (int a = 0; a < activeCount; a++)
            {
                int idx = active[a];
                double ways = cur[idx];
                cur[idx] = 0;
                int k = idx / width, s = idx - k * width;
                int jMin = Math.Max(0, nc - k - after), jMax = Math.Min(g, nc - k);
                work += jMax - jMin + 1;
                int othersBelow = before - k;
                for (int j = jMin; j <= jMax; j++)
                {
                    // j chosen values here: each is above the others below and ties with the g − j others here.
                    long ns = s + (long)j * (2 * othersBelow + g - j);
                    if (ns > s2) continue;
                    int target = (k + j) * width + (int)ns;
                    if (next[target] == 0)
                    {
                        if (nextCount == nextActive.Length)
                        {
                            Array.Resize(ref nextActive, nextActive.Length * 2);
                        }
                        nextActive[nextCount++] = target;
                    }
                    next[target] += ways * binom[j];
                }
            }
            (cur, next) = (next, cur);
            (active, nextActive) = (nextActive, active);
            activeCount = nextCount;
            before += g;
            if (work > workLimit)
            {
                for (int a = 0; a < activeCount; a++) cur[active[a]] = 0;
                Keep(scratch, cur, next, active, nextActive);
                return null;
            }
        }
        double le = 0, at = 0;
        for (int a = 0; a < activeCount; a++)
        {
            int idx = active[a];
            le += cur[idx];
            if (idx - nc * width == s2) at += cur[idx];
            cur[idx] = 0;
        }
        Keep(scratch, cur, next, active, nextActive);
        double all = 1;   // C(total, nc)
        for (int i = 1; i <= nc; i++) all = all * (total - nc + i) / i;
        double lower = le / all, upper = 1 - (le - at) / all;   // P(S ≤ s), P(S ≥ s)
        return Math.Min(1, 2 * Math.Max(0, Math.Min(lower, upper)));
    }

    /// <summary>Hands the (possibly grown or swapped) arrays back to the scratch space.</summary>
    private static void Keep(TieScratch scratch, double[] cur, double[] next, int[] active, int[] nextActive)
    {
        scratch.Cur = cur;
        scratch.Next = next;
        scratch.Active = active;
        scratch.NextActive = nextActive;
    }

    /// <summary>Largest c with P(U ≤ c) ≤ tail under the continuous (no-ties) null distribution; −1 if none.</summary>
    internal static int LowerCriticalU(int m, int n, double tail)
    {
        var key = (m, n, tail);
        if (CriticalValues.TryGetValue(key, out int c)) return c;
        return CriticalValues.GetOrAdd(key, ComputeLowerCriticalU(m, n, tail));
    }

    private static int ComputeLowerCriticalU(int m, int n, double tail)
    {
        if ((long)m * n > ExactPairLimit)
        {
            double z = NormalQuantileUpper(tail);
            double c = m * (double)n / 2 - z * Math.Sqrt(m * (double)n * (m + n + 1) / 12) - 0.5;
            return (int)Math.Max(-1, Math.Min(Math.Floor(c), (m * (long)n - 1) / 2));
        }
        double[] dist = ContinuousDistribution(m, n);
        double all = dist.Sum();
        double cumulative = 0;
        int critical = -1;
        for (int uu = 0; 2 * uu < m * n; uu++)
        {
            cumulative += dist[uu];
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
