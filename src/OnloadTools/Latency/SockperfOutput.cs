namespace OnloadTools.Latency;

/// <summary>What kind of failure sockperf's output reports (sockperf exits 0 even when it fails).</summary>
internal enum SockperfErrorKind
{
    None,
    /// <summary>Nothing answered: TCP connection refused, or no UDP reply ("Is the server down?").</summary>
    Connection,
    /// <summary>sockperf rejected its arguments (invalid option, address or message size) and printed its usage.</summary>
    InvalidArgument,
    /// <summary>Any other "sockperf: ERROR:" line.</summary>
    Other,
}

/// <summary>The summary sockperf ping-pong prints, as parsed from its text (immutable, like netperf's). Latencies in microseconds.</summary>
internal sealed record SockperfOutput
{
    /// <summary>"3.7-no.git" from "== version #3.7-no.git ==".</summary>
    public string? Version { get; init; }
    /// <summary>"UDP" or "TCP" from the "[ 0] IP = … PORT = … # UDP" line.</summary>
    public string? Protocol { get; init; }
    public string? Address { get; init; }
    public int? Port { get; init; }

    /// <summary>"OneWay" (sockperf's default: half the round trip, "avg-lat"/"avg-latency") or "RoundTrip" (--full-rtt, "avg-rtt").</summary>
    public string? LatencyKind { get; init; }

    public double? TotalRunTimeSeconds { get; init; }
    public double? WarmupMilliseconds { get; init; }
    /// <summary>The "[Valid Duration]" the statistics cover.</summary>
    public double? ValidRunTimeSeconds { get; init; }
    public long? SentMessages { get; init; }
    public long? ReceivedMessages { get; init; }

    public double? Mean { get; init; }
    /// <summary>"std-dev" from the average line, read by name (3.8 and later print more figures after it).</summary>
    public double? StdDev { get; init; }
    /// <summary>Every "name=number" figure in the average line's brackets, by sockperf's name: std-dev, and from
    /// 3.8 on mean-ad, median-ad, siqr, cv, std-error.</summary>
    public IReadOnlyDictionary<string, double> AverageStatistics { get; init; } = new Dictionary<string, double>();
    /// <summary>From 3.8's "99.0% ci=[low, high]": the confidence level in percent and the interval of the mean.</summary>
    public double? ConfidenceLevel { get; init; }
    public double? ConfidenceLow { get; init; }
    public double? ConfidenceHigh { get; init; }
    public long? Dropped { get; init; }
    public long? Duplicated { get; init; }
    public long? OutOfOrder { get; init; }
    public long? Observations { get; init; }
    public double? Min { get; init; }
    public double? Max { get; init; }

    /// <summary>Percentile (25, 50, 75, 90, 99, 99.9, 99.99, 99.999) → latency, as sockperf printed them.</summary>
    public IReadOnlyDictionary<double, double> Percentiles { get; init; } = new SortedDictionary<double, double>();

    public SockperfErrorKind ErrorKind { get; init; }
    public string? ErrorMessage { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();

    public bool HasResult => Mean is not null || Percentiles.Count > 0 || Max is not null;

    public double? Percentile(double p) => Percentiles.TryGetValue(p, out double v) ? v : null;
}
