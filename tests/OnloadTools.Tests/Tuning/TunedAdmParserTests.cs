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
}
