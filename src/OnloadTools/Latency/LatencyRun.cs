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

    /// <summary>The facts of the host the run was measured on (kernel, tuned profile, NIC, Onload profile settings …), read once
    /// before its first iteration; null in files written before they were recorded.</summary>
    public HostFacts? HostFacts { get; set; }

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

    /// <summary>
    /// The first value of this run (or of one of its samples) that no measurement can produce, naming its field
    /// ("Samples[2].MeanLatency"); null when the run is possible. Runs arrive from files and pipelines the module did not
    /// write: Import-LatencyRun refuses such a file and every cmdlet that takes runs refuses such an object, so an
    /// impossible value is never stored, exported, compared or reported (docs/about_OnloadTools.md, "Run history").
    /// </summary>
    internal ImpossibleValue? FindImpossibleValue()
    {
        if (LatencyValidation.FirstNonFiniteOrNull(this, "") is { } bad) return bad;
        if (string.IsNullOrWhiteSpace(RunId)) return new(nameof(RunId), RunId, "a run has an identity.");
        if (string.IsNullOrWhiteSpace(TestName)) return new(nameof(TestName), TestName, "a run is of one test (TCP_RR, UDP_RR …).");
        for (int i = 0; i < Samples.Length; i++)
        {
            if (Samples[i] is not { } sample) return new($"{nameof(Samples)}[{i}]", null, "a sample is an iteration's figures, never null.");
            if (sample.FindImpossibleValue($"{nameof(Samples)}[{i}].") is { } badSample) return badSample;
        }
        if (DurationSeconds < 0) return new(nameof(DurationSeconds), DurationSeconds, LatencyValidation.NotNegative);
        if (Port is < 0 or > 65535) return new(nameof(Port), Port, "a TCP/UDP port lies between 0 and 65535.");
        if (RequestSize < 0) return new(nameof(RequestSize), RequestSize, LatencyValidation.NotNegativeCount);
        if (ResponseSize < 0) return new(nameof(ResponseSize), ResponseSize, LatencyValidation.NotNegativeCount);
        if (IterationsRequested < 0) return new(nameof(IterationsRequested), IterationsRequested, LatencyValidation.NotNegativeCount);
        if (IterationsFailed < 0) return new(nameof(IterationsFailed), IterationsFailed, LatencyValidation.NotNegativeCount);
        if (LocalCpu < -1) return new(nameof(LocalCpu), LocalCpu, LatencyValidation.CpuNumber);
        if (RemoteCpu < -1) return new(nameof(RemoteCpu), RemoteCpu, LatencyValidation.CpuNumber);
        // 0 requested: not recorded (runs built by hand, hashtables); otherwise no run holds more iterations than it asked for.
        if (IterationsRequested > 0 && Samples.Length > IterationsRequested)
            return new(nameof(IterationsRequested), IterationsRequested, $"the run holds {Samples.Length} completed iteration(s), more than it requested.");
        if (Status == LatencyRunStatus.Completed && IterationsFailed > 0)
            return new(nameof(Status), Status, $"a run with {IterationsFailed} failed iteration(s) is Partial or Stopped, not Completed.");
        if (Status == LatencyRunStatus.Completed && IterationsRequested > 0 && Samples.Length != IterationsRequested)
            return new(nameof(Status), Status, $"Completed means every requested iteration produced a sample; {Samples.Length} of {IterationsRequested} did.");
        return null;
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

/// <summary>A value no measurement can produce: where it is (<see cref="Field"/>, "Samples[2].MeanLatency"), what it is, and the rule it breaks.</summary>
internal sealed record ImpossibleValue(string Field, object? Value, string Rule, string? Description = null)
{
    /// <summary>The value as a message shows it (numbers invariant, "Infinity", "NaN", "null"; or <see cref="Description"/>,
    /// "5 latencies"); never a string's content.</summary>
    public string Shown => Description ?? Value switch
    {
        null => "null",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        // A field's own words (Status 'Completed') are shown; other text never is (a file from outside could be a secret).
        string s => s.Length == 0 ? "empty" : s.Length <= 32 && s.All(char.IsAsciiLetterOrDigit) ? $"'{s}'" : "not usable",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => "not usable",
    };

    public override string ToString() => $"{Field} is {Shown}: {Rule}";
}

/// <summary>
/// The rules every run and sample obey, whatever their source (docs/about_OnloadTools.md, "Run history"): every number
/// is finite and at most <see cref="MaxMagnitude"/>; latencies, rates, durations, sizes and counts are never negative;
/// CPU numbers are -1 (not bound) or more; nothing that is not nullable is null; a run holds no more iterations than it
/// requested and is Completed only when every requested iteration produced a sample.
/// </summary>
internal static class LatencyValidation
{
    public const string NotNegative = "latencies, rates and durations are finite numbers, 0 or more.";
    public const string NotNegativeCount = "sizes and counts are 0 or more.";
    public const string CpuNumber = "a CPU is -1 (not bound) or a CPU number.";
    /// <summary>The largest magnitude a number in a run may have: 1e15 µs is 31 years. Far below double's limit, so
    /// sums, means and squares over any number of iterations stay finite (a report is strict JSON: no infinity).</summary>
    public const double MaxMagnitude = 1e15;
    private const string Finite = "numbers in a run are finite (no NaN, no infinity) and at most 1e15.";

    private static bool IsPossible(double d) => double.IsFinite(d) && Math.Abs(d) <= MaxMagnitude;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, (string Name, Func<object, object?> Get, bool NonNullable)[]> Checked = new();

    /// <summary>
    /// The first settable property of <paramref name="target"/> that holds a non-finite number (double, double?, double[])
    /// or null where its type does not allow null: generic, so a property added later is covered too. Only those
    /// properties are read, through compiled getters (runs by the thousand arrive from remoting and histories).
    /// </summary>
    public static ImpossibleValue? FirstNonFiniteOrNull(object target, string prefix)
    {
        var properties = Checked.GetOrAdd(target.GetType(), type =>
        {
            var context = new System.Reflection.NullabilityInfoContext();
            return type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
                .Where(p => p.CanWrite && p.GetSetMethod() is not null)
                .Select(p => (Property: p, NonNullable: !p.PropertyType.IsValueType && context.Create(p).WriteState == System.Reflection.NullabilityState.NotNull))
                .Where(x => x.NonNullable || x.Property.PropertyType == typeof(double) || x.Property.PropertyType == typeof(double?)
                            || x.Property.PropertyType == typeof(double[]))
                .Select(x => (x.Property.Name, Getter(x.Property), x.NonNullable))
                .ToArray();
        });
        foreach (var (name, get, nonNullable) in properties)
        {
            switch (get(target))
            {
                case null when nonNullable:
                    return new(prefix + name, null, "this field is never null.");
                case double d when !IsPossible(d):
                    return new(prefix + name, d, Finite);
                case double[] values when Array.FindIndex(values, x => !IsPossible(x)) is var i and >= 0:
                    return new(prefix + name, values[i], Finite);
            }
        }
        return null;
    }

    private static Func<object, object?> Getter(System.Reflection.PropertyInfo property)
    {
        var target = System.Linq.Expressions.Expression.Parameter(typeof(object));
        var read = System.Linq.Expressions.Expression.Property(System.Linq.Expressions.Expression.Convert(target, property.DeclaringType!), property);
        return System.Linq.Expressions.Expression.Lambda<Func<object, object?>>(System.Linq.Expressions.Expression.Convert(read, typeof(object)), target).Compile();
    }
}
