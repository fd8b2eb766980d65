using System.Globalization;
using System.Text;
using OnloadTools.Latency;
using OnloadTools.Processes;
using OnloadTools.Tests.Infrastructure;

namespace OnloadTools.Tests.Latency;

/// <summary>
/// Invoke-LatencyComparison -Tool Sockperf in the domain: <see cref="ComparisonExperimentRunner"/> driving a scripted
/// sockperf whose --full-log the script writes, so each iteration's tails can only have come from the full log (the
/// summary printed beside it says otherwise). With the real sockperf on loopback: tests/Pester/Comparison.Tests.ps1.
/// </summary>
public class SockperfComparisonTests
{
    /// <summary>sockperf 3.7's summary (recorded on loopback): its tails (p99 38.902, p99.9 1359.514) are not those of
    /// any full log written below.</summary>
    private static readonly string Summary = TestPaths.ReadFixture("sockperf", "recorded_3.7_udp.txt");

    /// <summary>A full log of <paramref name="count"/> round trips: all <paramref name="body"/> µs except the slowest
    /// 2 % at <paramref name="tail"/> µs (so p99 is there) and of those the slowest 0.2 % at <paramref name="farTail"/> µs
    /// (p99.9).</summary>
    private static string FullLog(int count, double body, double tail, double farTail)
    {
        var sb = new StringBuilder("------------------------------\ntest was performed using the following parameters: --mps=max --msg-size=14 --time=1\n------------------------------\n");
        sb.Append("packet, txTime(sec), rxTime(sec), latency(usec)\n");
        for (int i = 0; i < count; i++)
        {
            double v = i < count / 500 ? farTail : i < count / 50 ? tail : body;
            sb.Append(CultureInfo.InvariantCulture, $"{i}, 1.{i:000000000}, 1.{i:000000000}, {v:0.000}\n");
        }
        return sb.Append("------------------------------\n").ToString();
    }

    private sealed class RecordingHost : IComparisonHost
    {
        public List<string> Errors { get; } = new();
        public List<string> Warnings { get; } = new();
        public List<ComparisonOutcome> Outcomes { get; } = new();
        public T Await<T>(Task<T> task, Action? tick) => task.GetAwaiter().GetResult();
        public void Progress(ComparisonProgress progress) { }
        public void Verbose(string message) { }
        public void Warning(string message) => Warnings.Add(message);
        public void IterationFailed(LatencySession session, string test, Exception error) => Errors.Add(error.Message);
        public void Prepare(ComparisonArm arm) { }
        public void Save(LatencyRun run, bool quiet) { }
        public void Decided(ComparisonOutcome outcome) => Outcomes.Add(outcome);
    }

    /// <summary>A sockperf that writes the full log it is asked for: the n-th ping-pong (1-based) gets
    /// <paramref name="log"/>(n).</summary>
    private static ScriptedRunner Sockperf(Func<int, string> log)
    {
        int n = 0;
        return new ScriptedRunner(c =>
        {
            if (c.Arguments.Contains("--version")) return (0, "sockperf: == version #3.7-no.git ==\n", "");
            int at = c.Arguments.ToList().IndexOf("--full-log");
            if (at >= 0) File.WriteAllText(c.Arguments[at + 1], log(++n));
            return (0, Summary, "");
        }, "sockperf");
    }

    private static ComparisonExperimentRunner Experiment(ScriptedRunner tools, int iterations, params string[] tests)
    {
        var settings = new ComparisonSettings
        {
            ComputerName = "127.0.0.1",   // no private server: the scripted sockperf answers
            TestNames = tests,
            Tool = ComparisonTool.Sockperf,
            DurationSeconds = 1,
            FixedIterations = iterations,
        };
        var arms = new[] { new ComparisonArm { Label = "a" }, new ComparisonArm { Label = "b" } };
        var runner = new ComparisonExperimentRunner(tools, OnloadTools.Host.HostFileSystem.Current, settings, arms);
        foreach (var arm in arms) runner.CreateSession(arm, null).PrepareAsync(CancellationToken.None).GetAwaiter().GetResult();
        return runner;
    }

