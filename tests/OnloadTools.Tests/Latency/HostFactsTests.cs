using OnloadTools.Host;
using OnloadTools.Latency;
using OnloadTools.Processes;
using OnloadTools.Tests.Infrastructure;

namespace OnloadTools.Tests.Latency;

/// <summary>
/// The host facts every run carries (HostFactsReader over the fake tree tests/fixtures/hosts/host-facts), the .opf
/// profile reader, the words a comparison uses for the facts that differ, and that the facts survive the history file.
/// </summary>
public class HostFactsTests
{
    private static readonly string Root = TestPaths.Fixture("hosts", "host-facts");

    private static ScriptedRunner Runner(string verify = "Verfication succeeded, current system settings match the preset profile.") =>
        new(c => c.Tool switch
        {
            "tuned-adm" => (0, verify, ""),
            "ethtool" => (0, "driver: sfc\nversion: 5.3.3.1008\nfirmware-version: 8.2.4.1004 rx1 tx1\nbus-info: 0000:81:00.0\n", ""),
            "onload" => (0, "OpenOnload 8.1.2.26\nCopyright 2019-2023 Advanced Micro Devices, Inc.\n", ""),
            _ => (1, "", "unexpected"),
        }, "tuned-adm", "ethtool", "onload");

    [Fact]
    public async Task Reads_every_fact_of_a_fake_host()
    {
        var runner = Runner();
        var f = await HostFactsReader.ReadAsync(new HostFileSystem(Root), runner, "latency", null, CancellationToken.None);

        Assert.Equal("5.14.0-427.13.1.el9_4.x86_64", f.KernelRelease);
        Assert.Contains("nohz_full=10-15,26-31", f.KernelCommandLine);
        Assert.Equal("cpu-partitioning", f.TunedProfile);
        Assert.True(f.TunedProfileVerified);
        Assert.Equal("10-15,26-31", f.IsolatedCpus);   // cpu-partitioning: nohz_full and tuned.non_isolcpus, no isolcpus=
        Assert.Equal("p1p1", f.NicInterface);           // the first Solarflare interface, not em1
        Assert.Equal("sfc", f.NicDriver);
        Assert.Equal(9000, f.NicMtu);
        Assert.Equal("8.2.4.1004 rx1 tx1", f.NicFirmware);
        Assert.Equal("Intel(R) Xeon(R) Gold 6244 CPU @ 3.60GHz", f.CpuModel);
        Assert.Equal("tsc", f.Clocksource);
        Assert.Equal("8.1.2.26", f.OnloadVersion);
        Assert.Equal("latency", f.OnloadProfile);
        Assert.Equal("EF_POLL_USEC=100000 EF_TCP_FASTSTART_IDLE=0 EF_TCP_FASTSTART_INIT=0", f.OnloadProfileSettings);
        Assert.Contains(runner.Commands, c => c.CommandLine == "ethtool -i p1p1");
        Assert.Contains(runner.Commands, c => c.CommandLine == "tuned-adm verify");
    }

    [Fact]
    public async Task Tuned_verify_failing_is_false_and_a_known_onload_version_is_not_asked_again()
    {
        var runner = Runner("Verification failed, current system settings differ from the preset profile.");
        var f = await HostFactsReader.ReadAsync(new HostFileSystem(Root), runner, null, "9.0.1.5", CancellationToken.None);
        Assert.False(f.TunedProfileVerified);
        Assert.Equal("9.0.1.5", f.OnloadVersion);
        Assert.DoesNotContain(runner.Commands, c => c.Tool == "onload");
        Assert.Null(f.OnloadProfile);
        Assert.Null(f.OnloadProfileSettings);
    }

