namespace OnloadTools;

/// <summary>
/// All iterations of one latency test type (TCP_RR, UDP_RR …) against one server, with aggregates across
/// iterations and the environment the numbers were taken in.
/// </summary>
public sealed class LatencyRun
{
    public const int SchemaVersion = 1;

    public string RunId { get; set; } = Guid.NewGuid().ToString("N");
    public string Label { get; set; } = "";
    public string TestName { get; set; } = "";
    /// <summary>netperf or sockperf.</summary>
    public string Tool { get; set; } = "netperf";
    /// <summary>Where the server ran (host name or address).</summary>
    public string ComputerName { get; set; } = "";
    public int Port { get; set; }
    /// <summary>Where the client ran: "host" or "container:NAME".</summary>
    public string ClientLocation { get; set; } = "host";

    public DateTime StartTime { get; set; }
    public DateTime EndTime { get; set; }
    public double DurationSeconds { get; set; }
    public int RequestSize { get; set; }
    public int ResponseSize { get; set; }

    public int IterationsRequested { get; set; }
    public int IterationsCompleted => Samples.Length;
    public int IterationsFailed { get; set; }
    /// <summary>
    /// <see cref="LatencyRunStatus.Completed"/>, <see cref="LatencyRunStatus.Partial"/> (some iterations failed),
    /// <see cref="LatencyRunStatus.Stopped"/> (Ctrl+C or an error stopped the command), or
    /// <see cref="LatencyRunStatus.InProgress"/>: being measured, or a file whose measurement never finished.
    /// </summary>
    public string Status { get; set; } = LatencyRunStatus.InProgress;

    public LatencySample[] Samples { get; set; } = Array.Empty<LatencySample>();

    // ---- aggregates across iterations (µs) ----
    /// <summary>Mean of the per-iteration mean latencies.</summary>
    public double? MeanLatency => LatencyStatistics.Mean(Samples.Select(MeanOf));
    /// <summary>Median of the per-iteration mean latencies.</summary>
    public double? MedianLatency => LatencyStatistics.Median(Samples.Select(MeanOf));
    /// <summary>Smallest latency seen in any iteration.</summary>
    public double? MinLatency => LatencyStatistics.Min(Samples.Select(s => s.MinLatency));
    /// <summary>Largest latency seen in any iteration.</summary>
    public double? MaxLatency => LatencyStatistics.Max(Samples.Select(s => s.MaxLatency));
    /// <summary>Mean of the per-iteration p50s.</summary>
    public double? P50Latency => LatencyStatistics.Mean(Samples.Select(s => s.P50Latency));
    /// <summary>Mean of the per-iteration p90s.</summary>
    public double? P90Latency => LatencyStatistics.Mean(Samples.Select(s => s.P90Latency));
    /// <summary>Mean of the per-iteration p99s (not the p99 of the pooled round trips).</summary>
    public double? P99Latency => LatencyStatistics.Mean(Samples.Select(s => s.P99Latency));
    /// <summary>Spread of the iteration means: the sample standard deviation of the per-iteration mean latencies,
    /// i.e. how repeatable the run was (column Spread(us); formerly StdDevLatency, still an alias).</summary>
    public double? IterationSpreadLatency => LatencyStatistics.StdDev(Samples.Select(MeanOf));
    /// <summary>Jitter: the mean of each iteration's own standard deviation of round trips (column Jitter(us);
    /// formerly MeanStdDevLatency, still an alias).</summary>
    public double? JitterLatency => LatencyStatistics.Mean(Samples.Select(s => s.StdDevLatency));
    /// <summary>Mean transaction rate, transactions per second.</summary>
    public double? TransactionRate => LatencyStatistics.Mean(Samples.Select(s => s.TransactionRate));

