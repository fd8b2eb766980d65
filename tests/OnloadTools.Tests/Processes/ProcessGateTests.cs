using System.Diagnostics;
using System.Globalization;
using OnloadTools.Host;
using OnloadTools.Latency;
using OnloadTools.Processes;

namespace OnloadTools.Tests.Processes;

/// <summary>
/// The process gate's lifetime rules, with real processes: a measuring tool runs in its own process group, dies
/// with its parent (even a SIGKILLed one), and an iteration a signal cut short is never a sample.
/// </summary>
[Collection("Environment")]
public class ProcessGateTests
{
    /// <summary>Fields of /proc/PID/stat after the command name: [0] state, [2] pgrp, [3] session.</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException) { return null; }
    }

    /// <summary>Alive and not a zombie.</summary>
    private static bool Alive(int pid) => Stat(pid) is { } s && s[0] != "Z" && s[0] != "X";

    private static bool WaitGone(int pid, TimeSpan within)
    {
        var end = DateTime.UtcNow + within;
        while (DateTime.UtcNow < end)
        {
            if (!Alive(pid)) return true;
            Thread.Sleep(50);
        }
        return !Alive(pid);
    }

    /// <summary>Pids of running processes named <paramref name="words"/>[0] (argv[0]'s file name) whose argv holds every
    /// other word (a launcher's argv holds the tool's words too, but not as argv[0]).</summary>
    private static int[] Pids(params string[] words)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                if (argv.Length == 0 || !Alive(pid)) continue;
                if (Path.GetFileName(argv[0]) == words[0] && words.Skip(1).All(argv.Contains)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found.Order().ToArray();
    }

    private static int WaitPid(TimeSpan within, params string[] words)
    {
        var end = DateTime.UtcNow + within;
        while (DateTime.UtcNow < end)
        {
            if (Pids(words) is [int pid, ..]) return pid; // the first: a netserver forks one child per test
            Thread.Sleep(50);
        }
        throw new TimeoutException("no single process with " + string.Join(' ', words));
    }

    private static void Signal(string signal, int pid) =>
        Assert.Equal(0, TestProcess.Run("kill", "-" + signal, pid.ToString(CultureInfo.InvariantCulture)).ExitCode);

    [Fact]
    public void A_tethered_tool_runs_in_its_own_process_group_but_in_our_session()
    {
        Assert.True(ProcessGate.CanTether, "setpriv (util-linux) and timeout (coreutils) are installed here");
        int tool = 0;
        using var child = ToolRunner.Default.Start(new ToolCommand("sleep", "30") { Tethered = true, Started = pid => tool = pid });

        Assert.Equal("sleep", File.ReadAllText($"/proc/{tool}/comm").Trim()); // Started reports the tool itself
        var stat = Stat(tool)!;
        var mine = Stat(Environment.ProcessId)!;
        Assert.NotEqual(mine[2], stat[2]); // not our process group: a terminal's Ctrl+C does not reach it
        Assert.Equal(mine[3], stat[3]);    // our session: the same scheduler autogroup as an admin's own netperf
        Assert.Equal("sleep 30", child.CommandLine); // the tool's own command line
    }

    [Fact]
    public void A_tethered_tool_outlives_the_thread_that_asked_for_it()
    {
        // Linux sends the parent-death signal when the forking *thread* exits. A thread that starts a tool and ends
        // (as thread-pool threads do when idle) must not take a healthy netserver or netperf with it.
        BackgroundProcess? child = null;
        int tool = 0;
        var starter = new Thread(() => child = ToolRunner.Default.Start(new ToolCommand("sleep", "30") { Tethered = true, Started = pid => tool = pid }));
        starter.Start();
        starter.Join();
        try
        {
            Thread.Sleep(1000);
            Assert.True(Alive(tool) && Alive(child!.ProcessId), "the tool died with the thread that started it");
        }
        finally
        {
            child?.Dispose();
        }
    }

    [Fact]
    public void The_started_callback_gets_the_running_tools_own_pid()
    {
        int reported = 0;
        string? comm = null;
        var r = ToolRunner.Default.RunAsync(new ToolCommand("sleep", "2")
        {
            Tethered = true,
            Started = pid =>
            {
                reported = pid;
                comm = File.ReadAllText($"/proc/{pid}/comm").Trim();
            },
        }).GetAwaiter().GetResult();

        Assert.Equal(0, r.ExitCode);
        Assert.NotEqual(0, reported);
        Assert.Equal("sleep", comm); // read while it ran: the tool, not a wrapper
        Assert.Equal("sleep 2", r.CommandLine);
    }

    [Fact]
    public void Private_netserver_and_netperf_die_when_pwsh_is_killed()
    {
        int port = TestProcess.FreePort();
        string p = port.ToString(CultureInfo.InvariantCulture);
        string script = $"Import-Module '{TestPaths.ModuleManifest}'; \"PID=$PID\"; Measure-NetperfLatency -Port {p} -Duration 60 -Iterations 1 | Out-Null";
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { PwshDll(), "-NoProfile", "-NonInteractive", "-Command", script }) psi.ArgumentList.Add(a);
        using var pwsh = Process.Start(psi)!;
        try
        {
            int server = WaitPid(TimeSpan.FromSeconds(60), "netserver", "-p", p);
            int netperf = WaitPid(TimeSpan.FromSeconds(20), "netperf", "-p", p);
            // A control connection that never sends its test: netserver forks a child for it, which waits as long as
            // the connection stays open (as its child for a netperf killed while setting up its test does). Forked,
            // it has no parent-death signal of its own: only its process group reaches it.
            int[] before = Pids("netserver", "-p", p);
            using var stranger = new System.Net.Sockets.TcpClient("127.0.0.1", port);
            int[] forked = [];
            var end = DateTime.UtcNow.AddSeconds(10);
            while (forked.Length == 0 && DateTime.UtcNow < end)
            {
                Thread.Sleep(50);
                forked = Pids("netserver", "-p", p).Except(before).ToArray();
            }
            Assert.NotEmpty(forked);

            pwsh.Kill(); // SIGKILL: no handler of pwsh runs
            Assert.True(pwsh.WaitForExit(10_000));

            Assert.True(WaitGone(netperf, TimeSpan.FromSeconds(3)), "netperf outlived the SIGKILLed pwsh");
            Assert.True(WaitGone(server, TimeSpan.FromSeconds(3)), "the private netserver outlived the SIGKILLed pwsh");
            foreach (int child in forked)
            {
                Assert.True(WaitGone(child, TimeSpan.FromSeconds(5)), "a child the private netserver forked outlived the SIGKILLed pwsh");
            }
            Assert.Empty(Pids("netserver", "-p", p));
        }
        finally
        {
            // Never leave a netserver behind, whatever failed above (only the ones this test's pwsh started).
            foreach (int pid in Pids("netserver", "-p", p).Concat(Pids("netperf", "-p", p))) TestProcess.Run("kill", "-KILL", pid.ToString(CultureInfo.InvariantCulture));
            if (!pwsh.HasExited) pwsh.Kill();
        }
    }

    /// <summary>pwsh 7.6.9 of the repository's local .NET tool (run as dotnet pwsh.dll).</summary>
    internal static string PwshDll()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                          ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string dll = Path.Combine(packages, "powershell", "7.6.9", "tools", "net10.0", "any", "unix", "pwsh.dll");
        Assert.True(File.Exists(dll), $"pwsh 7.6.9 (dotnet tool restore) is expected at {dll}");
        return dll;
    }

    [Fact]
    public async Task A_netperf_iteration_cut_short_by_SIGINT_is_not_a_sample()
    {
        using var server = new TestProcess.Netserver();
        TestProcess.WaitListening("127.0.0.1", server.Port, TimeSpan.FromSeconds(10));
        var request = new NetperfRequest { ComputerName = "127.0.0.1", Port = server.Port, DurationSeconds = 3, Iterations = 1 };
        using var session = new NetperfSession(ToolRunner.Default, new HostFileSystem("/"), request);
        await session.PrepareAsync(CancellationToken.None);
        var run = session.NewRun("TCP_RR");

        var iteration = session.RunIterationAsync(run, "TCP_RR", 1, CancellationToken.None);
        int netperf = WaitPid(TimeSpan.FromSeconds(10), "netperf", "-p", server.Port.ToString(CultureInfo.InvariantCulture));
        await Task.Delay(1500);
        Signal("INT", netperf); // what a terminal's Ctrl+C did when netperf shared pwsh's process group

        var e = await Assert.ThrowsAsync<LatencyToolException>(() => iteration);
        Assert.Equal(LatencyFailure.CutShort, e.Failure);
        Assert.Contains("cut short", e.Message);
        Assert.Contains("of the 3 s asked for", e.Message);
        Assert.Empty(run.Samples);
    }

    [Fact]
    public async Task A_sockperf_iteration_interrupted_by_SIGINT_is_not_a_sample()
    {
        int port = TestProcess.FreePort();
        string p = port.ToString(CultureInfo.InvariantCulture);
        using var server = TestProcess.Start("sockperf", "server", "--tcp", "-i", "127.0.0.1", "-p", p);
        try
        {
            TestProcess.WaitListening("127.0.0.1", port, TimeSpan.FromSeconds(10));
            var request = new SockperfRequest { ComputerName = "127.0.0.1", Port = port, Protocols = new[] { "TCP" }, DurationSeconds = 5, Iterations = 1 };
            using var session = new SockperfSession(ToolRunner.Default, new HostFileSystem("/"), request);
            await session.PrepareAsync(CancellationToken.None);
            var run = session.NewRun("TCP");

            var iteration = session.RunIterationAsync(run, "TCP", 1, CancellationToken.None);
            int sockperf = WaitPid(TimeSpan.FromSeconds(10), "sockperf", "ping-pong", "-p", p);
            await Task.Delay(2500); // past its start-up (a SIGINT before sockperf handles it simply kills it)
            Signal("INT", sockperf); // sockperf: "Test end (interrupted by user)", exit code 0

            var e = await Assert.ThrowsAsync<LatencyToolException>(() => iteration);
            Assert.Equal(LatencyFailure.CutShort, e.Failure);
            Assert.Contains("cut short", e.Message);
            Assert.Empty(run.Samples);
        }
        finally
        {
            server.Kill();
            server.WaitForExit(5000);
        }
    }

    [Fact]
    public void An_interrupted_sockperf_run_that_printed_figures_is_cut_short_and_a_full_one_is_not()
    {
        // sockperf versions differ on whether an interrupted run prints its figures; either way it is not a sample.
        var session = new SockperfSession(ToolRunner.Default, new HostFileSystem("/"), new SockperfRequest { DurationSeconds = 3 });
        const string full = "sockperf: Test end (interrupted by timer)\nsockperf: [Total Run] RunTime=3.000 sec; Warm up time=400 msec; SentMessages=10; ReceivedMessages=10\n";
        string interrupted = full.Replace("interrupted by timer", "interrupted by user").Replace("RunTime=3.000", "RunTime=1.620");
        string shortOnly = full.Replace("RunTime=3.000", "RunTime=2.750");

        Assert.Null(session.CutShort(full, SockperfParser.Parse(full)));
        Assert.Equal("sockperf was interrupted", session.CutShort(interrupted, SockperfParser.Parse(interrupted)));
        Assert.Equal("2.750 s of the 3 s asked for", session.CutShort(shortOnly, SockperfParser.Parse(shortOnly)));
    }

    [Fact]
    public void Full_logs_of_dead_owners_are_removed_and_live_ones_kept()
    {
        string dir = Directory.CreateTempSubdirectory("onloadtools-fulllog-").FullName;
        try
        {
            var gone = Process.Start("true")!;
            gone.WaitForExit();
            string dead = Path.Combine(dir, $"onloadtools-sockperf-{gone.Id}-{Guid.NewGuid():N}.csv");
            string mine = Path.Combine(dir, $"onloadtools-sockperf-{Environment.ProcessId}-{Guid.NewGuid():N}.csv");
            string live = Path.Combine(dir, $"onloadtools-sockperf-1-{Guid.NewGuid():N}.csv"); // init never dies
            string unknown = Path.Combine(dir, $"onloadtools-sockperf-{Guid.NewGuid():N}.csv"); // old name: owner unknown
            foreach (var f in new[] { dead, mine, live, unknown }) File.WriteAllText(f, "packet, txTime(sec), rxTime(sec), rtt(usec)\n");

            string fresh = SockperfFullLog.NewPath(dir);

            Assert.False(File.Exists(dead));
            Assert.True(File.Exists(mine) && File.Exists(live) && File.Exists(unknown));
            Assert.StartsWith($"onloadtools-sockperf-{Environment.ProcessId}-", Path.GetFileName(fresh));
            Assert.Equal(dir, Path.GetDirectoryName(fresh));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
