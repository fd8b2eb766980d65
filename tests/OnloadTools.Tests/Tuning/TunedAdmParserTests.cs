using CsCheck;
using OnloadTools.Tuning;

namespace OnloadTools.Tests.Tuning;

public class TunedAdmParserTests
{
    private static string Fixture(string name) => TestPaths.ReadFixture("tuning", name);

    [Fact]
    public void List_2_20_has_every_profile_with_its_summary_and_the_active_one()
    {
        var o = TunedAdmParser.ParseList(Fixture("recorded_2.20.0_list.txt"));
        Assert.Equal(37, o.Profiles.Count);
        Assert.Equal("Optimize for deterministic performance at the cost of increased power consumption, focused on low latency network performance",
            o.Profiles.Single(p => p.Name == "network-latency").Summary);
        Assert.Equal("virtual-guest", o.ActiveProfile);
        Assert.False(o.DaemonNotRunning);
        Assert.Empty(o.Warnings);
    }

    [Fact]
    public void List_2_4_1_of_CentOS_6_has_names_without_summaries()
    {
        var o = TunedAdmParser.ParseList(Fixture("tuned_adm_list_v2.4.1_centos6.txt"));
        Assert.Equal(12, o.Profiles.Count);
        Assert.All(o.Profiles, p => Assert.Null(p.Summary));
        Assert.Contains(o.Profiles, p => p.Name == "laptop-battery-powersave");
        Assert.Equal("throughput-performance", o.ActiveProfile);
    }

    [Fact]
    public void List_2_7_1_keeps_summaries_as_printed()
    {
        var o = TunedAdmParser.ParseList(Fixture("tuned_adm_list_v2.7.1_centos7.txt"));
        Assert.Equal(9, o.Profiles.Count);
        Assert.Equal("Optmize for the desktop use-case", o.Profiles.Single(p => p.Name == "desktop").Summary);
        Assert.Equal("Broadly applicable tuning that provides--", o.Profiles.Single(p => p.Name == "throughput-performance").Summary);
        Assert.Equal("virtual-guest", o.ActiveProfile);
    }

    [Fact]
    public void List_2_11_collects_the_warnings_block_apart_from_the_profiles()
    {
        var o = TunedAdmParser.ParseList(Fixture("tuned_adm_list_v2.11.0_with_warnings.txt"));
        Assert.Equal(9, o.Profiles.Count);
        Assert.Equal(new[] { "No SMBIOS nor DMI entry point found, sorry." }, o.Warnings);
        Assert.Equal("virtual-guest", o.ActiveProfile);
    }

    [Fact]
    public void List_mixes_profiles_with_and_without_summary()
    {
        var o = TunedAdmParser.ParseList(Fixture("tuned_adm_list_custom_profile_no_summary.txt"));
        Assert.Equal(12, o.Profiles.Count);
        Assert.Null(o.Profiles.Single(p => p.Name == "virtual-guest-vmware").Summary);
        Assert.Equal("Optimize for running KVM guests", o.Profiles.Single(p => p.Name == "virtual-host").Summary);
        Assert.Equal("virtual-guest-vmware", o.ActiveProfile);
    }

    [Fact]
    public void List_with_the_daemon_down_gives_the_preset_and_no_active_profile()
    {
        var o = TunedAdmParser.ParseList(Fixture("tuned_adm_list_daemon_not_running_preset.txt"));
        Assert.True(o.DaemonNotRunning);
        Assert.Null(o.ActiveProfile);
        Assert.Equal("virtual-guest", o.PresetProfile);
        Assert.Equal(9, o.Profiles.Count);
    }

    [Fact]
    public void Active_reads_the_profile_or_none()
    {
        Assert.Equal("virtual-guest", TunedAdmParser.ParseActive(Fixture("recorded_2.20.0_active.txt")));
        Assert.Null(TunedAdmParser.ParseActive(Fixture("recorded_2.20.0_active_off.txt")));
        Assert.Null(TunedAdmParser.ParseActive(Fixture("tuned_adm_active_no_daemon.stdout.txt")));
        Assert.True(TunedAdmParser.SaysDaemonDown(Fixture("tuned_adm_active_no_daemon.stderr.txt")));
        Assert.True(TunedAdmParser.SaysDaemonDown("Cannot talk to TuneD daemon via DBus. Is TuneD daemon running?"));
        Assert.False(TunedAdmParser.SaysDaemonDown(Fixture("recorded_2.20.0_active.txt")));
    }

