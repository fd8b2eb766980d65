namespace OnloadTools;

/// <summary>
/// One iteration of one latency test: what netperf (or sockperf) measured, in microseconds.
/// Flat and primitive so that it survives remoting and Export-Clixml.
/// </summary>
public sealed class LatencySample
{
    public string TestName { get; set; } = "";
    public int Iteration { get; set; }
    public string Label { get; set; } = "";

    /// <summary>Latencies of this iteration in microseconds (null when the tool did not report it).</summary>
    public double? MinLatency { get; set; }
    public double? MeanLatency { get; set; }
    public double? P50Latency { get; set; }
    public double? P90Latency { get; set; }
    public double? P99Latency { get; set; }
    public double? P999Latency { get; set; }
    public double? P9999Latency { get; set; }
    public double? P99999Latency { get; set; }
    public double? MaxLatency { get; set; }
    public double? StdDevLatency { get; set; }

    /// <summary>Round-trip time derived from the transaction rate (netperf RT_LATENCY), µs.</summary>
    public double? RoundTripLatency { get; set; }

    /// <summary>Transactions per second.</summary>
    public double? TransactionRate { get; set; }

    /// <summary>Number of round trips observed, when the tool reports it.</summary>
    public long? Observations { get; set; }

    public int? RequestSize { get; set; }
    public int? ResponseSize { get; set; }
    public double? ElapsedSeconds { get; set; }

    /// <summary>netperf -T binding as reported (-1: not bound).</summary>
    public int? LocalCpu { get; set; }
    public int? RemoteCpu { get; set; }

    /// <summary>Requested confidence level (95 or 99) when netperf ran with -I, else null.</summary>
    public double? ConfidenceLevel { get; set; }
    /// <summary>Width of the confidence interval netperf achieved, in percent (THROUGHPUT_CONFID); null when not asked for.</summary>
    public double? ConfidenceWidth { get; set; }
    /// <summary>netperf's internal iterations for the confidence run (CONFIDENCE_ITERATION).</summary>
    public int? ConfidenceIterations { get; set; }
    /// <summary>False when netperf warned that the desired confidence was not achieved.</summary>
    public bool? ConfidenceAchieved { get; set; }

    public string CommandLine { get; set; } = "";
    public DateTime StartTime { get; set; }
    public DateTime EndTime { get; set; }

    /// <summary>Whether the tool really ran with Onload (libonload mapped in the netperf process): "True", "False" or
    /// "Unknown" when it could not be seen; null when Onload was not asked for.</summary>
    public string? Accelerated { get; set; }

    /// <summary>Position of this iteration in an Invoke-LatencyComparison experiment's interleaved order (1-based); null otherwise.</summary>
    public int? Sequence { get; set; }

    /// <summary>Warnings the tool printed (for example "desired confidence was not achieved").</summary>
    public string[] Warnings { get; set; } = Array.Empty<string>();

    /// <summary>
    /// What the latencies measure: "RoundTrip" (netperf, sockperf --full-rtt) or "OneWay" (sockperf's default:
    /// half of each round trip). Compare only samples of the same kind.
    /// </summary>
    public string LatencyKind { get; set; } = "RoundTrip";

    /// <summary>With a full distribution (sockperf -FullDistribution): the percentile points of the ladder, 0 … 100.</summary>
    public double[]? DistributionPercentiles { get; set; }
    /// <summary>The latency (µs) at each of <see cref="DistributionPercentiles"/>: a compact CDF of every round trip.</summary>
    public double[]? DistributionLatencies { get; set; }

    /// <summary>
    /// The first value of this sample that no measurement can produce (see <see cref="LatencyValidation"/>), named by
    /// its property under <paramref name="prefix"/>; null when every value is possible.
    /// </summary>
    internal ImpossibleValue? FindImpossibleValue(string prefix = "")
    {
        if (LatencyValidation.FirstNonFiniteOrNull(this, prefix) is { } bad) return bad;
        foreach (var (name, value) in new (string, double?)[]
                 {
                     (nameof(MinLatency), MinLatency), (nameof(MeanLatency), MeanLatency), (nameof(P50Latency), P50Latency),
                     (nameof(P90Latency), P90Latency), (nameof(P99Latency), P99Latency), (nameof(P999Latency), P999Latency),
                     (nameof(P9999Latency), P9999Latency), (nameof(P99999Latency), P99999Latency), (nameof(MaxLatency), MaxLatency),
                     (nameof(StdDevLatency), StdDevLatency), (nameof(RoundTripLatency), RoundTripLatency),
                     (nameof(TransactionRate), TransactionRate), (nameof(ElapsedSeconds), ElapsedSeconds),
                     (nameof(ConfidenceLevel), ConfidenceLevel), (nameof(ConfidenceWidth), ConfidenceWidth),
                 })
        {
            if (value < 0) return new(prefix + name, value, LatencyValidation.NotNegative);
        }
        foreach (var (name, value) in new (string, long?)[]
                 {
                     (nameof(Iteration), Iteration), (nameof(Observations), Observations), (nameof(RequestSize), RequestSize),
                     (nameof(ResponseSize), ResponseSize), (nameof(ConfidenceIterations), ConfidenceIterations), (nameof(Sequence), Sequence),
                 })
        {
            if (value < 0) return new(prefix + name, value, LatencyValidation.NotNegativeCount);
        }
        if (LocalCpu < -1) return new(prefix + nameof(LocalCpu), LocalCpu, LatencyValidation.CpuNumber);
        if (RemoteCpu < -1) return new(prefix + nameof(RemoteCpu), RemoteCpu, LatencyValidation.CpuNumber);
        if (Warnings.Any(w => w is null)) return new(prefix + nameof(Warnings), null, "a warning is text, never null.");
        if (DistributionLatencies?.FirstOrDefault(v => v < 0) is { } negative && negative < 0)
            return new(prefix + nameof(DistributionLatencies), negative, LatencyValidation.NotNegative);
        if (DistributionPercentiles?.FirstOrDefault(v => v is < 0 or > 100) is { } outside && outside is < 0 or > 100)
            return new(prefix + nameof(DistributionPercentiles), outside, "a percentile lies between 0 and 100.");
        if ((DistributionPercentiles?.Length ?? -1) != (DistributionLatencies?.Length ?? -1))
            return new(prefix + nameof(DistributionLatencies), DistributionLatencies?.Length,
                $"the distribution needs one latency for each of its {DistributionPercentiles?.Length ?? 0} percentile point(s).",
                DistributionLatencies is null ? null : $"{DistributionLatencies.Length} latencies");
        return null;
    }

    public override string ToString() =>
        $"{TestName} #{Iteration}: mean {Fmt(MeanLatency ?? RoundTripLatency)} µs, p99 {Fmt(P99Latency)} µs";

    private static string Fmt(double? v) => v is null ? "-" : v.Value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
