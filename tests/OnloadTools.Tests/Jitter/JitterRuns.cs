using System.Globalization;
using OnloadTools.Jitter;

namespace OnloadTools.Tests.Jitter;

/// <summary>Jitter runs made from the real oslat outputs recorded in tests/fixtures/rt-tests (rt-tests 2.40, this VM),
/// as Measure-HostJitter assembles them (figures, percentiles from the histogram, verdicts), for the comparison and
/// history tests; a test changes one figure of such a run where it needs a night that regressed or exceeded.</summary>
internal static class JitterRuns
{
    /// <summary>oslat-2.40-cpu0-1.json (CPUs 0 and 1, 2 s) or oslat-2.40-cpu1.json (CPU 1, 3 s).</summary>
    public static HostJitterRun FromFixture(string name = "oslat-2.40-cpu0-1.json", double threshold = 20, int night = 1,
        string host = "lab1", string? kernel = "6.18.44-fc-v1272", string tool = RtTestsParser.Oslat)
    {
        var output = RtTestsParser.ParseOslatJson(TestPaths.ReadFixture("rt-tests", name));
        var start = new DateTime(2026, 11, night, 2, 0, 0, DateTimeKind.Utc);
        string id = "run" + night.ToString(CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("n")[..6];
        var results = output.Cpus.Select(c => new HostJitterResult
        {
            RunId = id, HostName = host, Tool = tool, ToolVersion = output.Version, Cpu = c.Cpu,
            MinimumMicroseconds = c.Minimum, AverageMicroseconds = c.Average, MaximumMicroseconds = c.Maximum,
            P99Microseconds = JitterSession.Percentile(c, 0.99), P999Microseconds = JitterSession.Percentile(c, 0.999),
            P9999Microseconds = JitterSession.Percentile(c, 0.9999), Samples = c.Samples, Overflows = c.Overflows,
            HistogramLimitMicroseconds = c.HistogramLimit,
            Histogram = string.Join(',', c.Histogram.Select(kv => $"{kv.Key}:{kv.Value}")),
            ThresholdMicroseconds = threshold, Verdict = c.Maximum < threshold ? HostJitterVerdict.Passed : HostJitterVerdict.Exceeded,
            DurationSeconds = c.DurationSeconds ?? 2, Priority = 1, CommandLine = output.CommandLine ?? "", StartTime = start,
        }).ToArray();
        return new HostJitterRun
        {
            RunId = id, HostName = host, KernelRelease = kernel, KernelCommandLine = "BOOT_IMAGE=/vmlinuz ro quiet",
            TunedProfile = "network-latency", IsolatedCpus = "", ClockSource = "tsc", Tool = tool, ToolVersion = output.Version,
            Cpus = string.Join(',', results.Select(r => r.Cpu)), Priority = 1, DurationSeconds = results.Max(r => r.DurationSeconds),
            ThresholdMicroseconds = threshold, MaximumMicroseconds = results.Max(r => r.MaximumMicroseconds),
            Verdict = results.All(r => r.Verdict == HostJitterVerdict.Passed) ? HostJitterVerdict.Passed : HostJitterVerdict.Exceeded,
            CommandLine = output.CommandLine ?? "", StartTime = start, EndTime = start.AddSeconds(3), Source = "json",
            ToolReport = "{}", Results = results,
        };
    }

    /// <summary>The run with CPU <paramref name="cpu"/>'s maximum (and optionally its P99.99) set, the run's figures kept consistent.</summary>
    public static HostJitterRun With(this HostJitterRun run, int cpu, double maximum, double? tail = null)
    {
        var copy = HostJitterRun.FromJson(run.ToJson());
        var r = copy.Results.Single(x => x.Cpu == cpu);
        r.MaximumMicroseconds = maximum;
        if (tail is not null) r.P9999Microseconds = tail;
        r.Verdict = maximum < r.ThresholdMicroseconds ? HostJitterVerdict.Passed : HostJitterVerdict.Exceeded;
        copy.MaximumMicroseconds = copy.Results.Max(x => x.MaximumMicroseconds);
        copy.Verdict = copy.Results.All(x => x.Verdict == HostJitterVerdict.Passed) ? HostJitterVerdict.Passed : HostJitterVerdict.Exceeded;
        return copy;
    }
}
