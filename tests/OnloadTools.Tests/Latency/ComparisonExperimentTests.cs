using System.Globalization;
using OnloadTools.Containers;
using OnloadTools.Latency;
using OnloadTools.Processes;
using OnloadTools.Tests.Infrastructure;

namespace OnloadTools.Tests.Latency;

/// <summary>
/// Invoke-LatencyComparison's experiment in the domain (<see cref="ComparisonExperimentRunner"/>) driven by a scripted
/// netperf: the sessions' one rule for failed iterations, what is decided and emitted, and the interval progress shows.
/// The same experiment with the real netperf and podman: tests/Pester/Comparison*.Tests.ps1.
/// </summary>
public class ComparisonExperimentTests
{
    private const string Unreachable =
        "establish control: are you sure there is a netserver listening on 127.0.0.1 at port 12865?\n" +
        "establish_control could not establish the control connection from 0.0.0.0 port 0 address family AF_UNSPEC to 127.0.0.1 port 12865 address family AF_INET\n";

    /// <summary>netperf -k output (recorded from netperf 2.7.0 on loopback) with the mean latency given.</summary>
    private static string Result(double mean) => string.Create(CultureInfo.InvariantCulture,
        $"""
        MIGRATED TCP REQUEST/RESPONSE TEST from 0.0.0.0 (0.0.0.0) port 0 AF_INET to 127.0.0.1 () port 0 AF_INET : demo : first burst 0
        MIN_LATENCY=17
        MEAN_LATENCY={mean:0.00}
        P50_LATENCY=20
        P90_LATENCY=22
        P99_LATENCY=79
        MAX_LATENCY=547
        STDDEV_LATENCY=6.57
        RT_LATENCY={mean:0.000}
        TRANSACTION_RATE={1e6 / mean:0.000}
        THROUGHPUT={1e6 / mean:0.00}
        THROUGHPUT_UNITS=Trans/s
        THROUGHPUT_CONFID=-1.000
        CONFIDENCE_LEVEL=0
        CONFIDENCE_ITERATION=1
        LOCAL_CPU_BIND=-1
        REMOTE_CPU_BIND=-1
        REQUEST_SIZE=1
        RESPONSE_SIZE=1
        ELAPSED_TIME=1.00
        PROTOCOL=TCP

        """);

    /// <summary>A host that records what the experiment tells the cmdlet.</summary>
    private sealed class RecordingHost : IComparisonHost
    {
        public List<string> Errors { get; } = new();
        public List<ComparisonOutcome> Outcomes { get; } = new();
        public List<ComparisonProgress> ProgressSeen { get; } = new();
        public List<string> Saved { get; } = new();
        public T Await<T>(Task<T> task, Action? tick) => task.GetAwaiter().GetResult();
        public void Progress(ComparisonProgress progress) => ProgressSeen.Add(progress);
        public void Verbose(string message) { }
        public void Warning(string message) { }
        public void IterationFailed(LatencySession session, string test, Exception error) => Errors.Add(error.GetType().Name + ": " + error.Message);
        public void Prepare(ComparisonArm arm) { }
        public void Save(LatencyRun run, bool quiet) => Saved.Add(run.Label);
        public void Decided(ComparisonOutcome outcome) => Outcomes.Add(outcome);
    }

    /// <summary>A comparison of two host arms against 127.0.0.1 (no private server: -ComputerName is given), the
    /// netperf iterations answered in turn by <paramref name="answer"/> (by the 1-based number of the netperf run).</summary>
    private static (ComparisonExperimentRunner Runner, ScriptedRunner Tools) Experiment(Func<int, (int, string, string)> answer, int? fixedIterations = 2, params string[] tests)
    {
        int n = 0;
        var tools = new ScriptedRunner(c => c.Arguments.Contains("-V") ? (0, "Netperf version 2.7.0\n", "") : answer(++n), "netperf");
        var settings = new ComparisonSettings
        {
            ComputerName = "127.0.0.1",
            TestNames = tests.Length > 0 ? tests : new[] { "TCP_RR" },
            DurationSeconds = 1,
            FixedIterations = fixedIterations,
            MaxIterations = 4,
        };
        var arms = new[] { new ComparisonArm { Label = "a" }, new ComparisonArm { Label = "b" } };
        var runner = new ComparisonExperimentRunner(tools, OnloadTools.Host.HostFileSystem.Current, settings, arms);
        foreach (var arm in arms) runner.CreateSession(arm, null).PrepareAsync(CancellationToken.None).GetAwaiter().GetResult();
        return (runner, tools);
    }

