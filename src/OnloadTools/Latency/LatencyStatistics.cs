namespace OnloadTools;

/// <summary>Descriptive statistics over per-iteration values; nulls are ignored, an empty set gives null.</summary>
internal static class LatencyStatistics
{
    public static double? Mean(IEnumerable<double?> values)
    {
        var v = Present(values);
        return v.Length == 0 ? null : v.Average();
    }

    public static double? Median(IEnumerable<double?> values)
    {
        var v = Present(values);
        if (v.Length == 0) return null;
        Array.Sort(v);
        int mid = v.Length / 2;
        return v.Length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2.0;
    }

    /// <summary>Sample standard deviation (n − 1); null for fewer than two values.</summary>
    public static double? StdDev(IEnumerable<double?> values)
    {
        var v = Present(values);
        if (v.Length < 2) return null;
        double mean = v.Average();
        double ss = v.Sum(x => (x - mean) * (x - mean));
        return Math.Sqrt(ss / (v.Length - 1));
    }

    public static double? Min(IEnumerable<double?> values)
    {
        var v = Present(values);
        return v.Length == 0 ? null : v.Min();
    }

    public static double? Max(IEnumerable<double?> values)
    {
        var v = Present(values);
        return v.Length == 0 ? null : v.Max();
    }

    private static double[] Present(IEnumerable<double?> values) =>
        values.Where(x => x is { } d && !double.IsNaN(d)).Select(x => x!.Value).ToArray();
}
