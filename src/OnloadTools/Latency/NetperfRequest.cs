namespace OnloadTools.Latency;

/// <summary>Everything Measure-NetperfLatency was asked to do.</summary>
internal sealed class NetperfRequest : LatencyRequest
{
    public const int DefaultPort = 12865;

    /// <summary>netperf's request/response tests, the ones whose transactions time a latency.</summary>
    public const string TcpRr = "TCP_RR", UdpRr = "UDP_RR", TcpCrr = "TCP_CRR";

    /// <summary>Every test Measure-NetperfLatency and Invoke-LatencyComparison take (-TestName's set is this list).</summary>
    public static IReadOnlyList<string> KnownTests { get; } = new[] { TcpRr, UdpRr, TcpCrr };

    /// <summary>The tests measured when none are named (written as constants so Get-Help reads the default).</summary>
    public string[] TestNames { get; set; } = { TcpRr, UdpRr };
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
