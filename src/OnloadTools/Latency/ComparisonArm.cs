using OnloadTools.Containers;

namespace OnloadTools.Latency;

/// <summary>One arm of Invoke-LatencyComparison as asked (label, Onload, where netperf runs) and what the experiment
/// learned and started for it (its container, its session, its runs).</summary>
internal sealed class ComparisonArm
{
    public required string Label { get; init; }
    public bool Onload { get; set; }
    public string OnloadProfile { get; init; } = OnloadProfileName.Default;
    /// <summary>An existing container netperf runs in (or, once started, the arm's own container).</summary>
    public string? Container { get; set; }
    /// <summary>The image of a container the experiment starts for the arm.</summary>
    public string? Image { get; init; }
    /// <summary>The cmdlet runs something (a scriptblock) at each switch to this arm.</summary>
    public bool HasPrepare { get; init; }

    /// <summary>The container the experiment started for the arm (removed at the end).</summary>
    public ArmContainer? StartedContainer { get; set; }
    /// <summary>The full id of the arm's container, for finding its netperf in /proc.</summary>
    public string? ContainerId { get; set; }
    /// <summary>Onload is expected: asked for, or the image carries it.</summary>
    public bool ExpectsOnload { get; set; }
    public LatencySession? Session { get; set; }
    internal Dictionary<string, LatencyRun> Runs { get; } = new(StringComparer.OrdinalIgnoreCase);
    internal bool WarnedNotAccelerated { get; set; }
    /// <summary>Warnings said once per arm (too few round trips for a tail percentile), by test and kind.</summary>
    internal HashSet<string> WarnedOnce { get; } = new(StringComparer.Ordinal);

    public string Describe(string tool = "netperf") =>
        Label + ": " + (Image is not null ? $"{tool} in a container of {Image}" : Container is not null ? $"{tool} in container {Container}" : $"{tool} on this host")
        + (Onload ? " under onload" : "") + (HasPrepare ? ", prepared by a scriptblock" : "");
}

/// <summary>What one Invoke-LatencyComparison asks of the experiment besides its arms.</summary>
internal sealed class ComparisonSettings
{
    public string? ComputerName { get; init; }
    public int? Port { get; init; }
    /// <summary>netperf's tests (TCP_RR …), or with <see cref="ComparisonTool.Sockperf"/> sockperf's protocols (UDP, TCP).</summary>
    public required IReadOnlyList<string> TestNames { get; init; }
    /// <summary>The tool both arms measure with.</summary>
    public ComparisonTool Tool { get; init; } = ComparisonTool.Netperf;
    /// <summary>Default of <see cref="MaxIterations"/>: the adaptive rule's last look.</summary>
    public const int DefaultMaxIterations = 10;
    /// <summary>Default of <see cref="MaxDuration"/>, in minutes.</summary>
    public const int DefaultMaxDurationMinutes = 15;

    public int DurationSeconds { get; init; } = LatencyRequest.DefaultDurationSeconds;
    /// <summary>A fixed protocol of this many iterations per arm; null for the adaptive rule.</summary>
    public int? FixedIterations { get; init; }
    public int MaxIterations { get; init; } = DefaultMaxIterations;
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(DefaultMaxDurationMinutes);
    public double ConfidenceLevel { get; init; } = ComparisonOptions.DefaultConfidenceLevel;
    public double EquivalenceMargin { get; init; } = ComparisonOptions.DefaultEquivalenceMargin;
    public int? LocalCpu { get; init; }
    public int? RemoteCpu { get; init; }
    public string? HistoryPath { get; init; }
}

/// <summary>The tool of Invoke-LatencyComparison -Tool.</summary>
internal enum ComparisonTool
{
    /// <summary>netperf TCP_RR/UDP_RR/TCP_CRR: whole-µs times, percentiles from netperf's histogram.</summary>
    Netperf,
    /// <summary>sockperf ping-pong: nanosecond times, every round trip read from --full-log per iteration.</summary>
    Sockperf,
}

/// <summary>Where a comparison's experiment is: what Write-Progress shows.</summary>
internal sealed record ComparisonProgress(string Status, string CurrentOperation, int SecondsRemaining);

/// <summary>A test of the experiment is over: its runs (reference, difference; either may be null when it never ran)
/// and their comparisons at the rule's level (none when a side has nothing measured).</summary>
internal sealed record ComparisonOutcome(string TestName, IReadOnlyList<LatencyRun> Runs, IReadOnlyList<LatencyComparison> Comparisons);

/// <summary>What the experiment asks of the command that runs it (a cmdlet: its streams, its pipeline thread).</summary>
internal interface IComparisonHost
{
    /// <summary>Waits for <paramref name="task"/> on the caller's thread, calling <paramref name="tick"/> while waiting.</summary>
    T Await<T>(Task<T> task, Action? tick);
    void Progress(ComparisonProgress progress);
    void Verbose(string message);
    void Warning(string message);
    /// <summary>An iteration failed (a <see cref="LatencyToolException"/> or a <see cref="Processes.ToolTimeoutException"/>): one error, written once.</summary>
    void IterationFailed(LatencySession session, string test, Exception error);
    /// <summary>Runs what prepares an arm at each switch to it (<see cref="ComparisonArm.HasPrepare"/>).</summary>
    void Prepare(ComparisonArm arm);
    /// <summary>Saves a run to the history after every completed iteration (quiet: the command is ending).</summary>
    void Save(LatencyRun run, bool quiet);
    /// <summary>A test is over.</summary>
    void Decided(ComparisonOutcome outcome);
}
