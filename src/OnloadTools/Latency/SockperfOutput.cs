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

/// <summary>The summary sockperf ping-pong prints, as parsed from its text. Latencies in microseconds.</summary>
internal sealed class SockperfOutput
{
    /// <summary>"3.7-no.git" from "== version #3.7-no.git ==".</summary>
    public string? Version { get; set; }
    /// <summary>"UDP" or "TCP" from the "[ 0] IP = … PORT = … # UDP" line.</summary>
    public string? Protocol { get; set; }
    public string? Address { get; set; }
    public int? Port { get; set; }

    /// <summary>"OneWay" (sockperf's default: half the round trip, "avg-lat"/"avg-latency") or "RoundTrip" (--full-rtt, "avg-rtt").</summary>
    public string? LatencyKind { get; set; }

    public double? TotalRunTimeSeconds { get; set; }
    public double? WarmupMilliseconds { get; set; }
    /// <summary>The "[Valid Duration]" the statistics cover.</summary>
    public double? ValidRunTimeSeconds { get; set; }
    public long? SentMessages { get; set; }
    public long? ReceivedMessages { get; set; }

    public double? Mean { get; set; }
    /// <summary>"std-dev" from the average line, read by name (3.8 and later print more figures after it).</summary>
    public double? StdDev { get; set; }
    /// <summary>Every "name=number" figure in the average line's brackets, by sockperf's name: std-dev, and from
    /// 3.8 on mean-ad, median-ad, siqr, cv, std-error.</summary>
    public Dictionary<string, double> AverageStatistics { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>From 3.8's "99.0% ci=[low, high]": the confidence level in percent and the interval of the mean.</summary>
    public double? ConfidenceLevel { get; set; }
    public double? ConfidenceLow { get; set; }
    public double? ConfidenceHigh { get; set; }
    public long? Dropped { get; set; }
    public long? Duplicated { get; set; }
    public long? OutOfOrder { get; set; }
    public long? Observations { get; set; }
    public double? Min { get; set; }
    public double? Max { get; set; }

    /// <summary>Percentile (25, 50, 75, 90, 99, 99.9, 99.99, 99.999) → latency, as sockperf printed them.</summary>
    public SortedDictionary<double, double> Percentiles { get; } = new();

    public SockperfErrorKind ErrorKind { get; set; }
    public string? ErrorMessage { get; set; }
    public List<string> Warnings { get; } = new();

    public bool HasResult => Mean is not null || Percentiles.Count > 0 || Max is not null;

    public double? Percentile(double p) => Percentiles.TryGetValue(p, out double v) ? v : null;
}