    [Fact]
    public async Task A_host_where_nothing_can_be_read_gives_nulls_never_an_error()
    {
        string empty = Directory.CreateTempSubdirectory("facts-empty-").FullName;
        try
        {
            // Every tool fails or hangs: facts are unknown, the measurement goes on.
            var runner = new ThrowingRunner();
            var f = await HostFactsReader.ReadAsync(new HostFileSystem(empty), runner, "latency", null, CancellationToken.None);
            Assert.Null(f.KernelRelease);
            Assert.Null(f.TunedProfile);
            Assert.Null(f.TunedProfileVerified);
            Assert.Null(f.IsolatedCpus);   // unknown, not "none"
            Assert.Null(f.NicInterface);
            Assert.Null(f.CpuModel);
            Assert.Null(f.Clocksource);
            Assert.Null(f.OnloadVersion);
            Assert.Equal("latency", f.OnloadProfile);
            Assert.Null(f.OnloadProfileSettings);   // no latency.opf: unknown, not "no settings"
        }
        finally
        {
            Directory.Delete(empty, true);
        }
    }

    [Fact]
    public void Profile_settings_follow_imports_first_setting_wins_and_conditionals_are_not_guessed()
    {
        string? s = OnloadProfileFile.Settings(new HostFileSystem(Root), "latency-best");
        // EF_POLL_USEC set before the import keeps 50000; the fragment is found for an import; EF_CTPIO_MODE is only set
        // inside an 'if' and is left out; quotes are removed.
        Assert.Equal("EF_EPOLL_MT_SAFE=1 EF_INT_DRIVEN=0 EF_POLL_USEC=50000 EF_TCP_FASTSTART_IDLE=0 EF_TCP_FASTSTART_INIT=0", s);
        Assert.Null(OnloadProfileFile.Settings(new HostFileSystem(Root), "spin-extra"));   // a fragment is no profile by itself
        Assert.Null(OnloadProfileFile.Settings(new HostFileSystem(Root), "no-such-profile"));
    }

    [Fact]
    public void Opf_parser_reads_both_onload_set_forms_and_skips_comments()
    {
        var set = new Dictionary<string, string>();
        var imports = new List<string>();
        OnloadProfileFile.Parse("# c\nonload_set EF_A 1\nonload_set EF_B=2 # note\n#onload_set EF_C 3\nonload_set EF_A 9\nonload_import 'other'\n  onload_set EF_D 4\n",
            set, imports.Add);
        Assert.Equal(new Dictionary<string, string> { ["EF_A"] = "1", ["EF_B"] = "2" }, set);
        Assert.Equal(new[] { "other" }, imports);
    }

    [Fact]
    public void Differences_name_each_fact_that_changed_in_words()
    {
        var a = new HostFacts
        {
            KernelRelease = "5.14.0-427", TunedProfile = "network-latency", KernelCommandLine = "ro quiet isolcpus=2-3",
            NicMtu = 1500, OnloadProfileSettings = "EF_POLL_USEC=100000 EF_TCP_FASTSTART_INIT=0", CpuModel = "Xeon",
        };
        var b = new HostFacts
        {
            KernelRelease = "5.14.0-503", TunedProfile = "throughput-performance", KernelCommandLine = "ro quiet nohz_full=2-3",
            NicMtu = 9000, OnloadProfileSettings = "EF_POLL_USEC=0 EF_TCP_FASTSTART_INIT=0", CpuModel = null,
        };
        Assert.Equal("kernel 5.14.0-427 → 5.14.0-503; cmdline -isolcpus=2-3 +nohz_full=2-3; tuned network-latency → throughput-performance; " +
                     "MTU 1500 → 9000; EF_POLL_USEC 100000 → 0",
            HostFactsDifference.Describe(new[] { a }, new[] { b }));
        Assert.Null(HostFactsDifference.Describe(new[] { a }, new[] { a }));
        Assert.Null(HostFactsDifference.Describe(new HostFacts?[] { null }, new[] { b }));   // an older run without facts
    }

