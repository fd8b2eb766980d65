using System.Globalization;
using System.Text.RegularExpressions;
using OnloadTools.Host;
using OnloadTools.Processes;
using OnloadTools.Readiness;
using OnloadTools.Tuning;

namespace OnloadTools.Jitter;

/// <summary>What Measure-HostJitter runs.</summary>
internal sealed class JitterRequest
{
    /// <summary>oslat or cyclictest (<see cref="RtTestsParser"/>'s names).</summary>
    public string Tool { get; init; } = RtTestsParser.Oslat;
    public IReadOnlyList<int> Cpus { get; init; } = Array.Empty<int>();
    public int DurationSeconds { get; init; } = 60;
    public double ThresholdMicroseconds { get; init; } = 20;
    /// <summary>SCHED_FIFO priority of the measuring threads; 0 runs them as ordinary tasks.</summary>
    public int Priority { get; init; } = 1;
    /// <summary>cyclictest's wake-up interval, µs.</summary>
    public int IntervalMicroseconds { get; init; } = 1000;
}

/// <summary>The tool could not measure (it exited non-zero, or printed nothing this module can read).</summary>
internal sealed class JitterToolException(string tool, string message, ToolResult? result) : Exception(message)
{
    public string Tool { get; } = tool;
    public ToolResult? Result { get; } = result;
    /// <summary>What the admin can do about it, when the module knows (a SCHED_FIFO priority without the privilege).</summary>
    public string? RecommendedAction { get; init; }
}

/// <summary>The kernel offers no hwlat tracer (a virtual machine, or a kernel built without it).</summary>
internal sealed class HwlatTracerUnavailableException(string message) : Exception(message);

/// <summary>
/// Runs oslat or cyclictest once on the CPUs asked for and turns what it reports into one result per CPU and a run
/// with the host facts. The tool runs tethered (its own process group, killed with pwsh and at once on cancellation);
/// a run cut short yields nothing. Figures come from the tool's --json file where its version writes one (rt-tests
/// 2.x), else from its text.
/// </summary>
internal sealed partial class JitterSession
{
    /// <summary>oslat pre-heats the CPUs for a second before it measures.</summary>
    public static int OverheadSeconds(string tool) => tool == RtTestsParser.Oslat ? 1 : 0;

    private readonly IToolRunner _runner;
    private readonly HostFileSystem _fs;

    public JitterSession(IToolRunner runner, HostFileSystem fs)
    {
        _runner = runner;
        _fs = fs;
    }