    // ---- environment ----
    public string HostName { get; set; } = "";
    public string? KernelRelease { get; set; }
    public string? TunedProfile { get; set; }
    public bool Onload { get; set; }
    public string? OnloadProfile { get; set; }
    public string? OnloadVersion { get; set; }
    public int? LocalCpu { get; set; }
    public int? RemoteCpu { get; set; }
    public string? ToolVersion { get; set; }
    /// <summary>"True" when every iteration ran with Onload's library mapped, "False" when any ran without it, "Unknown" when it
    /// could not be seen; null when Onload was not asked for (see LatencySample.Accelerated).</summary>
    public string? Accelerated { get; set; }
    /// <summary>The Invoke-LatencyComparison experiment this run belongs to, and its arm in it (A, the reference, or B).</summary>
    public string? ExperimentId { get; set; }
    public string? Arm { get; set; }
    /// <summary>The arms in the order the experiment ran them (A B B A …); the samples' Sequence places each iteration in it.</summary>
    public string? ExperimentOrder { get; set; }
    /// <summary>The level of every look of the experiment this run belongs to (Invoke-LatencyComparison's calibrated
    /// 1 − α′, e.g. 0.991): Compare-LatencyRun and Export-LatencyReport compare the experiment's two runs at it, so that
    /// their interval is the one the experiment gave. Null for runs outside an experiment.</summary>
    public double? ExperimentConfidenceLevel { get; set; }
    /// <summary>The netserver this run started for itself on loopback, if any.</summary>
    public string? ServerCommandLine { get; set; }

    /// <summary>"RoundTrip" or "OneWay" (sockperf's default, half the round trip): what every latency of this run measures.</summary>
    public string LatencyKind { get; set; } = "RoundTrip";

    internal static double? MeanOf(LatencySample s) => s.MeanLatency ?? s.RoundTripLatency;

    /// <summary>Adds a completed sample (a new array, so runs already emitted or saved never change).</summary>
    internal void AddSample(LatencySample sample)
    {
        Samples = Samples.Append(sample).ToArray();
        EndTime = sample.EndTime;
    }

    /// <summary>Marks the run finished: Stopped when the command was stopped before its iterations were done,
    /// Completed when every iteration produced a sample, else Partial.</summary>
    internal void Finish(bool stopped)
    {
        EndTime = Samples.Length > 0 ? Samples[^1].EndTime : DateTime.UtcNow;
        Status = stopped ? LatencyRunStatus.Stopped
            : IterationsFailed == 0 && Samples.Length == IterationsRequested ? LatencyRunStatus.Completed
            : LatencyRunStatus.Partial;
    }

    /// <summary>Records the host the run was measured on: name, kernel, active tuned profile.</summary>
    internal LatencyRun WithHostEnvironment(Host.HostFileSystem fs)
    {
        HostName = Host.HostInfo.HostName(fs);
        KernelRelease = Host.HostInfo.KernelRelease(fs);
        TunedProfile = Host.HostInfo.ActiveTunedProfile(fs);
        return this;
    }

    public override string ToString() =>
        $"{Label} {TestName}: {IterationsCompleted} iteration(s), mean {MeanLatency?.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) ?? "-"} µs";
}

/// <summary>The values of <see cref="LatencyRun.Status"/> (kept as text in files and on the wire).</summary>
public static class LatencyRunStatus
{
    /// <summary>Being measured; in a file, a measurement that never finished (the process was killed). Never complete.</summary>
    public const string InProgress = "InProgress";
    /// <summary>Every requested iteration produced a sample.</summary>
    public const string Completed = "Completed";
    /// <summary>The run ended normally but some iterations failed.</summary>
    public const string Partial = "Partial";
    /// <summary>Ctrl+C or an error stopped the command: the samples kept are the iterations completed before.</summary>
    public const string Stopped = "Stopped";

    /// <summary>True when the run's measurement ended (Completed, Partial or Stopped); false for InProgress and unknown values.</summary>
    public static bool IsFinished(string? status) => status is Completed or Partial or Stopped;
}
