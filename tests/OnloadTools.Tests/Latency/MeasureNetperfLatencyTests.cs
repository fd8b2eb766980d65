using System.Diagnostics;
using System.Management.Automation;
using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

/// <summary>
/// Measure-NetperfLatency imported from the module folder into a real PowerShell engine, measuring with the
/// real netperf and netserver (installed by .ci/run).
/// </summary>
[Collection("Environment")]
public class MeasureNetperfLatencyTests
{
    private static LatencyRun[] Runs(PowerShellEngine.Result r) =>
        r.Output.Select(o => Assert.IsType<LatencyRun>(o.BaseObject)).ToArray();

    [Fact]
    public void Alone_it_starts_a_private_netserver_and_measures_both_tests()
    {
        Assert.False(TestProcess.IsListening("127.0.0.1", NetperfRequest.DefaultPort),
            "a netserver already listens on 12865: this test needs the port free to exercise the private server");
        using var engine = new PowerShellEngine();

        var r = engine.Run("Measure-NetperfLatency -TestName TCP_RR,UDP_RR -Iterations 3 -Duration 1 | ForEach-Object { $_.Samples.Count }");

        Assert.Empty(r.Errors);
        Assert.Null(r.Terminating);
        Assert.Equal(new object[] { 3, 3 }, r.Output.Select(o => o.BaseObject).ToArray());
    }

    [Fact]
    public void Runs_hold_real_consistent_figures_and_their_environment()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-NetperfLatency -TestName UDP_RR -Iterations 2 -Duration 1 -RequestSize 32 -ResponseSize 64 -Label lab");
        Assert.Empty(r.Errors);
        var run = Assert.Single(Runs(r));

