namespace OnloadTools.Latency;

/// <summary>Everything Measure-NetperfLatency was asked to do.</summary>
internal sealed class NetperfRequest
{
    public const int DefaultPort = 12865;

    /// <summary>netserver host; null means this host (loopback), with a private netserver when none listens.</summary>
    public string? ComputerName { get; set; }
    public int? Port { get; set; }
    public string[] TestNames { get; set; } = { "TCP_RR", "UDP_RR" };
    public int DurationSeconds { get; set; } = 10;
    public int Iterations { get; set; } = 5;
    public int RequestSize { get; set; } = 1;
    public int ResponseSize { get; set; } = 1;
    public int? LocalCpu { get; set; }
    public int? RemoteCpu { get; set; }
    public bool Onload { get; set; }
    public string OnloadProfile { get; set; } = "latency";
    public string? Label { get; set; }
    public int? ConfidenceLevel { get; set; }
    public double? ConfidenceWidth { get; set; }
    public int? MaxIterations { get; set; }
    /// <summary>Folder where each run is persisted after every completed iteration.</summary>
    public string? HistoryPath { get; set; }
    /// <summary>Runs the netperf client through this prefix (for example "podman exec NAME"), when set.</summary>
    public IReadOnlyList<string>? ClientPrefix { get; set; }
    /// <summary>Where the client runs, recorded on the run ("host" or "container:NAME").</summary>
    public string ClientLocation { get; set; } = "host";

    public bool UsesConfidence => ConfidenceLevel is not null || ConfidenceWidth is not null || MaxIterations is not null;

    /// <summary>netperf runs up to MaxIterations internal iterations when a confidence interval is requested.</summary>
    public int NetperfIterationsPerSample => UsesConfidence ? (MaxIterations ?? 10) : 1;

    public string EffectiveLabel => Label is { Length: > 0 } l ? l : ClientLocation == "host" ? (Onload ? "onload" : "bare-metal") : "container";
}