    [Fact]
    public void A_comparison_of_runs_with_one_fact_changed_names_it_in_HostDifferences_and_Notes()
    {
        var a = SyntheticRuns.Make("A", "TCP_RR", 20, 0.02, 10, 1);
        var b = SyntheticRuns.Make("B", "TCP_RR", 20, 0.02, 10, 2);
        a.HostFacts = new HostFacts { KernelRelease = "5.14.0-427", TunedProfile = "network-latency" };
        b.HostFacts = new HostFacts { KernelRelease = "5.14.0-503", TunedProfile = "network-latency" };
        var mean = Assert.Single(LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { Metrics = new[] { "Mean" } }));
        Assert.Equal("kernel 5.14.0-427 → 5.14.0-503", mean.HostDifferences);
        Assert.Contains("The hosts differ: kernel 5.14.0-427 → 5.14.0-503.", mean.Notes);

        b.HostFacts = null;
        Assert.Null(Assert.Single(LatencyComparer.Compare(new[] { a }, new[] { b }, new ComparisonOptions { Metrics = new[] { "Mean" } })).HostDifferences);
    }

    [Fact]
    public void Facts_survive_the_history_file_and_files_without_them_still_import()
    {
        var run = SyntheticRuns.Make("A", "TCP_RR", 20, 0.02, 3, 1);
        run.HostFacts = new HostFacts { KernelRelease = "5.14.0-427", NicMtu = 9000, TunedProfileVerified = false, OnloadProfileSettings = "EF_POLL_USEC=0" };
        var back = LatencyRunStore.Deserialize(LatencyRunStore.Serialize(run));
        Assert.Equal("5.14.0-427", back.HostFacts!.KernelRelease);
        Assert.Equal(9000, back.HostFacts.NicMtu);
        Assert.False(back.HostFacts.TunedProfileVerified);
        Assert.Equal("EF_POLL_USEC=0", back.HostFacts.OnloadProfileSettings);

        run.HostFacts = null;
        string older = LatencyRunStore.Serialize(run).Replace("\"hostFacts\": null,", "");
        Assert.DoesNotContain("hostFacts", older);
        Assert.Null(LatencyRunStore.Deserialize(older).HostFacts);
    }

    [Fact]
    public async Task A_session_reads_the_facts_once_while_preparing_and_each_run_holds_its_own_copy()
    {
        var runner = Runner();
        var request = new NetperfRequest { ComputerName = "127.0.0.1", Port = 12865, DurationSeconds = 1, Iterations = 1 };
        using var session = new NetperfSession(new ScriptedRunner(c => c.Tool == "netperf" ? (0, "Netperf version 2.7.0\n", "") : Answer(runner, c),
            "netperf", "tuned-adm", "ethtool"), new HostFileSystem(Root), request);
        await session.PrepareAsync(CancellationToken.None);
        var tcp = session.NewRun("TCP_RR");
        var udp = session.NewRun("UDP_RR");
        Assert.Equal("5.14.0-427.13.1.el9_4.x86_64", tcp.HostFacts!.KernelRelease);
        Assert.Equal("p1p1", udp.HostFacts!.NicInterface);
        Assert.NotSame(tcp.HostFacts, udp.HostFacts);
        tcp.HostFacts.KernelRelease = "edited";
        Assert.Equal("5.14.0-427.13.1.el9_4.x86_64", udp.HostFacts.KernelRelease);
    }

    private static (int, string, string) Answer(ScriptedRunner runner, ToolCommand c)
    {
        var r = runner.RunAsync(c).GetAwaiter().GetResult();
        return (r.ExitCode, r.StandardOutput, r.StandardError);
    }

    private sealed class ThrowingRunner : IToolRunner
    {
        public string? Which(string tool) => "/usr/bin/" + tool;
        public Task<ToolResult> RunAsync(ToolCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
            throw new ToolTimeoutException(command.CommandLine, timeout ?? TimeSpan.Zero);
        public BackgroundProcess Start(ToolCommand command) => throw new NotSupportedException();
    }
}