    [Fact]
    public void Verify_outcomes_including_tuned_adms_own_spelling()
    {
        Assert.Equal(TunedVerifyOutcome.Succeeded, TunedAdmParser.ParseVerify(Fixture("recorded_2.20.0_verify_succeeded.txt")));
        Assert.Equal(TunedVerifyOutcome.Failed, TunedAdmParser.ParseVerify(Fixture("recorded_2.20.0_verify_failed.txt")));
        Assert.Equal(TunedVerifyOutcome.Failed, TunedAdmParser.ParseVerify(Fixture("recorded_2.20.0_verify_after_off.txt")));
        Assert.Equal(TunedVerifyOutcome.DaemonNotRunning, TunedAdmParser.ParseVerify(Fixture("tuned_adm_active_no_daemon.stderr.txt")));
        Assert.Equal(TunedVerifyOutcome.Unknown, TunedAdmParser.ParseVerify(""));
    }

    [Fact]
    public void Verify_log_takes_only_the_last_verification()
    {
        var (profile, items) = TunedAdmParser.ParseVerifyLog(Fixture("recorded_2.20.0_tuned_log_two_verifications.txt"));
        Assert.Equal("network-latency", profile);
        var failed = Assert.Single(items, i => i.Status == "Failed");
        Assert.Equal("cmdline:skew_tick", failed.Name);
        Assert.Equal("skew_tick=1", failed.Expected);
        Assert.Equal(8, items.Count(i => i.Status == "Passed"));
        var busy = items.Single(i => i.Name == "net.core.busy_read");
        Assert.Equal("50", busy.Actual);
    }

    [Fact]
    public void Verify_log_understands_every_message_form_of_tuned()
    {
        var (profile, items) = TunedAdmParser.ParseVerifyLog(Fixture("composed_tuned_log_verify_all_forms.txt"));
        Assert.Equal("cpu-partitioning", profile);
        Assert.Equal(10, items.Count);
        var nmi = items.Single(i => i.Name == "kernel.nmi_watchdog");
        Assert.Equal(("Failed", "1", "0"), (nmi.Status, nmi.Actual, nmi.Expected));
        var gov = items.Single(i => i.Device == "cpu3");
        Assert.Equal(("Failed", "governor", "powersave", "performance"), (gov.Status, gov.Name, gov.Actual, gov.Expected));
        Assert.Equal("Passed", items.Single(i => i.Device == "cpu0").Status);
        Assert.Equal(2, items.Count(i => i.Status == "Skipped"));
        Assert.Equal("Passed", items.Single(i => i.Name == "script").Status);
        Assert.Equal("Failed", items.Single(i => i.Name == "banned_cpus").Status);
        var nohz = items.Single(i => i.Name == "cmdline:nohz_full");
        Assert.Equal(("nohz_full=1", "nohz_full=2-7"), (nohz.Actual, nohz.Expected));
        Assert.Equal("nosoftlockup", items.Single(i => i.Name == "cmdline:nosoftlockup").Expected);
    }

    [Fact]
    public void Verify_lines_whose_quoted_parts_hold_quotes_are_itemised()
    {
        // plugin_modules, plugin_service, plugin_script, plugin_bootloader and plugin_scheduler put quotes (or a
        // Python list or set) inside tuned's quoted '%s'; the first line is recorded from tuned 2.20.0 here.
        var (profile, items) = TunedAdmParser.ParseVerifyLog(Fixture("tuned_2.20.0_log_verify_nested_quotes.txt"));
        Assert.Equal("balanced", profile);
        Assert.Equal(8, items.Count);
        var module = items.Single(i => i.Name == "module:cpufreq_conservative");
        Assert.Equal(("Failed", "not loaded", "loaded"), (module.Status, module.Actual, module.Expected));
        Assert.Equal("verify: failed: 'module 'cpufreq_conservative' is not loaded'", module.Message);
        Assert.Equal("Passed", items.Single(i => i.Name == "module:sfc").Status);
        var service = items.Single(i => i.Name == "service:irqbalance");
        Assert.Equal(("Failed", "configuration '/etc/sysconfig/irqbalance' differs"), (service.Status, service.Actual));
        Assert.Equal("Skipped", items.Single(i => i.Name == "service:chronyd").Status);
        Assert.Equal("Failed", items.Single(i => i.Name == "script:/usr/lib/tuned/cpu-partitioning/script.sh").Status);
        var cmdline = items.Single(i => i.Name == "cmdline");
        Assert.Equal(("Passed", "{'skew_tick=1', 'nohz=on'}"), (cmdline.Status, cmdline.Actual));
        var cgroup = items.Single(i => i.Name == "cgroup 'set0' affinity");
        Assert.Equal(("Failed", "0-3", "2-3"), (cgroup.Status, cgroup.Actual, cgroup.Expected));
        Assert.Equal(("20", "30"), (items.Single(i => i.Name == "vm.dirty_ratio").Actual, items.Single(i => i.Name == "vm.dirty_ratio").Expected));
        Assert.Equal(5, items.Count(i => i.Status == "Failed"));
    }

