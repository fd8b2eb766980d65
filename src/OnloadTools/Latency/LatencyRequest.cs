namespace OnloadTools.Latency;

/// <summary>What every latency measurement is asked to do, whatever the tool.</summary>
internal abstract class LatencyRequest
{
    /// <summary>Seconds per iteration when not asked otherwise (-Duration).</summary>
    public const int DefaultDurationSeconds = 10;
    /// <summary>Iterations per run when not asked otherwise (-Iterations).</summary>
    public const int DefaultIterations = 5;

    /// <summary>Server host; null means this host (loopback), with a private server when none listens.</summary>
    public string? ComputerName { get; set; }
    public int? Port { get; set; }
    public int DurationSeconds { get; set; } = DefaultDurationSeconds;
    public int Iterations { get; set; } = DefaultIterations;
    public bool Onload { get; set; }
    public string OnloadProfile { get; set; } = OnloadProfileName.Default;
    public string? Label { get; set; }
    /// <summary>Folder (or .jsonl file) where each run is persisted after every completed iteration.</summary>
    public string? HistoryPath { get; set; }
    /// <summary>Runs the client through this prefix (for example "podman exec NAME"), when set.</summary>
    public IReadOnlyList<string>? ClientPrefix { get; set; }
    /// <summary>Where the client runs, recorded on the run ("host" or "container:NAME").</summary>
    public string ClientLocation { get; set; } = "host";

    /// <summary>The tests to measure, one run each (netperf's test names, sockperf's protocols).</summary>
    public abstract IReadOnlyList<string> Tests { get; }

    public string EffectiveLabel => Label is { Length: > 0 } l ? l : ClientLocation == "host" ? (Onload ? "onload" : "bare-metal") : "container";
}