    [Fact]
    public void A_server_that_never_answered_one_side_ends_the_experiment_with_one_error_and_keeps_what_was_measured()
    {
        // A's first iteration measures; B's first finds no netserver: nothing of B can be measured, so nothing more runs.
        var (runner, tools) = Experiment(i => i == 1 ? (0, Result(50), "") : (255, "", Unreachable));
        var host = new RecordingHost();
        runner.Run(host, CancellationToken.None);

        Assert.Single(host.Errors);
        Assert.StartsWith(nameof(LatencyToolException), host.Errors[0]);
        Assert.Equal(2, tools.Commands.Count(c => !c.Arguments.Contains("-V"))); // A then B: no retry of what cannot answer
        var outcome = Assert.Single(host.Outcomes);
        Assert.Empty(outcome.Comparisons);
        var run = Assert.Single(outcome.Runs);
        Assert.Equal("a", run.Label);
        Assert.Equal(LatencyRunStatus.Completed, run.Status);
        Assert.All(runner.Runs, r => Assert.NotEqual(LatencyRunStatus.InProgress, r.Status));
    }

    [Fact]
    public void A_failure_after_the_test_measured_something_is_retried_at_the_next_step_as_in_Measure_NetperfLatency()
    {
        // Order A B B A: the fourth run (A's second iteration) fails; the rule of the sessions tries again at A's next
        // step, and the experiment ends with a comparison once each arm has its iterations.
        var (runner, tools) = Experiment(i => i == 4 ? (255, "", Unreachable) : (0, Result(50 + i), ""));
        var host = new RecordingHost();
        runner.Run(host, CancellationToken.None);

        Assert.Single(host.Errors);
        var outcome = Assert.Single(host.Outcomes);
        Assert.NotEmpty(outcome.Comparisons);
        Assert.Equal(1, outcome.Runs[0].IterationsFailed);
        Assert.Equal(new[] { 2, 3 }, outcome.Runs.Select(r => r.Samples.Length).ToArray()); // A B B A(failed) A B
    }

    [Fact]
    public void The_sessions_share_one_rule_for_failed_iterations()
    {
        var session = new NetperfSession(new ScriptedRunner(_ => (0, "", ""), "netperf"), OnloadTools.Host.HostFileSystem.Current,
            new NetperfRequest { TestNames = new[] { "TCP_RR", "UDP_RR" } });
        var connection = new LatencyToolException("netperf", "netserver", LatencyFailure.Connection, "no", "");
        Assert.Equal((true, true), session.AfterFailure(connection, samplesOfTest: 0));
        Assert.Equal((false, false), session.AfterFailure(connection, samplesOfTest: 1));
        Assert.Equal((false, false), session.AfterFailure(new ToolTimeoutException("netperf", TimeSpan.FromSeconds(1)), samplesOfTest: 0));
        Assert.Equal((false, false), session.AfterFailure(new LatencyToolException("netperf", "netserver", LatencyFailure.CutShort, "short", ""), samplesOfTest: 0));
    }