    /// <summary>The tool's version ("2.40"), or null when it does not say.</summary>
    public async Task<string?> VersionAsync(string tool, CancellationToken ct)
    {
        // oslat answers --version; cyclictest prints its version atop --help (exit code 0 or 1 by release).
        var r = await _runner.RunAsync(new ToolCommand(tool, tool == RtTestsParser.Oslat ? "--version" : "--help"), TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        return RtTestsParser.Version(r.CombinedOutput);
    }

    /// <summary>The command line that measures, given where its JSON goes (null: no --json).</summary>
    public static ToolCommand BuildCommand(JitterRequest request, int? mainCpu, string? jsonPath)
    {
        string cpus = CpuList.Format(request.Cpus);
        string seconds = request.DurationSeconds.ToString(CultureInfo.InvariantCulture);
        var a = new List<string>();
        if (request.Tool == RtTestsParser.Oslat)
        {
            a.Add("--cpu-list=" + cpus);
            a.Add("--duration=" + seconds);
            if (request.Priority > 0) a.Add("--rtprio=" + request.Priority.ToString(CultureInfo.InvariantCulture));
            if (mainCpu is int m) a.Add("--cpu-main-thread=" + m.ToString(CultureInfo.InvariantCulture));
            a.Add("--quiet");
        }
        else
        {
            a.Add("--duration=" + seconds);
            a.Add("--priority=" + request.Priority.ToString(CultureInfo.InvariantCulture));
            a.Add("--threads=" + request.Cpus.Count.ToString(CultureInfo.InvariantCulture));
            a.Add("--affinity=" + cpus);
            a.Add("--interval=" + request.IntervalMicroseconds.ToString(CultureInfo.InvariantCulture));
            a.Add("--distance=0");
            a.Add("--histogram=" + HistogramLimit(request.ThresholdMicroseconds).ToString(CultureInfo.InvariantCulture));
            if (mainCpu is int m) a.Add("--mainaffinity=" + m.ToString(CultureInfo.InvariantCulture));
            a.Add("--mlockall");
            a.Add("--quiet");
        }
        if (jsonPath is not null) a.Add("--json=" + jsonPath);
        return new ToolCommand(request.Tool, a) { Tethered = true };
    }

    /// <summary>cyclictest's histogram reaches well past the threshold, so the tail above it is still counted by µs.</summary>
    public static int HistogramLimit(double threshold) => (int)Math.Clamp(Math.Ceiling(threshold * 5), 100, 10000);

    /// <summary>Measures. Throws <see cref="ToolNotFoundException"/>, <see cref="JitterToolException"/>, or
    /// <see cref="OperationCanceledException"/> (the tool has been killed; nothing is returned).</summary>
    public async Task<HostJitterRun> RunAsync(JitterRequest request, CancellationToken ct)
    {
        if (_runner.Which(request.Tool) is null) throw new ToolNotFoundException(request.Tool);
        var isolation = CpuIsolation.Read(_fs);
        string? version = await VersionAsync(request.Tool, ct).ConfigureAwait(false);
        bool json = RtTestsParser.SupportsJson(version);
        string dir = Directory.CreateTempSubdirectory("onloadtools-jitter-").FullName;
        try
        {
            string? jsonPath = json ? Path.Combine(dir, request.Tool + ".json") : null;
            var command = BuildCommand(request, isolation.HousekeepingCpu(request.Cpus), jsonPath);
            var timeout = TimeSpan.FromSeconds(request.DurationSeconds + OverheadSeconds(request.Tool) + 60);
            var result = await _runner.RunAsync(command, timeout, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (!result.Succeeded)
                throw new JitterToolException(request.Tool, $"{request.Tool} could not measure: {result.Describe()}", result)
                {
                    RecommendedAction = request.Priority > 0 ? "SCHED_FIFO needs root or CAP_SYS_NICE: run as root, or give -Priority 0." : null,
                };
            RtTestsOutput output;
            string source;
            string? text = jsonPath is not null && File.Exists(jsonPath) ? File.ReadAllText(jsonPath) : null;
            try
            {
                if (text is { Length: > 0 })
                {
                    output = request.Tool == RtTestsParser.Oslat ? RtTestsParser.ParseOslatJson(text) : RtTestsParser.ParseCyclictestJson(text);
                    source = "json";
                }
                else
                {
                    output = request.Tool == RtTestsParser.Oslat
                        ? RtTestsParser.ParseOslatText(result.CombinedOutput)
                        : RtTestsParser.ParseCyclictestText(result.CombinedOutput, request.Cpus);
                    source = "text";
                }
            }
            catch (RtTestsFormatException e)
            {
                throw new JitterToolException(request.Tool, e.Message + " Its output: " + Abridge(result.CombinedOutput), result);
            }
            var run = Assemble(request, output, version ?? output.Version, source, result, isolation);
            run.ToolReport = source == "json" ? text! : result.CombinedOutput;
            return run;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string Abridge(string s)
    {
        s = s.Trim();
        return s.Length > 1000 ? s[..1000] + " …" : s;
    }

    /// <summary>The public run and its results from a parsed output: verdicts, percentiles, host facts.</summary>
    public HostJitterRun Assemble(JitterRequest request, RtTestsOutput output, string? version, string source, ToolResult result, CpuIsolation isolation)
    {
        string runId = Guid.NewGuid().ToString("n")[..12];
        string host = HostInfo.HostName(_fs);
        double duration = result.Duration.TotalSeconds;
        var results = output.Cpus.Select(c => new HostJitterResult
        {
            RunId = runId, HostName = host, Tool = request.Tool, ToolVersion = version, Cpu = c.Cpu,
            MinimumMicroseconds = c.Minimum, AverageMicroseconds = c.Average, MaximumMicroseconds = c.Maximum,
            P99Microseconds = Percentile(c, 0.99), P999Microseconds = Percentile(c, 0.999), P9999Microseconds = Percentile(c, 0.9999),
            Samples = c.Samples, Overflows = c.Overflows,
            // cyclictest's histogram spans 0 to its --histogram limit less one whatever it saw (its JSON leaves out empty buckets).
            HistogramLimitMicroseconds = request.Tool == RtTestsParser.Cyclictest && source == "json" && c.Histogram.Count > 0 ? HistogramLimit(request.ThresholdMicroseconds) - 1 : c.HistogramLimit,
            Histogram = string.Join(',', c.Histogram.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}:{kv.Value}"))),
            ThresholdMicroseconds = request.ThresholdMicroseconds, Verdict = HostJitterVerdict.Of(c.Maximum, request.ThresholdMicroseconds),
            DurationSeconds = c.DurationSeconds ?? request.DurationSeconds, Priority = request.Priority > 0 ? request.Priority : null,
            CommandLine = result.CommandLine, StartTime = result.StartTime,
        }).OrderBy(r => r.Cpu).ToArray();
        double worst = results.Length == 0 ? 0 : results.Max(r => r.MaximumMicroseconds);
        return new HostJitterRun
        {
            RunId = runId, HostName = host, KernelRelease = HostInfo.KernelRelease(_fs), KernelCommandLine = HostInfo.KernelCommandLine(_fs),
            TunedProfile = HostInfo.ActiveTunedProfile(_fs), IsolatedCpus = CpuList.Format(isolation.Isolated),
            ClockSource = _fs.ReadText(ClockSourcePath)?.Trim(),
            Tool = request.Tool, ToolVersion = version, Cpus = CpuList.Format(request.Cpus),
            Priority = request.Priority > 0 ? request.Priority : null, DurationSeconds = request.DurationSeconds,
            ThresholdMicroseconds = request.ThresholdMicroseconds, MaximumMicroseconds = worst,
            Verdict = results.All(r => r.Verdict == HostJitterVerdict.Passed) ? HostJitterVerdict.Passed : HostJitterVerdict.Exceeded,
            CommandLine = result.CommandLine, StartTime = result.StartTime, EndTime = result.EndTime, Source = source, Results = results,
        };
    }

    public const string ClockSourcePath = "/sys/devices/system/clocksource/clocksource0/current_clocksource";

    /// <summary>
    /// The smallest histogram bucket at which at least <paramref name="p"/> of the samples lie: a figure at the tool's
    /// 1 µs resolution. Null without a histogram, or when the percentile lies among the overflows (beyond the last bucket).
    /// </summary>
    public static double? Percentile(CpuJitter c, double p)
    {
        if (c.Histogram.Count == 0) return null;
        long total = c.Histogram.Values.Sum() + (c.HistogramIsInclusive ? 0 : c.Overflows);
        if (total <= 0) return null;
        double need = p * total;
        long cum = 0;
        foreach (var (us, n) in c.Histogram)
        {
            cum += n;
            if (cum >= need)
            {
                // oslat counts every loop at or above its last bucket in that bucket: a percentile there is only a lower bound.
                if (c.HistogramIsInclusive && us == c.HistogramLimit && c.Overflows > 0) return null;
                return us;
            }
        }
        return null;
    }

    // ---- hwlatdetect ----

    /// <summary>Where the kernel's tracing directory is (tracefs, or under debugfs on older kernels).</summary>
    public static readonly string[] TracerLists = { "/sys/kernel/tracing/available_tracers", "/sys/kernel/debug/tracing/available_tracers" };

    /// <summary>Null when the kernel offers the hwlat tracer, else why not (in a sentence an admin can act on).</summary>
    public string? HwlatUnavailableReason()
    {
        foreach (string path in TracerLists)
        {
            string? list = _fs.ReadText(path);
            if (list is null) continue;
            if (list.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Contains("hwlat")) return null;
            return $"The kernel offers no hwlat tracer ({path} lists: {(list.Trim().Length == 0 ? "nothing" : list.Trim())}). " +
                   "A virtual machine cannot see the firmware's interruptions (SMIs) that hwlatdetect looks for; run it on the physical host, with a kernel built with CONFIG_HWLAT_TRACER.";
        }
        return "The kernel's tracing directory is not mounted (neither /sys/kernel/tracing nor /sys/kernel/debug/tracing lists tracers): " +
               "mount tracefs ('mount -t tracefs nodev /sys/kernel/tracing') on the physical host, then run again.";
    }

    /// <summary>Runs hwlatdetect (which must have its tracer) and returns its worst latency, µs, and the samples over the threshold.</summary>
    public async Task<(double? MaximumMicroseconds, long? Exceeding, long? Recorded, ToolResult Result)> HwlatAsync(int seconds, double threshold, CancellationToken ct)
    {
        if (_runner.Which("hwlatdetect") is null) throw new ToolNotFoundException("hwlatdetect");
        if (HwlatUnavailableReason() is { } why) throw new HwlatTracerUnavailableException(why);
        var cmd = new ToolCommand("hwlatdetect", "--duration=" + seconds.ToString(CultureInfo.InvariantCulture),
            "--threshold=" + Math.Ceiling(threshold).ToString(CultureInfo.InvariantCulture)) { Tethered = true };
        var r = await _runner.RunAsync(cmd, TimeSpan.FromSeconds(seconds + 60), ct).ConfigureAwait(false);
        if (!r.Succeeded) throw new JitterToolException("hwlatdetect", $"hwlatdetect could not measure: {r.Describe()}", r);
        return ParseHwlat(r.CombinedOutput) is var (max, exc, rec) ? (max, exc, rec, r) : default;
    }

    /// <summary>hwlatdetect's summary: "Max Latency: 25us" (or "Below threshold"), "Samples recorded: N", "Samples exceeding threshold: N".</summary>
    public static (double? Max, long? Exceeding, long? Recorded) ParseHwlat(string text)
    {
        double? max = null; long? exc = null, rec = null;
        foreach (string line in (text ?? "").Split('\n'))
        {
            var m = HwlatLine().Match(line);
            if (!m.Success) continue;
            string key = m.Groups[1].Value.Trim().ToLowerInvariant(), value = m.Groups[2].Value.Trim();
            var num = Regex.Match(value, @"^(\d+(?:\.\d+)?)");
            if (key == "max latency") max = num.Success ? double.Parse(num.Value, CultureInfo.InvariantCulture) : value.StartsWith("Below", StringComparison.OrdinalIgnoreCase) ? 0 : null;
            else if (key == "samples recorded" && num.Success) rec = long.Parse(num.Value.Split('.')[0], CultureInfo.InvariantCulture);
            else if (key == "samples exceeding threshold" && num.Success) exc = long.Parse(num.Value.Split('.')[0], CultureInfo.InvariantCulture);
        }
        return (max, exc, rec);
    }

    [GeneratedRegex(@"^\s*(Max Latency|Samples recorded|Samples exceeding threshold)\s*:\s*(.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex HwlatLine();
}

