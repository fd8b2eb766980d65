namespace OnloadTools.Latency;

/// <summary>Everything Measure-NetperfLatency was asked to do.</summary>
internal sealed class NetperfRequest : LatencyRequest
{
    public const int DefaultPort = 12865;

    public string[] TestNames { get; set; } = { "TCP_RR", "UDP_RR" };
    public int RequestSize { get; set; } = 1;
    public int ResponseSize { get; set; } = 1;
    public int? LocalCpu { get; set; }
    public int? RemoteCpu { get; set; }
    public int? ConfidenceLevel { get; set; }
    public double? ConfidenceWidth { get; set; }
    public int? MaxIterations { get; set; }

    public override IReadOnlyList<string> Tests => TestNames;

    public bool UsesConfidence => ConfidenceLevel is not null || ConfidenceWidth is not null || MaxIterations is not null;

    /// <summary>netperf runs up to MaxIterations internal iterations when a confidence interval is requested.</summary>
    public int NetperfIterationsPerSample => UsesConfidence ? (MaxIterations ?? 10) : 1;
}
