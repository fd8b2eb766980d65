namespace OnloadTools.Tests.Latency;

/// <summary>
/// An independent reference for the rank statistics: the exact null distribution of Mann-Whitney U without ties,
/// by enumerating every assignment of ranks 1…m+n to the second sample (small sizes only).
/// </summary>
internal static class ExactRankReference
{
    /// <summary>How many of the C(m+n, n) rank assignments give each U = 0…m·n, and their total.</summary>
    public static (long[] Counts, long Total) UDistribution(int m, int n)
    {
        int size = m + n;
        var counts = new long[m * n + 1];
        long total = 0;
        for (int mask = 0; mask < 1 << size; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != n) continue;
            int rankSum = 0;
            for (int i = 0; i < size; i++) if ((mask & (1 << i)) != 0) rankSum += i + 1;
            counts[rankSum - n * (n + 1) / 2]++;
            total++;
        }
        return (counts, total);
    }

    /// <summary>The largest u with P(U ≤ u) ≤ <paramref name="tail"/>; -1 when even U = 0 is more likely.</summary>
    public static int LowerCriticalValue(long[] counts, long total, double tail)
    {
        int c = -1;
        long cumulative = 0;
        for (int u = 0; u < counts.Length; u++)
        {
            cumulative += counts[u];
            if (cumulative <= tail * total + 1e-9) c = u; else break;
        }
        return c;
    }
}
