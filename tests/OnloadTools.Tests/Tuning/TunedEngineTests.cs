using System.Management.Automation;

namespace OnloadTools.Tests.Tuning;

/// <summary>The tuned cmdlets against the real tuned daemon of this machine; the previous profile is put back.</summary>
[Collection("Environment")]
public sealed class TunedEngineTests : IClassFixture<TunedDaemonFixture>, IDisposable
{
    private readonly TunedDaemonFixture _tuned;
    private readonly PowerShellEngine _engine = new();

    public TunedEngineTests(TunedDaemonFixture tuned)
    {
        _tuned = tuned;
        Assert.True(tuned.Available, tuned.WhyUnavailable);
    }

    public void Dispose()
    {
        _engine.Dispose();
        if (TunedDaemonFixture.ActiveProfile() != _tuned.OriginalProfile) TunedDaemonFixture.Restore(_tuned.OriginalProfile);
    }

    private static string Sysctl(string key) => File.ReadAllText("/proc/sys/" + key.Replace('.', '/')).Trim();

    [Fact]
    public void Get_TunedProfile_lists_the_installed_profiles_with_the_active_and_recommended_one()
    {
        string? active = TunedDaemonFixture.ActiveProfile();
        string recommended = TunedDaemonFixture.Run("tuned-adm", "recommend").Stdout.Trim();
        var r = _engine.Run("Get-TunedProfile");
        Assert.Empty(r.Errors);
        var names = r.Output.Select(o => (string)o.Properties["Name"].Value).ToHashSet();
        var onDisk = Directory.EnumerateDirectories("/usr/lib/tuned").Where(d => File.Exists(Path.Combine(d, "tuned.conf"))).Select(Path.GetFileName);
        Assert.Subset(names, onDisk.ToHashSet()!);
        Assert.Equal(active is null ? Array.Empty<string>() : new[] { active },
            r.Output.Where(o => (bool)o.Properties["IsActive"].Value).Select(o => (string)o.Properties["Name"].Value));
        Assert.Equal(recommended, r.Output.Single(o => (bool)o.Properties["IsRecommended"].Value).Properties["Name"].Value);
        var nl = r.Output.Single(o => (string)o.Properties["Name"].Value == "network-latency");
        Assert.Equal("OnloadTools.TunedProfile", nl.TypeNames[0]);
        Assert.Equal(new[] { "latency-performance" }, (string[])nl.Properties["Include"].Value);

        var activeOnly = _engine.Run("Get-TunedProfile -Active | ForEach-Object Name");
        Assert.Equal(active is null ? Array.Empty<string>() : new[] { active }, activeOnly.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void Effective_settings_come_from_the_include_chain()
    {
        var r = _engine.Run("Get-TunedProfile network-latency -Effective | Where-Object Plugin -eq 'sysctl'");
        Assert.Empty(r.Errors);
        var byName = r.Output.ToDictionary(o => (string)o.Properties["Name"].Value);
        Assert.Equal("50", byName["net.core.busy_read"].Properties["Value"].Value);
        Assert.Equal("network-latency", byName["net.core.busy_read"].Properties["DefinedIn"].Value);
        Assert.Equal("latency-performance", byName["vm.dirty_ratio"].Properties["DefinedIn"].Value);

        var missing = _engine.Run("Get-TunedProfile no-such-profile -Effective");
        Assert.Equal("TunedProfileNotFound", missing.SingleError.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ObjectNotFound, missing.SingleError.CategoryInfo.Category);
    }

    [Fact]
    public void Effective_cpu_partitioning_evaluates_tuneds_functions_and_warns_when_its_assertion_fails()
    {
        var r = _engine.Run("Get-TunedProfile cpu-partitioning -Effective | Where-Object Plugin -eq 'bootloader' | Where-Object Name -eq 'cmdline_cpu_part' | ForEach-Object Value");
        Assert.Empty(r.Errors);
        Assert.Empty(r.Warnings);
        string cmdline = Assert.Single(r.Output).ToString();
        Assert.DoesNotContain("${", cmdline);                                      // functions and variables evaluated
        Assert.Matches(@"nohz_full=(\d[\d,-]*) rcu_nocbs=\1 tuned\.non_isolcpus=[0-9a-f]{8}(,[0-9a-f]{8})* ", cmdline);

        // A host whose profile's isolated_cores is defined nowhere: tuned would refuse it, and the cmdlet says so.
        string root = FakeHost.Copy(FakeHost.TwoSocket);
        try
        {
            string dir = Path.Combine(root, "etc", "tuned", "needs-cores");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "tuned.conf"),
                "[main]\ninclude=network-latency\n[variables]\nisolated_cores=${isolated_cores}\ncheck=\\\\${isolated_cores}\n" +
                "assert1=${f:assertion_non_equal:isolated_cores are set:${isolated_cores}:${check}}\n[bootloader]\ncmdline_x=nohz_full=${isolated_cores}\n");
            using var doubles = new DoublesOnPath();
            doubles.Set("ONLOADTOOLS_HOST_ROOT", root);
            using var engine = new PowerShellEngine();
            var warned = engine.Run("Get-TunedProfile needs-cores -Effective | Where-Object Name -eq 'cmdline_x' | ForEach-Object Value");
            Assert.Empty(warned.Errors);
            Assert.Equal("nohz_full=${isolated_cores}", Assert.Single(warned.Output).ToString());
            var warning = Assert.Single(warned.Warnings);
            Assert.Contains("tuned would refuse", warning.Message);
            Assert.Contains("isolated_cores are set", warning.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Invoke_switches_reports_live_values_and_switching_back_restores_them()
    {
        TunedDaemonFixture.Restore("balanced");
        string busyBefore = Sysctl("net.core.busy_read");
        string fastopenBefore = Sysctl("net.ipv4.tcp_fastopen");

        var r = _engine.Run("$script:change = Invoke-TunedProfile -Name network-latency -Confirm:$false; $script:change");
        Assert.Null(r.Terminating);
        var change = Assert.Single(r.Output);
        Assert.Equal("balanced", change.Properties["PreviousProfile"].Value);
        Assert.Equal("network-latency", change.Properties["NewProfile"].Value);
        Assert.Equal("network-latency", TunedDaemonFixture.ActiveProfile());
        Assert.Equal("tuned-adm profile network-latency", change.Properties["CommandLine"].Value);

        var settings = ((object[])change.Properties["Settings"].Value).Select(PSObject.AsPSObject).ToList();
        var busy = settings.Single(s => (string)s.Properties["Name"].Value == "net.core.busy_read");
        Assert.Equal(busyBefore, busy.Properties["Before"].Value);
        Assert.Equal(Sysctl("net.core.busy_read"), busy.Properties["After"].Value);
        Assert.Equal("50", busy.Properties["After"].Value);
        Assert.Equal(busyBefore != "50", busy.Properties["Changed"].Value);
        Assert.Equal(settings.Count(s => (bool)s.Properties["Changed"].Value), change.Properties["ChangedCount"].Value);

        bool skewTickRunning = File.ReadAllText("/proc/cmdline").Split(' ').Contains("skew_tick=1");
        Assert.Equal(!skewTickRunning, change.Properties["RebootRequired"].Value);
        bool verifyPasses = TunedDaemonFixture.Run("tuned-adm", "verify").Code == 0;
        Assert.Equal(verifyPasses, change.Properties["Verified"].Value);
        if (!skewTickRunning)
        {
            Assert.Contains("skew_tick=1", (string[])change.Properties["MissingBootArguments"].Value);
            Assert.Contains(r.Warnings, w => w.Message.Contains("reboot", StringComparison.OrdinalIgnoreCase));
        }

        // Switching back to the previous profile, the way admins write it.
        var back = _engine.Run("Invoke-TunedProfile -Name $script:change.PreviousProfile -Confirm:$false");
        Assert.Null(back.Terminating);
        Assert.Equal("balanced", TunedDaemonFixture.ActiveProfile());
        Assert.Equal(busyBefore, Sysctl("net.core.busy_read"));
        Assert.Equal(fastopenBefore, Sysctl("net.ipv4.tcp_fastopen"));
    }

    [Fact]
    public void WhatIf_shows_the_command_and_the_values_that_would_change_without_switching()
    {
        TunedDaemonFixture.Restore("balanced");
        string busy = Sysctl("net.core.busy_read");
        var r = _engine.Run("Invoke-TunedProfile network-latency -WhatIf -Verbose");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Output);
        Assert.Equal("balanced", TunedDaemonFixture.ActiveProfile());
        string text = string.Join("\n", r.Verbose.Select(v => v.Message));
        Assert.Contains("tuned-adm profile network-latency", text);
        if (busy != "50") Assert.Contains($"net.core.busy_read {busy} -> 50", text);
        Assert.Contains("skew_tick=1", text);
    }

    [Fact]
    public void Off_and_Test_TunedProfile()
    {
        TunedDaemonFixture.Restore("network-latency");
        var verify = _engine.Run("Test-TunedProfile");
        Assert.Null(verify.Terminating);
        var v = Assert.Single(verify.Output);
        Assert.Equal("network-latency", v.Properties["Profile"].Value);
        bool skewTickRunning = File.ReadAllText("/proc/cmdline").Split(' ').Contains("skew_tick=1");
        var diffs = ((object[])v.Properties["Differences"].Value).Select(PSObject.AsPSObject).ToList();
        if (!skewTickRunning)
        {
            Assert.False((bool)v.Properties["Verified"].Value);
            Assert.Contains(diffs, d => (string)d.Properties["Name"].Value == "cmdline:skew_tick");
        }
        Assert.Equal((bool)v.Properties["Verified"].Value, _engine.Run("Test-TunedProfile -Quiet").Output.Single().BaseObject);

        var off = _engine.Run("Invoke-TunedProfile -Off -Confirm:$false");
        Assert.Null(off.Terminating);
        var change = Assert.Single(off.Output);
        Assert.Equal("network-latency", change.Properties["PreviousProfile"].Value);
        Assert.Null(change.Properties["NewProfile"].Value);
        Assert.Null(TunedDaemonFixture.ActiveProfile());
    }

    [Fact]
    public void An_unknown_profile_is_ObjectNotFound_and_changes_nothing()
    {
        string? before = TunedDaemonFixture.ActiveProfile();
        var r = _engine.Run("Invoke-TunedProfile -Name no-such-profile -Confirm:$false");
        Assert.Equal("TunedProfileNotFound", r.SingleError.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ObjectNotFound, r.SingleError.CategoryInfo.Category);
        Assert.Equal(before, TunedDaemonFixture.ActiveProfile());
    }

    [Fact]
    public void A_stopped_daemon_is_ResourceUnavailable_and_the_fixture_starts_it_again()
    {
        string? before = TunedDaemonFixture.ActiveProfile();
        int pid = TunedDaemonFixture.Pids("tuned").Single();
        TunedDaemonFixture.Run("kill", pid.ToString());
        for (int i = 0; i < 100 && Directory.Exists($"/proc/{pid}"); i++) Thread.Sleep(100);
        try
        {
            using var engine = new PowerShellEngine();
            foreach (string script in new[] { "Test-TunedProfile", "Invoke-TunedProfile network-latency -Confirm:$false" })
            {
                var r = engine.Run(script);
                Assert.Equal("TunedDaemonNotRunning", r.SingleError.FullyQualifiedErrorId.Split(',')[0]);
                Assert.Equal(ErrorCategory.ResourceUnavailable, r.SingleError.CategoryInfo.Category);
                Assert.Contains("daemon", r.SingleError.Exception.Message);
            }
            var check = engine.Run("Test-OnloadHost | Where-Object Name -eq 'TunedProfileActive'").Output.Single();
            Assert.Equal("Fail", check.Properties["Status"].Value);
            Assert.Contains("systemctl enable --now tuned", (string)check.Properties["Remediation"].Value);
        }
        finally
        {
            Assert.True(TunedDaemonFixture.EnsureRunning(out string why), why);
        }
        Assert.Equal(before, TunedDaemonFixture.ActiveProfile());
    }

    [Fact]
    public void Results_survive_serialization_as_for_Invoke_Command()
    {
        TunedDaemonFixture.Restore("balanced");
        using var engine = new PowerShellEngine();
        var r = engine.Run(@"
            $c = Invoke-TunedProfile -Name network-latency -Confirm:$false -WarningAction SilentlyContinue
            $d = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($c))
            $d.PSObject.TypeNames[0]
            ($d.Settings | Where-Object Name -eq 'net.core.busy_read').After
            $checks = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize((Test-OnloadHost)))
            $checks[0].PSObject.TypeNames[0]
            @($checks | Where-Object Status -eq 'Fail').Count -eq @(Test-OnloadHost | Where-Object Status -eq 'Fail').Count");
        Assert.Null(r.Terminating);
        Assert.Equal(new[] { "Deserialized.OnloadTools.TunedProfileChange", "50", "Deserialized.OnloadTools.OnloadHostCheck", "True" },
            r.Output.Select(o => o.ToString()));
    }
}
