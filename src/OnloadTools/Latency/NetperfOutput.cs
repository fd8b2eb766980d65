namespace OnloadTools.Latency;

/// <summary>What kind of failure netperf reported.</summary>
internal enum NetperfErrorKind
{
    None,
    /// <summary>No netserver reachable: "establish control: are you sure there is a netserver listening …".</summary>
    Connection,
    /// <summary>The test name is unknown to this netperf.</summary>
    UnknownTest,
    /// <summary>Any other error netperf printed (send errors, buffer problems …).</summary>
    Other,
}

/// <summary>The parsed banner line: "MIGRATED TCP REQUEST/RESPONSE TEST from … to HOST (…) port 0 AF_INET : +/-2.5% @ 99% conf. : demo".</summary>
internal sealed class NetperfBanner
{
    public string Text { get; init; } = "";
    public bool Migrated { get; init; }
    /// <summary>TCP_RR, UDP_RR, TCP_CRR, TCP_STREAM … (null when the banner names a test this parser does not map).</summary>
    public string? TestName { get; init; }
    public string? RemoteHost { get; init; }
    public string? AddressFamily { get; init; }
    public double? ConfidenceLevel { get; init; }
    public double? ConfidenceWidth { get; init; }
    public IReadOnlyList<string> Flags { get; init; } = Array.Empty<string>();
}

/// <summary>Everything the parser extracted from one netperf invocation.</summary>
internal sealed class NetperfOutput
{
    public NetperfBanner? Banner { get; init; }

    /// <summary>Results keyed by netperf output-selector name (MIN_LATENCY, TRANSACTION_RATE …), as printed.</summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();
    /// <summary>False when netperf printed its "desired confidence was not achieved" warning.</summary>
    public bool? ConfidenceAchieved { get; init; }
    /// <summary>The throughput confidence interval from the warning block, in percent.</summary>
    public double? ReportedConfidenceInterval { get; init; }

    public NetperfErrorKind ErrorKind { get; init; }
    public string? ErrorMessage { get; init; }

    public bool HasResult => Values.Count > 0;

    public double? GetDouble(string key) =>
        Values.TryGetValue(key, out var s) ? InvariantNumber.Double(s) : null;

    public int? GetInt(string key) => GetDouble(key) is { } d && d >= int.MinValue && d <= int.MaxValue ? (int)Math.Round(d) : null;
}
