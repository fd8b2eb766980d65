using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnloadTools;

/// <summary>The verdicts of a jitter measurement against its threshold, written once (strings, for the reason given at
/// <see cref="HostCheckStatus"/>).</summary>
public static class HostJitterVerdict
{
    /// <summary>The maximum stayed below the threshold.</summary>
    public const string Passed = "Passed";
    /// <summary>The maximum reached or passed the threshold.</summary>
    public const string Exceeded = "Exceeded";

    internal static string Of(double maximum, double threshold) => maximum < threshold ? Passed : Exceeded;
}

/// <summary>
/// What Measure-HostJitter measured on one CPU in one run of oslat or cyclictest: flat and primitive, so it survives
/// remoting and JSON alike. Latencies are in microseconds, at the tool's resolution (1 µs).
/// </summary>
public sealed class HostJitterResult
{
    public string RunId { get; set; } = "";
    public string HostName { get; set; } = "";
    /// <summary>oslat or cyclictest.</summary>
    public string Tool { get; set; } = "";
    public string? ToolVersion { get; set; }
    public int Cpu { get; set; }
    public double MinimumMicroseconds { get; set; }
    public double AverageMicroseconds { get; set; }
    public double MaximumMicroseconds { get; set; }
    /// <summary>The 99th, 99.9th and 99.99th percentiles read from the tool's histogram (a bucket's value, 1 µs wide);
    /// null when the percentile falls in the overflow (beyond the histogram: it is then at least <see cref="HistogramLimitMicroseconds"/>)
    /// or when the tool printed no histogram.</summary>
    public double? P99Microseconds { get; set; }
    public double? P999Microseconds { get; set; }
    public double? P9999Microseconds { get; set; }
    /// <summary>Loops (oslat) or timer wake-ups (cyclictest) measured.</summary>
    public long? Samples { get; set; }
    /// <summary>Samples at or beyond the histogram's last bucket.</summary>
    public long Overflows { get; set; }
    /// <summary>The histogram's last bucket, µs.</summary>
    public int HistogramLimitMicroseconds { get; set; }
    /// <summary>The tool's histogram as "µs:count" pairs ("1:117986334,3:128,…"), empty buckets left out.</summary>
    public string Histogram { get; set; } = "";
    public double ThresholdMicroseconds { get; set; }
    /// <summary>Passed (maximum below the threshold) or Exceeded.</summary>
    public string Verdict { get; set; } = "";
    public double DurationSeconds { get; set; }
    public int? Priority { get; set; }
    /// <summary>The command line that ran, as it could be pasted into a shell.</summary>
    public string CommandLine { get; set; } = "";
    public DateTime StartTime { get; set; }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"CPU {Cpu}: max {MaximumMicroseconds} µs ({Verdict} {ThresholdMicroseconds} µs)");
}

/// <summary>
/// One Measure-HostJitter run: its per-CPU results and the host facts that explain them. Flat and primitive, with a
/// stable JSON shape (<see cref="ToJson"/>, <see cref="FromJson"/>; <see cref="SchemaVersion"/> changes when it does).
/// </summary>
public sealed class HostJitterRun
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; set; } = CurrentSchemaVersion;
    public string RunId { get; set; } = "";
    public string HostName { get; set; } = "";
    public string? KernelRelease { get; set; }
    public string? KernelCommandLine { get; set; }
    public string? TunedProfile { get; set; }
    /// <summary>The CPUs isolated on this host when it ran (isolcpus, nohz_full, tuned cpu-partitioning).</summary>
    public string IsolatedCpus { get; set; } = "";
    public string? ClockSource { get; set; }
    public string Tool { get; set; } = "";
    public string? ToolVersion { get; set; }
    /// <summary>The CPUs measured, as a CPU list.</summary>
    public string Cpus { get; set; } = "";
    public int? Priority { get; set; }
    public double DurationSeconds { get; set; }
    public double ThresholdMicroseconds { get; set; }
    /// <summary>The worst maximum over every CPU.</summary>
    public double MaximumMicroseconds { get; set; }
    /// <summary>Passed when every CPU passed, else Exceeded.</summary>
    public string Verdict { get; set; } = "";
    public string CommandLine { get; set; } = "";
    public DateTime StartTime { get; set; }
    public DateTime EndTime { get; set; }
    /// <summary>Whether the figures came from the tool's --json file (rt-tests 2.x) or its text.</summary>
    public string Source { get; set; } = "";
    /// <summary>The tool's own report of the run, as it wrote it: its --json file, else its text output.</summary>
    public string ToolReport { get; set; } = "";
    public HostJitterResult[] Results { get; set; } = Array.Empty<HostJitterResult>();

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        PropertyNamingPolicy = null,
    };

    /// <summary>The run as JSON: every property above under its own name, dates in ISO 8601 UTC.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Reads a run written by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">The text is not such a run.</exception>
    public static HostJitterRun FromJson(string json) =>
        JsonSerializer.Deserialize<HostJitterRun>(json, Options) ?? throw new JsonException("The JSON holds no jitter run.");

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Tool} on CPUs {Cpus}: max {MaximumMicroseconds} µs ({Verdict} {ThresholdMicroseconds} µs)");
}
