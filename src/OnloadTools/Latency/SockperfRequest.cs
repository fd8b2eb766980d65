namespace OnloadTools.Latency;

/// <summary>Everything Measure-SockperfLatency was asked to do.</summary>
internal sealed class SockperfRequest
{
    /// <summary>sockperf's own default port.</summary>
    public const int DefaultPort = 11111;

    /// <summary>sockperf server host (name or address); null means this host, with a private server when none listens.</summary>
    public string? ComputerName { get; set; }
    public int? Port { get; set; }
    /// <summary>"UDP" and/or "TCP": one run each.</summary>
    public string[] Protocols { get; set; } = { "UDP" };
    /// <summary>sockperf -m: bytes per message (sockperf's minimum is 14).</summary>
    public int MessageSize { get; set; } = 14;
    public int DurationSeconds { get; set; } = 10;
    public int Iterations { get; set; } = 5;
    /// <summary>sockperf --mps: messages per second; null for "max" (sockperf's ping-pong default).</summary>
    public int? MessagesPerSecond { get; set; }
    /// <summary>sockperf --full-rtt: report round trips instead of sockperf's default one-way (half round trip) latency.</summary>
    public bool RoundTrip { get; set; }
    public bool Onload { get; set; }
    public string OnloadProfile { get; set; } = "latency";
    public string? Label { get; set; }
    /// <summary>Reads every round trip from sockperf --full-log into a histogram.</summary>
    public bool FullDistribution { get; set; }
    /// <summary>Folder where each run is persisted after every completed iteration.</summary>
    public string? HistoryPath { get; set; }

    public string LatencyKind => RoundTrip ? "RoundTrip" : "OneWay";

    public string EffectiveLabel => Label is { Length: > 0 } l ? l : Onload ? "onload" : "bare-metal";

    /// <summary>"UDP_PINGPONG" / "TCP_PINGPONG": the TestName of the run for a protocol.</summary>
    public static string TestNameFor(string protocol) => protocol.ToUpperInvariant() + "_PINGPONG";
}
