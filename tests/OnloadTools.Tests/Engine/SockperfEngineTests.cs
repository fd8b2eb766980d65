using System.Diagnostics;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using OnloadTools.Latency;

namespace OnloadTools.Tests.Engine;

/// <summary>
/// Measure-SockperfLatency through the imported module against the real sockperf on loopback
/// (Debian package sockperf; CI installs it). Serialized: they start servers and watch child processes.
/// </summary>
[Collection("Environment")]
public class SockperfEngineTests
{
    private static void RequireSockperf() =>
        Assert.True(File.Exists("/usr/bin/sockperf") || OnloadTools.Processes.ToolRunner.Default.Which("sockperf") is not null,
            "sockperf is not installed: run 'apt-get install -y sockperf' (the CI image must have it).");

    /// <summary>sockperf processes descended from this test process (the process gate starts them under a launcher,
    /// timeout, so they are grandchildren).</summary>
    internal static int[] OurSockperfChildren()
    {
        int me = Environment.ProcessId;
        static int Parent(int pid)
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{pid}/stat");
                return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
            }
            catch (IOException) { return 0; }
        }
        static bool Descends(int pid, int ancestor)
        {
            for (int p = Parent(pid), depth = 0; p > 1 && depth < 4; p = Parent(p), depth++)
            {
                if (p == ancestor) return true;
            }
            return false;
        }
        var pids = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int close = stat.LastIndexOf(')');
                string comm = stat[(stat.IndexOf('(') + 1)..close];
                string[] rest = stat[(close + 2)..].Split(' ');
                if (comm == "sockperf" && rest[0] != "Z" && Descends(pid, me)) pids.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return pids.ToArray();
    }

    private static int FreeTcpPort() => TestProcess.FreePort();

    [Fact]
    public void Udp_and_tcp_give_one_run_each_from_a_private_server_that_is_gone_afterwards()
    {
        RequireSockperf();
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-SockperfLatency -Protocol Udp,Tcp -Iterations 2 -Duration 1 -Label lo | ForEach-Object { $_ }");

        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        var runs = r.Output.Select(o => (LatencyRun)o.BaseObject).ToArray();
        Assert.Equal(new[] { "UDP_PINGPONG", "TCP_PINGPONG" }, runs.Select(x => x.TestName));
        foreach (var run in runs)
        {
            Assert.Equal("sockperf", run.Tool);
            Assert.Equal("lo", run.Label);
            Assert.Equal("Completed", run.Status);
            Assert.Equal(2, run.Samples.Length);
            Assert.Equal("OneWay", run.LatencyKind);
            Assert.StartsWith("3.", run.ToolVersion);
            Assert.NotNull(run.ServerCommandLine);
            Assert.Contains($"-p {run.Port}", run.ServerCommandLine);
            Assert.Equal(run.TestName == "TCP_PINGPONG", run.ServerCommandLine!.Contains("--tcp"));
            foreach (var s in run.Samples)
            {
                Assert.Equal("OneWay", s.LatencyKind);
                Assert.True(s.Observations > 0);
                Assert.True(s.MinLatency > 0 && s.MinLatency <= s.P50Latency && s.P50Latency <= s.P99Latency
                    && s.P99Latency <= s.P99999Latency && s.P99999Latency <= s.MaxLatency, s.ToString());
                Assert.True(s.TransactionRate > 0);
                Assert.Contains("sockperf ping-pong -i 127.0.0.1", s.CommandLine);
                Assert.Equal(run.TestName == "TCP_PINGPONG", s.CommandLine.Contains("--tcp"));
            }
        }
        Assert.NotEqual(runs[0].Samples[0].MeanLatency, runs[0].Samples[1].MeanLatency); // measured, not invented
        Assert.Contains(r.Progress, p => p.SecondsRemaining > 0);
        Assert.Empty(OurSockperfChildren());
    }

    [Fact]
    public void Full_distribution_reads_every_round_trip_and_leaves_no_log_behind()
    {
        RequireSockperf();
        var before = Directory.GetFiles(Path.GetTempPath(), "onloadtools-sockperf-*.csv").ToHashSet();
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-SockperfLatency -Protocol Tcp -Iterations 1 -Duration 1 -FullDistribution -RoundTrip");

        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        var run = (LatencyRun)Assert.Single(r.Output).BaseObject;
        Assert.Equal("RoundTrip", run.LatencyKind);
        var s = Assert.Single(run.Samples);
        Assert.Equal("RoundTrip", s.LatencyKind);
        Assert.Contains("--full-log", s.CommandLine);
        Assert.Contains("--full-rtt", s.CommandLine);
        Assert.True(s.Observations > 1000, $"observations {s.Observations}");
        Assert.Equal(LatencyDistribution.LadderPercentiles, s.DistributionPercentiles);
        Assert.Equal(s.DistributionPercentiles!.Length, s.DistributionLatencies!.Length);
        Assert.Equal(s.MinLatency, s.DistributionLatencies[0]);
        Assert.Equal(s.MaxLatency, s.DistributionLatencies[^1]);
        Assert.True(s.DistributionLatencies.Zip(s.DistributionLatencies.Skip(1)).All(p => p.First <= p.Second));
        // No warning that the log and the summary disagree on the count.
        Assert.DoesNotContain(r.Warnings, w => w.Message.Contains("full log"));
        var after = Directory.GetFiles(Path.GetTempPath(), "onloadtools-sockperf-*.csv").ToHashSet();
        Assert.Empty(after.Except(before));
        Assert.Empty(OurSockperfChildren());
    }

    [Fact]
    public void Ctrl_C_kills_sockperf_and_the_server_at_once_and_keeps_completed_iterations()
    {
        RequireSockperf();
        string history = Directory.CreateTempSubdirectory("onloadtools-history-").FullName;
        try
        {
            using var engine = new PowerShellEngine();
            using var ps = PowerShell.Create();
            ps.Runspace = engine.Runspace;
            ps.AddScript("Measure-SockperfLatency -Protocol Udp -Iterations 5 -Duration 2 -HistoryPath $args[0]").AddArgument(history);
            var async = ps.BeginInvoke();

            // Wait until the first iteration is on disk and the second one is running.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline && Directory.GetFiles(history, "*.json").Length == 0) Thread.Sleep(100);
            Assert.NotEmpty(Directory.GetFiles(history, "*.json"));
            Thread.Sleep(700);
            Assert.NotEmpty(OurSockperfChildren()); // client and server are running now

            var sw = Stopwatch.StartNew();
            ps.Stop();
            sw.Stop();
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"Stop took {sw.Elapsed}");
            Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
            Assert.Empty(OurSockperfChildren());

            string file = Assert.Single(Directory.GetFiles(history, "*.json"));
            var saved = LatencyRunStore.Deserialize(File.ReadAllText(file));
            Assert.Equal("UDP_PINGPONG", saved.TestName);
            Assert.Equal("sockperf", saved.Tool);
            Assert.Equal("Stopped", saved.Status);
            Assert.InRange(saved.Samples.Length, 1, 4);
            Assert.All(saved.Samples, s => Assert.True(s.Observations > 0));
            Assert.Empty(Directory.GetFiles(history, "*.tmp"));
        }
        finally
        {
            Directory.Delete(history, recursive: true);
        }
    }

    [Fact]
    public void A_server_already_listening_on_the_port_is_used_and_a_name_is_resolved_to_its_address()
    {
        RequireSockperf();
        int port = FreeTcpPort();
        using var server = OnloadTools.Processes.ToolRunner.Default.Start(
            new OnloadTools.Processes.ToolCommand("sockperf", "server", "-i", "127.0.0.1", "-p", port.ToString(), "--tcp"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            using var c = new TcpClient();
            try { c.Connect(IPAddress.Loopback, port); break; } catch (SocketException) { Thread.Sleep(50); }
        }

        Assert.False(server.HasExited, server.StandardOutput + server.StandardError);
        using var engine = new PowerShellEngine();
        var local = engine.Run($"Measure-SockperfLatency -Protocol Tcp -Port {port} -Iterations 1 -Duration 1 -MessageSize 64 -Mps 5000 -Verbose");
        Assert.Empty(local.Errors);
        var run = (LatencyRun)Assert.Single(local.Output).BaseObject;
        Assert.True(run.ServerCommandLine is null, string.Join("\n", local.Verbose.Select(v => v.Message)) + server.StandardOutput + server.StandardError);        // nothing private was started
        Assert.Equal(port, run.Port);
        Assert.Equal(64, run.RequestSize);
        Assert.Contains("--mps=5000", run.Samples[0].CommandLine);
        Assert.Contains("-m 64", run.Samples[0].CommandLine);
        // 5000 messages per second for ~0.55 s of valid duration
        Assert.InRange(run.Samples[0].Observations!.Value, 1000, 4000);

        var named = engine.Run($"Measure-SockperfLatency -ComputerName localhost -Protocol Tcp -Port {port} -Iterations 1 -Duration 1");
        Assert.Empty(named.Errors);
        var namedRun = (LatencyRun)Assert.Single(named.Output).BaseObject;
        Assert.Equal("localhost", namedRun.ComputerName);
        Assert.Contains("-i 127.0.0.1", namedRun.Samples[0].CommandLine);
    }

    [Fact]
    public void No_server_at_the_target_is_a_connection_error_with_sockperfs_words()
    {
        RequireSockperf();
        int port = FreeTcpPort();
        using var engine = new PowerShellEngine();
        var sw = Stopwatch.StartNew();
        var r = engine.Run($"Measure-SockperfLatency -ComputerName 127.0.0.1 -Port {port} -Protocol Tcp -Iterations 3 -Duration 1");
        sw.Stop();
        Assert.Empty(r.Output);
        var e = Assert.Single(r.Errors); // the other iterations are not tried against a refused port
        Assert.Equal("SockperfServerUnreachable,OnloadTools.Commands.MeasureSockperfLatencyCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ConnectionError, e.CategoryInfo.Category);
        Assert.Equal($"127.0.0.1:{port}", e.TargetObject);
        Assert.Contains("Connection refused", e.Exception.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Missing_sockperf_is_NotInstalled_naming_the_package()
    {
        string empty = Directory.CreateTempSubdirectory("onloadtools-nopath-").FullName;
        string? oldPath = Environment.GetEnvironmentVariable("PATH");
        try
        {
            Environment.SetEnvironmentVariable("PATH", empty);
            using var engine = new PowerShellEngine();
            var r = engine.Run("Measure-SockperfLatency -Iterations 1 -Duration 1");
            var e = r.SingleError;
            Assert.Equal(ErrorCategory.NotInstalled, e.CategoryInfo.Category);
            Assert.StartsWith("SockperfNotInstalled", e.FullyQualifiedErrorId);
            Assert.Contains("dnf install sockperf", e.Exception.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", oldPath);
            Directory.Delete(empty);
        }
    }

    [Fact]
    public void Onload_wraps_the_client_and_the_private_server()
    {
        var session = new SockperfSession(OnloadTools.Processes.ToolRunner.Default, OnloadTools.Host.HostFileSystem.Current,
            new SockperfRequest { Onload = true, OnloadProfile = "latency", Protocols = new[] { "UDP", "TCP" }, DurationSeconds = 3, MessageSize = 32, MessagesPerSecond = 1000 });
        Assert.Equal("onload --profile=latency sockperf ping-pong -i 127.0.0.1 -p 11111 -t 3 -m 32 --mps=1000 --tcp",
            session.BuildCommand("TCP").CommandLine);
        Assert.Equal("onload --profile=latency sockperf ping-pong -i 127.0.0.1 -p 11111 -t 3 -m 32 --mps=1000 --full-log /tmp/x.csv",
            session.BuildCommand("UDP", "/tmp/x.csv").CommandLine);
        Assert.Equal("onload --profile=latency sockperf server -i 127.0.0.1 -p 4000 --tcp", session.BuildServerCommand("TCP", 4000).CommandLine);
    }
}

[Collection("Environment")]
public class SockperfEngineFailureTests
{
    [Fact]
    public void A_failed_iteration_keeps_the_others_and_makes_the_run_partial()
    {
        using var env = new DoublesOnPath(null, Path.Combine(TestPaths.Fixtures, "bin-sockperf-flaky"));
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-SockperfLatency -Protocol Udp -Iterations 3 -Duration 1");

        var run = (LatencyRun)Assert.Single(r.Output).BaseObject;
        Assert.Equal(new[] { 1, 3 }, run.Samples.Select(s => s.Iteration).ToArray());
        Assert.Equal(1, run.IterationsFailed);
        Assert.Equal("Partial", run.Status);
        var e = Assert.Single(r.Errors);
        Assert.StartsWith("SockperfFailed,", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidResult, e.CategoryInfo.Category);
        Assert.Contains("Connection reset by peer", e.Exception.Message);
        Assert.Contains("Starting test", (string)e.TargetObject); // the raw text, colours stripped
        Assert.False(((string)e.TargetObject).Contains('\x1B'), "colour codes are stripped"); // (culture-aware DoesNotContain ignores control characters)
        Assert.Empty(SockperfEngineTests.OurSockperfChildren());
    }

    [Fact]
    public void Onload_runs_the_client_and_the_private_server_under_onload_and_records_its_version()
    {
        using var env = new DoublesOnPath();
        env.Set("ONLOADTOOLS_DOUBLE_ONLOAD_VERSION", "9.0.1.86");
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-SockperfLatency -Protocol Tcp -Iterations 1 -Duration 1 -Onload -OnloadProfile latency-best");

        Assert.Empty(r.Errors);
        var run = (LatencyRun)Assert.Single(r.Output).BaseObject;
        Assert.True(run.Onload);
        Assert.Equal("onload", run.Label);
        Assert.Equal("latency-best", run.OnloadProfile);
        Assert.Equal("9.0.1.86", run.OnloadVersion);
        Assert.StartsWith("onload --profile=latency-best sockperf server -i 127.0.0.1 -p ", run.ServerCommandLine);
        Assert.StartsWith("onload --profile=latency-best sockperf ping-pong -i 127.0.0.1 ", run.Samples[0].CommandLine);
        Assert.True(run.Samples[0].Observations > 0);
        Assert.Empty(SockperfEngineTests.OurSockperfChildren());
    }

    [Fact]
    public void Unparsable_output_is_InvalidResult_with_the_raw_text()
    {
        using var env = new DoublesOnPath(null, Path.Combine(TestPaths.Fixtures, "bin-sockperf-garbage"));
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-SockperfLatency -Protocol Tcp -Iterations 2 -Duration 1");
        Assert.Empty(r.Output);
        Assert.Equal(2, r.Errors.Count);
        Assert.All(r.Errors, e =>
        {
            Assert.StartsWith("SockperfOutputUnparsable,", e.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidResult, e.CategoryInfo.Category);
            Assert.Contains("this is not a sockperf result", (string)e.TargetObject);
        });
        Assert.Empty(SockperfEngineTests.OurSockperfChildren());
    }

    [Fact]
    public void A_bad_protocol_or_rate_is_rejected_before_anything_runs()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-SockperfLatency -Protocol Sctp");
        Assert.Equal("ParameterArgumentValidationError,OnloadTools.Commands.MeasureSockperfLatencyCommand", r.SingleError.FullyQualifiedErrorId);
        r = engine.Run("Measure-SockperfLatency -Mps fast");
        Assert.Equal("ParameterArgumentValidationError,OnloadTools.Commands.MeasureSockperfLatencyCommand", r.SingleError.FullyQualifiedErrorId);
        r = engine.Run("Measure-SockperfLatency -MessageSize 8");
        Assert.Equal("ParameterArgumentValidationError,OnloadTools.Commands.MeasureSockperfLatencyCommand", r.SingleError.FullyQualifiedErrorId);
    }
}
