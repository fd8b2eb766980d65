namespace OnloadTools.Latency;

/// <summary>Everything Measure-SockperfLatency was asked to do.</summary>
internal sealed class SockperfRequest : LatencyRequest
{
    /// <summary>sockperf's own default port.</summary>
    public const int DefaultPort = 11111;

    /// <summary>The protocols sockperf's ping-pong measures, as Invoke-LatencyComparison -TestName names them.</summary>
    public static IReadOnlyList<string> KnownProtocols { get; } = new[] { "UDP", "TCP" };

    /// <summary>"UDP" and/or "TCP": one run each.</summary>
    public string[] Protocols { get; set; } = { "UDP" };
    /// <summary>sockperf -m: bytes per message (sockperf's minimum is 14).</summary>
    public int MessageSize { get; set; } = 14;
    /// <summary>sockperf --mps: messages per second; null for "max" (sockperf's ping-pong default).</summary>
    public int? MessagesPerSecond { get; set; }
    /// <summary>sockperf --full-rtt: report round trips instead of sockperf's default one-way (half round trip) latency.</summary>
    public bool RoundTrip { get; set; }
    /// <summary>Reads every round trip from sockperf --full-log into a histogram.</summary>
    public bool FullDistribution { get; set; }

    public override IReadOnlyList<string> Tests => Protocols;

    public string LatencyKind => RoundTrip ? "RoundTrip" : "OneWay";

    /// <summary>"UDP_PINGPONG" / "TCP_PINGPONG": the TestName of the run for a protocol.</summary>
    public static string TestNameFor(string protocol) => protocol.ToUpperInvariant() + "_PINGPONG";
}
