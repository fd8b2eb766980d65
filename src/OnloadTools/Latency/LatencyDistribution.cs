using HdrHistogram;

namespace OnloadTools.Latency;

/// <summary>
/// Every round trip of a measurement, kept as counts in an HdrHistogram (values recorded in nanoseconds, four
/// significant digits: any percentile is within 0.01 % of the exact order statistic, and exact below 32.768 µs)
/// plus exact count, mean, standard deviation, minimum and maximum. Memory is fixed (about 3 MB) whatever the count.
/// </summary>
internal sealed class LatencyDistribution
{
    /// <summary>Largest latency recorded as itself (60 s); larger values are clamped to it and counted.</summary>
    public const long HighestTrackableNanoseconds = 60_000_000_000;

    /// <summary>The percentile points kept on a sample for reports (a CDF ladder with a fine high tail).</summary>
    public static readonly double[] LadderPercentiles =
    {
        0, 1, 5, 10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 95, 97.5, 99, 99.5, 99.75, 99.9, 99.95, 99.99, 99.995, 99.999, 99.9995, 99.9999, 100,
    };

    private readonly LongHistogram _histogram = new(1, HighestTrackableNanoseconds, 4);
    private long _count;
    private long _min = long.MaxValue;
    private long _max = long.MinValue;
    private double _mean;
    private double _m2;

    public long Count => _count;
    /// <summary>Values above <see cref="HighestTrackableNanoseconds"/> (recorded at that limit).</summary>
    public long Clamped { get; private set; }
    /// <summary>Values below 1 ns (zero or negative: sockperf's record of a lost reply), not recorded.</summary>
    public long Rejected { get; private set; }

    /// <summary>Records one latency in nanoseconds.</summary>
    public void RecordNanoseconds(long ns)
    {
        if (ns < 1)
        {
            Rejected++;
            return;
        }
        if (ns < _min) _min = ns;
        if (ns > _max) _max = ns;
        _count++;
        // Welford's update: a numerically stable mean and variance in one pass.
        double delta = ns - _mean;
        _mean += delta / _count;
        _m2 += delta * (ns - _mean);
        if (ns > HighestTrackableNanoseconds)
        {
            Clamped++;
            ns = HighestTrackableNanoseconds;
        }
        _histogram.RecordValue(ns);
    }

    public void RecordMicroseconds(double us) => RecordNanoseconds((long)Math.Round(us * 1000.0));

    public double? MinMicroseconds => _count == 0 ? null : _min / 1000.0;
    public double? MaxMicroseconds => _count == 0 ? null : _max / 1000.0;
    public double? MeanMicroseconds => _count == 0 ? null : _mean / 1000.0;
    /// <summary>Sample standard deviation (n − 1), µs.</summary>
    public double? StdDevMicroseconds => _count < 2 ? null : Math.Sqrt(_m2 / (_count - 1)) / 1000.0;

    /// <summary>The latency at or below which <paramref name="percentile"/> % of round trips fall, µs. 0 and 100 are the exact min and max.</summary>
    public double? PercentileMicroseconds(double percentile)
    {
        if (_count == 0) return null;
        if (percentile <= 0) return _min / 1000.0;
        if (percentile >= 100) return _max / 1000.0;
        long v = _histogram.GetValueAtPercentile(percentile);
        // HdrHistogram reports the highest value equivalent to the bucket; never beyond the true extremes.
        v = Math.Clamp(v, _min, _max);
        return v / 1000.0;
    }

    /// <summary>The latencies at <see cref="LadderPercentiles"/>, µs (empty when nothing was recorded).</summary>
    public double[] Ladder() =>
        _count == 0 ? Array.Empty<double>() : LadderPercentiles.Select(p => Math.Round(PercentileMicroseconds(p)!.Value, 3)).ToArray();
}