    [Fact]
    public void Profile_info_summary()
    {
        Assert.StartsWith("Optimize for deterministic performance", TunedAdmParser.ParseProfileInfoSummary(Fixture("recorded_2.20.0_profile_info.txt")));
    }

    [Fact]
    public void Parsers_never_throw_on_arbitrary_text()
    {
        Gen.String.Sample(s =>
        {
            TunedAdmParser.ParseList(s);
            TunedAdmParser.ParseActive(s);
            TunedAdmParser.ParseVerify(s);
            TunedAdmParser.ParseVerifyLog(s);
            TunedAdmParser.ParseVerifyLog("verifying profile(s): x\n" + s);
            TunedAdmParser.ParseVerifyLine("verify: " + s);
            TunedAdmParser.ParseProfileInfoSummary(s);
            TunedConfig.Parse(s);
            TunedConfig.Parse("[main]\n" + s);
        }, iter: 2000);
    }

    [Fact]
    public void Tuned_lines_built_from_arbitrary_names_parse_back()
    {
        Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 20], Gen.String[Gen.Char.AlphaNumeric, 0, 10], Gen.String[Gen.Char.AlphaNumeric, 0, 10]).Sample((name, actual, expected) =>
        {
            var item = TunedAdmParser.ParseVerifyLine($"2026-01-01 00:00:00,000 ERROR    tuned.plugins.base: verify: failed: '{name}' = '{actual}', expected '{expected}'");
            return item is not null && item.Status == "Failed" && item.Name == name && item.Actual == actual && item.Expected == expected;
        }, iter: 500);
    }

    /// <summary>tuned-adm answering every call with the given output and exit code.</summary>
    private sealed class FakeTunedAdm(string stdout, int exitCode) : OnloadTools.Processes.IToolRunner
    {
        public string? Which(string tool) => "/usr/sbin/" + tool;

        public Task<OnloadTools.Processes.ToolResult> RunAsync(OnloadTools.Processes.ToolCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new OnloadTools.Processes.ToolResult
            {
                CommandLine = command.CommandLine, ExecutablePath = "/usr/sbin/tuned-adm", ExitCode = exitCode,
                StandardOutput = command.Arguments.Contains("active") ? "Current active profile: balanced\n" : stdout,
                StandardError = "", StartTime = DateTime.UtcNow, EndTime = DateTime.UtcNow,
            });

        public OnloadTools.Processes.BackgroundProcess Start(OnloadTools.Processes.ToolCommand command) => throw new NotSupportedException();
    }

    [Theory]
    [InlineData("", 0, "printed nothing (exit code 0)")]
    [InlineData("something tuned-adm never said\n", 0, "gave no verdict (exit code 0): something tuned-adm never said")]
    public async Task Verify_output_without_a_verdict_is_not_verified(string stdout, int exitCode, string reason)
    {
        string root = Directory.CreateTempSubdirectory("onloadtools-tuned-").FullName;
        try
        {
            var v = await new TunedService(new FakeTunedAdm(stdout, exitCode), new OnloadTools.Host.HostFileSystem(root)).VerifyAsync(CancellationToken.None);
            Assert.False(v.Verified);
            Assert.Contains(reason, v.Reason);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public async Task A_failed_verification_gives_tuned_adms_verdict_without_its_advice()
    {
        string root = Directory.CreateTempSubdirectory("onloadtools-tuned-").FullName;
        try
        {
            var v = await new TunedService(new FakeTunedAdm(Fixture("recorded_2.20.0_verify_failed.txt"), 1), new OnloadTools.Host.HostFileSystem(root)).VerifyAsync(CancellationToken.None);
            Assert.False(v.Verified);
            Assert.StartsWith("Verification failed", v.Reason);
            Assert.DoesNotContain("\n", v.Reason);
            Assert.Contains("systemctl restart tuned", v.Message);
        }
        finally { Directory.Delete(root, true); }
    }
}