        Assert.Equal("UDP_RR", run.TestName);
        Assert.Equal("lab", run.Label);
        Assert.Equal("Completed", run.Status);
        Assert.Equal(2, run.IterationsCompleted);
        Assert.Equal("2.7.0", run.ToolVersion);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), run.KernelRelease);
        Assert.NotNull(run.ServerCommandLine);
        Assert.StartsWith("netserver -D -p ", run.ServerCommandLine);
        Assert.Equal(32, run.RequestSize);
        foreach (var s in run.Samples)
        {
            Assert.Equal("lab", s.Label);
            Assert.Contains("-t UDP_RR", s.CommandLine);
            Assert.Contains("-r 32,64", s.CommandLine);
            Assert.Equal(32, s.RequestSize);
            Assert.Equal(64, s.ResponseSize);
            Assert.InRange(s.MinLatency!.Value, 0.5, s.MeanLatency!.Value);
            Assert.InRange(s.MeanLatency!.Value, s.MinLatency.Value, s.MaxLatency!.Value);
            Assert.True(s.P99Latency >= s.P50Latency);
            // One transaction in flight: the rate and the mean round trip describe the same thing.
            Assert.InRange(s.TransactionRate!.Value * s.RoundTripLatency!.Value / 1e6, 0.95, 1.05);
            Assert.True(s.EndTime > s.StartTime);
            Assert.InRange((s.EndTime - s.StartTime).TotalSeconds, 0.9, 10);
        }
        Assert.Equal(run.Samples.Average(s => s.MeanLatency!.Value), run.MeanLatency!.Value, 9);
        Assert.Equal(run.Samples.Min(s => s.MinLatency!.Value), run.MinLatency);
        Assert.Equal(run.Samples.Max(s => s.MaxLatency!.Value), run.MaxLatency);
    }

    [Fact]
    public void Private_netserver_is_gone_after_the_run()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-NetperfLatency -TestName TCP_RR -Iterations 1 -Duration 1");
        var run = Assert.Single(Runs(r));
        string port = run.Port.ToString();
        Assert.Empty(TestProcess.ProcessesWith("netserver", port));
        Assert.False(TestProcess.IsListening("127.0.0.1", run.Port));
    }

    [Fact]
    public void An_existing_netserver_is_used_not_replaced()
    {
        using var server = new TestProcess.Netserver();
        TestProcess.WaitListening("127.0.0.1", server.Port, TimeSpan.FromSeconds(10));
        using var engine = new PowerShellEngine();
        var r = engine.Run($"Measure-NetperfLatency -ComputerName 127.0.0.1 -Port {server.Port} -TestName TCP_RR -Iterations 1 -Duration 1");
        Assert.Empty(r.Errors);
        var run = Assert.Single(Runs(r));
        Assert.Null(run.ServerCommandLine);
        Assert.Equal("127.0.0.1", run.ComputerName);
        Assert.Equal(server.Port, run.Port);
        Assert.Contains($"-H 127.0.0.1 -p {server.Port}", run.Samples[0].CommandLine);
    }

    [Fact]
    public void No_netserver_is_a_ConnectionError_with_netperfs_message_and_no_retry_storm()
    {
        int port = TestProcess.FreePort();
        using var engine = new PowerShellEngine();
        var r = engine.Run($"Measure-NetperfLatency -ComputerName 127.0.0.1 -Port {port} -TestName TCP_RR,UDP_RR -Iterations 5 -Duration 1");
        Assert.Empty(r.Output);
        var e = Assert.Single(r.Errors);
        Assert.Equal(ErrorCategory.ConnectionError, e.CategoryInfo.Category);
        Assert.StartsWith("NetserverUnreachable,", e.FullyQualifiedErrorId);
        Assert.Equal($"127.0.0.1:{port}", e.TargetObject);
        Assert.Contains("are you sure there is a netserver listening", e.Exception.Message);
        Assert.Contains("exit code 255", e.Exception.Message);
    }

    [Fact]
    public void Missing_netperf_is_NotInstalled_naming_the_package()
    {
        using var env = new DoublesOnPath();
        env.Set("PATH", "/nonexistent-bin");
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-NetperfLatency -Iterations 1 -Duration 1");
        var e = r.SingleError;
        Assert.Empty(r.Output);
        Assert.Equal(ErrorCategory.NotInstalled, e.CategoryInfo.Category);
        Assert.StartsWith("NetperfNotInstalled,", e.FullyQualifiedErrorId);
        Assert.Equal("netperf", e.TargetObject);
        Assert.Contains("dnf install netperf", e.Exception.Message);
    }

    [Fact]
    public void A_failed_iteration_is_reported_and_the_others_are_kept()
    {
        using var env = new DoublesOnPath(null, Path.Combine(TestPaths.Fixtures, "bin-netperf-flaky"));
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-NetperfLatency -TestName TCP_RR -Iterations 3 -Duration 1");

        var run = Assert.Single(Runs(r));
        Assert.Equal(new[] { 1, 3 }, run.Samples.Select(s => s.Iteration).ToArray());
        Assert.Equal(1, run.IterationsFailed);
        Assert.Equal("Partial", run.Status);
        var e = Assert.Single(r.Errors);
        Assert.StartsWith("NetperfFailed,", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidResult, e.CategoryInfo.Category);
        Assert.Contains("Connection reset by peer", e.Exception.Message);
        Assert.Contains("exited with code 1", e.Exception.Message);
    }

    [Fact]
    public void Unparsable_output_is_InvalidResult_with_the_raw_text_attached()
    {
        using var env = new DoublesOnPath(null, Path.Combine(TestPaths.Fixtures, "bin-netperf-garbage"));
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-NetperfLatency -TestName TCP_RR -Iterations 2 -Duration 1");
        Assert.Empty(r.Output);
        Assert.Equal(2, r.Errors.Count);
        Assert.All(r.Errors, e =>
        {
            Assert.StartsWith("NetperfOutputUnparsable,", e.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidResult, e.CategoryInfo.Category);
            Assert.Contains("this is not a netperf result", (string)e.TargetObject);
        });
    }

    [Fact]
    public void Onload_wraps_netperf_and_the_private_netserver_and_records_the_version()
    {
        using var env = new DoublesOnPath();
        env.Set("ONLOADTOOLS_DOUBLE_ONLOAD_VERSION", "9.0.1.42");
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-NetperfLatency -Onload -OnloadProfile latency-best -TestName TCP_RR -Iterations 1 -Duration 1");
        Assert.Empty(r.Errors);
        var run = Assert.Single(Runs(r));
        Assert.True(run.Onload);
        Assert.Equal("latency-best", run.OnloadProfile);
        Assert.Equal("9.0.1.42", run.OnloadVersion);
        Assert.Equal("onload", run.Label);
        Assert.StartsWith("onload --profile=latency-best netperf -H 127.0.0.1", run.Samples[0].CommandLine);
        Assert.StartsWith("onload --profile=latency-best netserver -D", run.ServerCommandLine);
        string log = File.ReadAllText(Path.Combine(env.StateDirectory, "onload.log"));
        Assert.Contains("--profile=latency-best netperf -H 127.0.0.1", log);
        Assert.Contains("--profile=latency-best netserver -D", log);
    }

    [Fact]
    public void Onload_missing_is_NotInstalled()
    {
        using var env = new DoublesOnPath();
        env.Set("PATH", "/usr/bin:/bin");
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-NetperfLatency -Onload -Iterations 1 -Duration 1");
        Assert.StartsWith("OnloadNotInstalled,", r.SingleError.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.NotInstalled, r.SingleError.CategoryInfo.Category);
    }

    [Fact]
    public void A_container_that_does_not_exist_is_one_clear_error_not_one_per_iteration()
    {
        using var engine = new PowerShellEngine();
        // Real podman: `podman exec` of a missing container fails before netperf runs.
        var r = engine.Run("Measure-NetperfLatency -Container onloadtools-no-such-container -ComputerName 127.0.0.1 -TestName TCP_RR,UDP_RR -Iterations 3 -Duration 1");
        Assert.Empty(r.Output);
        var e = r.SingleError;
        Assert.StartsWith("NetperfClientUnavailable,", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        Assert.Equal("container:onloadtools-no-such-container", e.TargetObject);
        Assert.Contains("podman exec onloadtools-no-such-container netperf -V", e.Exception.Message);
        Assert.Contains("no container with name or ID", e.Exception.Message);
    }

    [Fact]
    public void Cpu_binding_and_confidence_reach_netperf()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-NetperfLatency -TestName TCP_RR -Iterations 1 -Duration 1 -LocalCpu 0 -RemoteCpu 1 -ConfidenceLevel 95 -ConfidenceWidth 50 -MaxIterations 3");
        var run = Assert.Single(Runs(r));
        var s = run.Samples[0];
        Assert.Contains("-T 0,1", s.CommandLine);
        Assert.Contains("-I 95,50 -i 3,3", s.CommandLine);
        Assert.Equal(0, s.LocalCpu);
        Assert.Equal(1, s.RemoteCpu);
        Assert.Equal(95, s.ConfidenceLevel);
        Assert.NotNull(s.ConfidenceIterations);
        Assert.InRange(s.ConfidenceIterations!.Value, 1, 3);
        Assert.Equal(0, run.LocalCpu);
    }

    [Fact]
    public void Bad_arguments_terminate_before_anything_runs()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-NetperfLatency -TestName TCP_STREAM -Iterations 1");
        Assert.IsAssignableFrom<ParameterBindingException>(r.SingleError.Exception);
        Assert.Empty(r.Output);
        Assert.Empty(r.Progress);
    }

    [Fact]
    public void Progress_reports_iterations_and_seconds_remaining()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-NetperfLatency -TestName TCP_RR -Iterations 2 -Duration 2");
        Assert.Empty(r.Errors);
        var first = r.Progress.First(p => p.RecordType == ProgressRecordType.Processing);
        Assert.Contains("TCP_RR iteration 1 of 2", first.StatusDescription);
        Assert.InRange(first.SecondsRemaining, 4, 8);
        Assert.Contains(r.Progress, p => p.StatusDescription.Contains("iteration 2 of 2"));
        Assert.Equal(ProgressRecordType.Completed, r.Progress[^1].RecordType);
    }

    [Fact]
    public void HistoryPath_holds_each_run_as_a_schema_versioned_document()
    {
        string dir = Directory.CreateTempSubdirectory("onloadtools-hist-").FullName;
        try
        {
            using var engine = new PowerShellEngine();
            var r = engine.Run($"Measure-NetperfLatency -TestName TCP_RR,UDP_RR -Iterations 2 -Duration 1 -HistoryPath '{dir}'");
            var runs = Runs(r);
            var files = Directory.GetFiles(dir, "*.json");
            Assert.Equal(2, files.Length);
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
            foreach (var file in files)
            {
                var stored = LatencyRunStore.Deserialize(File.ReadAllText(file));
                var live = runs.Single(x => x.RunId == stored.RunId);
                Assert.Equal("Completed", stored.Status);
                Assert.Equal(live.Samples.Select(s => s.MeanLatency), stored.Samples.Select(s => s.MeanLatency));
                Assert.Equal(live.MeanLatency, stored.MeanLatency);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void HistoryPath_ending_in_jsonl_is_an_append_only_file_that_imports_as_complete_runs()
    {
        string dir = Directory.CreateTempSubdirectory("onloadtools-jsonl-").FullName;
        string file = Path.Combine(dir, "nightly.jsonl");
        try
        {
            using var engine = new PowerShellEngine();
            var r = engine.Run($"$runs = Measure-NetperfLatency -TestName TCP_RR -Iterations 2 -Duration 1 -HistoryPath '{file}'; " +
                               $"Import-LatencyRun -Path '{file}' | ForEach-Object {{ '{{0}} {{1}} {{2}}' -f $_.RunId, $_.Status, $_.IterationsCompleted }}; $runs[0].RunId");
            Assert.Empty(r.Errors);
            Assert.True(File.Exists(file));
            // One line per save: after each of the two iterations, then the completed run.
            Assert.Equal(3, File.ReadAllLines(file).Length);
            string runId = r.Output[^1].ToString();
            Assert.Equal($"{runId} Completed 2", Assert.Single(r.Output.Take(r.Output.Count - 1)).ToString());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Ctrl_C_kills_netperf_and_the_private_netserver_at_once()
    {
        using var engine = new PowerShellEngine();
        using var ps = PowerShell.Create();
        ps.Runspace = engine.Runspace;
        ps.AddScript("Measure-NetperfLatency -TestName TCP_RR -Iterations 1 -Duration 60");
        var output = new PSDataCollection<PSObject>();
        var async = ps.BeginInvoke<PSObject, PSObject>(null, output);

        var deadline = DateTime.UtcNow.AddSeconds(15);
        IReadOnlyList<string> netperfs;
        do
        {
            Thread.Sleep(100);
            netperfs = TestProcess.ProcessesWith("netperf", "-l", "60");
        } while (netperfs.Count == 0 && DateTime.UtcNow < deadline);
        Assert.NotEmpty(netperfs);
        Thread.Sleep(500);

        var watch = Stopwatch.StartNew();
        ps.Stop();
        watch.Stop();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"Stop took {watch.Elapsed}");
        Assert.Throws<PipelineStoppedException>(() => ps.EndInvoke(async));
        Assert.Empty(TestProcess.ProcessesWith("netperf", "-l", "60"));
        string? serverPort = netperfs[0].Split(' ').SkipWhile(w => w != "-p").Skip(1).FirstOrDefault();
        Assert.NotNull(serverPort);
        Assert.Empty(TestProcess.ProcessesWith("netserver", serverPort!));
    }

    [Fact]
    public void Ctrl_C_keeps_what_was_measured_runs_emitted_and_iterations_on_disk()
    {
        string dir = Directory.CreateTempSubdirectory("onloadtools-stop-").FullName;
        try
        {
            using var engine = new PowerShellEngine();
            using var ps = PowerShell.Create();
            ps.Runspace = engine.Runspace;
            ps.AddScript($"Measure-NetperfLatency -TestName TCP_RR,UDP_RR -Iterations 3 -Duration 1 -HistoryPath '{dir}'");
            var output = new PSDataCollection<PSObject>();
            var async = ps.BeginInvoke<PSObject, PSObject>(null, output);

            // Wait until UDP_RR has a completed iteration on disk, then press Ctrl+C.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline && !Directory.GetFiles(dir, "*_UDP_RR_*.json").Any())
            {
                Thread.Sleep(50);
            }
            ps.Stop();
            Assert.Throws<PipelineStoppedException>(() => ps.EndInvoke(async));

            // The TCP_RR run completed before the stop and was emitted at once.
            var tcp = Assert.Single(output.Select(o => (LatencyRun)o.BaseObject));
            Assert.Equal("TCP_RR", tcp.TestName);
            Assert.Equal(3, tcp.IterationsCompleted);

            // The UDP_RR iterations completed before the stop are on disk, marked Stopped.
            var udpFile = Assert.Single(Directory.GetFiles(dir, "*_UDP_RR_*.json"));
            var udp = LatencyRunStore.Deserialize(File.ReadAllText(udpFile));
            Assert.InRange(udp.IterationsCompleted, 1, 2);
            Assert.Equal("Stopped", udp.Status);
            Assert.All(udp.Samples, s => Assert.NotNull(s.MeanLatency));
            Assert.Empty(TestProcess.ProcessesWith("netserver", tcp.Port.ToString()));
        }
        finally { Directory.Delete(dir, true); }
    }
}

/// <summary>A real two-host path: netserver in its own network namespace behind a veth pair.</summary>
public class MeasureNetperfAcrossNamespacesTests : IClassFixture<TwoHostFixture>
{
    private readonly TwoHostFixture _hosts;
    public MeasureNetperfAcrossNamespacesTests(TwoHostFixture hosts) => _hosts = hosts;

    [Fact]
    public void Measures_a_netserver_on_another_host_over_veth()
    {
        Assert.True(_hosts.SetupError is null, _hosts.SetupError);
        using var engine = new PowerShellEngine();
        var r = engine.Run(
            $"Measure-NetperfLatency -ComputerName {TwoHostFixture.PeerAddress} -Port {_hosts.Server!.Port} -TestName TCP_RR,UDP_RR -Iterations 2 -Duration 1 -Label veth " +
            "| Where-Object { $_.IterationsCompleted -eq 2 } | ForEach-Object { '{0}:{1}' -f $_.TestName, $_.ComputerName }");
        Assert.Empty(r.Errors);
        Assert.Equal(new[] { $"TCP_RR:{TwoHostFixture.PeerAddress}", $"UDP_RR:{TwoHostFixture.PeerAddress}" },
            r.Output.Select(o => o.ToString()).ToArray());
    }

    [Fact]
    public void The_path_is_really_remote_the_host_has_no_listener_on_that_port()
    {
        Assert.True(_hosts.SetupError is null, _hosts.SetupError);
        Assert.False(TestProcess.IsListening("127.0.0.1", _hosts.Server!.Port));
        Assert.True(TestProcess.IsListening(TwoHostFixture.PeerAddress, _hosts.Server.Port));
    }
}