    [Fact]
    public void Each_iteration_has_its_tails_from_its_full_log_and_P999_is_compared_by_rank_across_iterations()
    {
        // Order A B B A A B B A …: arm b's tails are twice arm a's, its body the same.
        const int Iterations = 5;
        var order = new List<char>();
        var tools = Sockperf(n =>
        {
            int step = (n - 1) / 1;   // one test: one ping-pong per step
            char arm = LatencyExperiment.Letter(new[] { 0, 1, 1, 0 }[step % 4]);
            order.Add(arm);
            double k = arm == 'A' ? 1 : 2;
            return FullLog(20_000, 10 + n * 0.01, 40 * k + n, 400 * k + n);
        });
        using var runner = Experiment(tools, Iterations, "UDP");
        var host = new RecordingHost();
        runner.Run(host, CancellationToken.None);

        Assert.Empty(host.Errors);
        var outcome = Assert.Single(host.Outcomes);
        Assert.Equal("UDP", outcome.TestName);
        Assert.Equal(2, outcome.Runs.Count);
        foreach (LatencyRun run in outcome.Runs)
        {
            Assert.Equal("UDP_PINGPONG", run.TestName);
            Assert.Equal("sockperf", run.Tool);
            Assert.Equal(Iterations, run.Samples.Length);
            double k = run.Label == "a" ? 1 : 2;
            foreach (LatencySample s in run.Samples)
            {
                Assert.Contains("--full-log", s.CommandLine);
                Assert.Equal(20_000, s.Observations);   // the log's count, not the summary's 23394
                // p99 lies in the 2 % tail, p99.9 in the 0.2 % one: from the log, not the summary (38.902, 1359.514)
                Assert.InRange(s.P99Latency!.Value, 40 * k, 40 * k + 2 * Iterations + 1);
                Assert.InRange(s.P999Latency!.Value, 400 * k, 400 * k + 2 * Iterations + 1);
                Assert.True(s.P999Latency >= s.P99Latency);
                Assert.NotNull(s.P9999Latency);   // 20,000 round trips allow p99.99 …
                Assert.Null(s.P99999Latency);     // … not p99.999 (it needs 100,000)
            }
        }

        var p999 = Assert.Single(outcome.Comparisons, c => c.Metric == "P999");
        Assert.Contains("Mann-Whitney", p999.Method);
        Assert.Contains("Hodges-Lehmann", p999.Method);
        Assert.Equal(outcome.Runs[0].Samples.Select(s => s.P999Latency!.Value), p999.ReferenceValues);
        Assert.Equal(outcome.Runs[1].Samples.Select(s => s.P999Latency!.Value), p999.DifferenceValues);
        Assert.Equal(runner.Rule.AdjustedConfidenceLevel, p999.ConfidenceLevel, 9);
        // 5 v 5 iterations with every b above every a: an interval, and it excludes no change (b's tail is twice a's)
        Assert.NotNull(p999.ConfidenceIntervalLow);
        Assert.True(p999.ConfidenceIntervalLow > 50, $"P999 interval [{p999.ConfidenceIntervalLow}, {p999.ConfidenceIntervalHigh}]");
        Assert.Contains(outcome.Comparisons, c => c.Metric == "P99");
        // the tails came from a histogram of 4 significant digits: 800 µs stands for a 32 ns bucket below it
        Assert.Contains("histogram bucket", p999.ResolutionBasis);
        Assert.InRange(p999.DifferenceResolution, 0.032, 0.0331);

        // p99.999 was too much for 20,000 round trips: said once per arm, not once per iteration
        var tooFew = host.Warnings.Where(w => w.Contains(SockperfSession.TooFewPrefix, StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, tooFew.Length);
        Assert.Contains(tooFew, w => w.StartsWith("a UDP", StringComparison.Ordinal));
        Assert.Contains(tooFew, w => w.StartsWith("b UDP", StringComparison.Ordinal));
        Assert.All(tooFew, w => Assert.Contains("p99.999", w));
    }

    [Fact]
    public void Every_iteration_of_both_arms_and_protocols_reads_a_full_log_and_the_netperf_tests_are_refused()
    {
        var tools = Sockperf(_ => FullLog(2000, 10, 20, 30));
        using var runner = Experiment(tools, 2, "UDP", "TCP");
        runner.Run(new RecordingHost(), CancellationToken.None);
        var pingPongs = tools.Commands.Where(c => c.Arguments.Contains("ping-pong")).ToArray();
        Assert.Equal(8, pingPongs.Length);
        Assert.Equal(4, pingPongs.Count(c => c.Arguments.Contains("--tcp")));
        Assert.All(pingPongs, c => Assert.Contains("--full-log", c.Arguments));

        var settings = new ComparisonSettings { TestNames = new[] { "TCP_RR" }, Tool = ComparisonTool.Sockperf };
        var e = Assert.Throws<ArgumentException>(() => new ComparisonExperimentRunner(tools, OnloadTools.Host.HostFileSystem.Current, settings,
            new[] { new ComparisonArm { Label = "a" }, new ComparisonArm { Label = "b" } }));
        Assert.Contains("TCP_RR", e.Message);
    }

    [Fact]
    public void The_second_arm_uses_the_private_servers_of_the_first()
    {
        var first = new SockperfSession(new ScriptedRunner(_ => (0, "", ""), "sockperf"), OnloadTools.Host.HostFileSystem.Current,
            new SockperfRequest { Protocols = new[] { "UDP", "TCP" }, ClientPrefix = new[] { "podman", "exec", "c1" } });
        // A container arm does not look for servers itself: it measures against the ports its owner found or started.
        var owned = typeof(LatencySession).GetField("_ports", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var ports = (Dictionary<string, int>)owned.GetValue(first)!;
        ports["UDP"] = 40001;
        ports["TCP"] = 40002;
        var second = new SockperfSession(new ScriptedRunner(_ => (0, "", ""), "sockperf"), OnloadTools.Host.HostFileSystem.Current,
            new SockperfRequest { Protocols = new[] { "UDP", "TCP" }, ClientPrefix = new[] { "podman", "exec", "c2" } }) { ServerOwner = first };
        Assert.Equal(40001, second.PortFor("UDP"));
        Assert.Equal(40002, second.PortFor("TCP"));
        Assert.Contains("-p 40002", second.BuildCommand("TCP").CommandLine);
    }

    [Fact]
    public async Task In_a_container_the_full_log_is_written_there_read_back_through_the_engine_and_removed()
    {
        string log = FullLog(2000, 10, 30, 300);
        var tools = new ScriptedRunner(c => c.Arguments.Contains("cat") ? (0, log, "") : (0, Summary, ""), "podman");
        var session = new SockperfSession(tools, OnloadTools.Host.HostFileSystem.Current, new SockperfRequest
        {
            Protocols = new[] { "UDP" }, FullDistribution = true, DurationSeconds = 1, ClientPrefix = new[] { "podman", "exec", "arm-b" },
            ClientLocation = "container:arm-b",
        });
        var run = session.NewRun("UDP");
        LatencySample s = await session.RunIterationAsync(run, "UDP", 1, CancellationToken.None);

        string[] lines = tools.Commands.Select(c => c.CommandLine).ToArray();
        Assert.Equal(3, lines.Length);
        string path = System.Text.RegularExpressions.Regex.Match(lines[0], "--full-log (\\S+)").Groups[1].Value;
        Assert.StartsWith("podman exec arm-b sockperf ping-pong", lines[0]);
        Assert.StartsWith("/tmp/onloadtools-sockperf-", path);   // the container's /tmp, not a host path
        Assert.Equal($"podman exec arm-b cat -- {path}", lines[1]);
        Assert.Equal($"podman exec arm-b rm -f -- {path}", lines[2]);
        Assert.Equal(2000, s.Observations);
        Assert.Equal(30, s.P99Latency);
        Assert.Equal(300, s.P999Latency);
        Assert.Null(s.P9999Latency);   // 2,000 round trips cannot give p99.99
        Assert.Contains(s.Warnings, w => w.StartsWith(SockperfSession.TooFewPrefix + "p99.99, p99.999 (p99.99 needs at least 10000; this iteration had 2000)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_full_log_the_container_cannot_give_back_fails_the_iteration_with_the_engines_words()
    {
        var tools = new ScriptedRunner(c => c.Arguments.Contains("cat") ? (1, "", "cat: /tmp/x: No such file or directory") : (0, Summary, ""), "podman");
        var session = new SockperfSession(tools, OnloadTools.Host.HostFileSystem.Current, new SockperfRequest
        {
            Protocols = new[] { "UDP" }, FullDistribution = true, DurationSeconds = 1, ClientPrefix = new[] { "podman", "exec", "arm-b" },
        });
        var e = await Assert.ThrowsAsync<LatencyToolException>(() => session.RunIterationAsync(session.NewRun("UDP"), "UDP", 1, CancellationToken.None));
        Assert.Equal(LatencyFailure.FullLog, e.Failure);
        Assert.Contains("No such file", e.Message);
        Assert.Contains(tools.Commands, c => c.Arguments.Contains("rm"));   // removed even so
    }

    [Fact]
    public void Full_log_percentiles_carry_the_histograms_resolution_and_the_summarys_do_not()
    {
        static LatencyRun Run(string commandLine) => new()
        {
            Tool = "sockperf",
            Samples = new[] { new LatencySample { CommandLine = commandLine, P999Latency = 1000 } },
        };
        var full = MetricResolution.Of(new[] { Run("sockperf ping-pong -i 127.0.0.1 -p 1 -t 1 --full-log /tmp/x.csv") });
        var summary = MetricResolution.Of(new[] { Run("sockperf ping-pong -i 127.0.0.1 -p 1 -t 1") });
        Assert.Equal((1000 - 0.032 - 0.0005, 1000.0005), full.TrueRange("P999", 1000));        // 2^19 ≤ 1e6 ns < 2^20: 32 ns buckets
        Assert.Equal((20 - 0.0005, 20 + 0.0005), full.TrueRange("P99", 20));                    // exact below 32.768 µs
        Assert.Equal((40 - 0.002 - 0.0005, 40.0005), full.TrueRange("P50", 40));                // 32768 ≤ 40000 ns < 65536: 2 ns
        Assert.Equal((1000 - 0.0005, 1000.0005), full.TrueRange("Mean", 1000));                 // the mean is exact
        Assert.Equal((1000 - 0.0005, 1000.0005), summary.TrueRange("P999", 1000));
    }

    [Theory]
    [InlineData(999, new double[] { 99.9, 99.99, 99.999 })]
    [InlineData(1000, new double[] { 99.99, 99.999 })]
    [InlineData(9999, new double[] { 99.99, 99.999 })]
    [InlineData(10_000, new double[] { 99.999 })]
    [InlineData(100_000, new double[0])]
    public void A_tail_percentile_needs_at_least_one_round_trip_beyond_it(long count, double[] tooFew)
    {
        Assert.Equal(tooFew, SockperfSession.TooFewFor(count));
        Assert.Equal(tooFew.Length == 0, SockperfSession.TooFewWarning(count) is null);
    }
}