    [Fact]
    public void Emitted_comparisons_and_the_report_are_at_the_rules_level_and_progress_shows_the_same_interval()
    {
        // Adaptive, two looks (3 and 4 per arm): the arms are alike but noisy, so the first look cannot decide and
        // progress shows its interval; the emitted comparison is LatencyExperiment.Comparisons' at the repeated level.
        var (runner, _) = Experiment(i => (0, Result(new[] { 40.0, 90, 55, 70, 85, 45, 60, 75 }[(i - 1) % 8]), ""), fixedIterations: null);
        var host = new RecordingHost();
        runner.Run(host, CancellationToken.None);

        var outcome = Assert.Single(host.Outcomes);
        var mean = outcome.Comparisons.Single(c => c.Metric == "Mean");
        Assert.Equal(runner.Rule.AdjustedConfidenceLevel, mean.ConfidenceLevel, 12);
        Assert.True(mean.ConfidenceLevel > 0.95);
        Assert.Equal(runner.Rule.AdjustedConfidenceLevel, runner.ReportOptions().Comparison.ConfidenceLevel, 12);
        Assert.Equal(new[] { "a", "b" }, outcome.Runs.Select(r => r.Label).ToArray());
        Assert.Contains("look 2 of at most 2", mean.Notes);
        // The interval progress showed after the first look was at that level too.
        string level = string.Create(CultureInfo.InvariantCulture, $"] at {mean.ConfidenceLevel * 100:0.#} %");
        var shown = host.ProgressSeen.Select(p => p.CurrentOperation).Where(o => o.StartsWith("TCP_RR: ", StringComparison.Ordinal) && o.Contains("] at ")).ToArray();
        Assert.NotEmpty(shown);
        Assert.All(shown, o => Assert.EndsWith(level, o));
        Assert.EndsWith(level, ComparisonExperimentRunner.IntervalText(mean));
    }

    [Fact]
    public void An_arm_whose_profile_is_not_a_profile_name_is_refused()
    {
        var settings = new ComparisonSettings { TestNames = new[] { "TCP_RR" } };
        var arms = new[] { new ComparisonArm { Label = "a" }, new ComparisonArm { Label = "b", Onload = true, OnloadProfile = "../../etc/passwd" } };
        var e = Assert.Throws<ArgumentException>(() => new ComparisonExperimentRunner(ToolRunner.Default, OnloadTools.Host.HostFileSystem.Current, settings, arms));
        Assert.Contains("not an Onload profile name", e.Message);
    }

    [Theory]
    [InlineData("latency", true)]
    [InlineData("latency-best.v2", true)]
    [InlineData("../../etc/passwd", false)]
    [InlineData("..", false)]
    [InlineData(".", false)]
    [InlineData("-x", false)]
    [InlineData("a b", false)]
    [InlineData("", false)]
    public void Profile_names(string name, bool valid) => Assert.Equal(valid, OnloadProfileName.Problem(name) is null);
}

/// <summary>The arm container's command line and owner label (its life with the real podman: tests/Pester/ComparisonLifetime.Tests.ps1).</summary>
public class ArmContainerTests
{
    [Fact]
    public void The_arm_container_is_started_attached_by_a_tethered_client_removes_itself_and_names_its_owner()
    {
        var engine = ContainerEngine.Resolve(new ScriptedRunner(_ => (0, "", ""), "podman"), "podman");
        var cmd = ArmContainer.BuildRunCommand(engine, "localhost/img", "onloadtools-comparison-1234abcd", "42:777", new[] { "--device=/dev/onload" });
        Assert.True(cmd.Tethered);
        Assert.Equal("podman run --rm --init --name onloadtools-comparison-1234abcd --label io.onloadtools.owner=42:777 --net=host --device=/dev/onload localhost/img sleep infinity", cmd.CommandLine);
        Assert.DoesNotContain("--detach", cmd.Arguments);
        Assert.DoesNotContain("-d", cmd.Arguments);
    }

    [Fact]
    public void An_owner_is_alive_while_its_pid_runs_with_the_same_start_time()
    {
        string me = ArmContainer.OwnerOfThisProcess();
        Assert.Matches(@"^\d+:\d+$", me);
        Assert.True(ArmContainer.OwnerAlive(me));
        Assert.False(ArmContainer.OwnerAlive(me.Split(':')[0] + ":1"));      // the pid reused by another process
        Assert.False(ArmContainer.OwnerAlive("999999999:1"));                 // gone
        Assert.False(ArmContainer.OwnerAlive(null));
        Assert.False(ArmContainer.OwnerAlive("not-a-pid"));
    }
}
