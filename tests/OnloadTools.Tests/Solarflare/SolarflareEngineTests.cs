using System.Globalization;
using System.Management.Automation;
using OnloadTools.Solarflare;

namespace OnloadTools.Tests.Solarflare;

/// <summary>
/// The Solarflare/Onload cmdlets in a real PowerShell 7.6 engine, the way an admin writes the pipelines, against the
/// doubles of sfboot/sfupdate/ethtool/onload (tests/fixtures/bin) and the fake sysfs of a dual-port adapter.
/// </summary>
[Collection("Environment")]
public sealed class SolarflareEngineTests
{
    private static readonly string FakeRoot = TestPaths.Fixture("hosts", "sfc-dual-port");

    private static T Prop<T>(PSObject o, string name) => (T)LanguagePrimitives.ConvertTo(o.Properties[name].Value, typeof(T), CultureInfo.InvariantCulture);

    private static string[] Calls(DoublesOnPath d)
    {
        string log = Path.Combine(d.StateDirectory, "calls.log");
        return File.Exists(log) ? File.ReadAllLines(log) : Array.Empty<string>();
    }

    [Fact]
    public void Pfs_sharing_physical_port_0_are_p1p1_and_p1p3()
    {
        using var d = new DoublesOnPath();
        d.Set("ONLOADTOOLS_HOST_ROOT", FakeRoot);
        using var engine = new PowerShellEngine();
        var r = engine.Run("Get-SfcInterface | Where-Object PhysicalPort -eq 0 | ForEach-Object Name");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Equal(new[] { "p1p1", "p1p3" }, r.Output.Select(o => o.BaseObject.ToString()));

        var typed = engine.Run("Get-SfcInterface p1p2");
        var p1p2 = Assert.Single(typed.Output);
        Assert.Equal("OnloadTools.SfcInterface", p1p2.TypeNames[0]);
        Assert.Equal(new[] { "p1p2", "p1p4" }, Prop<string[]>(p1p2, "PortFunctions"));
        Assert.Equal(new[] { "10.10.2.11" }, Prop<string[]>(p1p2, "IPv4Addresses"));

        Assert.Equal(4, engine.Run("Get-SfcInterface -Name 'p1p*'").Output.Count);
        var missing = engine.Run("Get-SfcInterface -Name p1p9");
        Assert.Equal(ErrorCategory.ObjectNotFound, missing.SingleError.CategoryInfo.Category);
        Assert.Equal("SfcInterfaceNotFound", missing.SingleError.FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void The_real_sys_of_this_machine_gives_no_sfc_interface_and_no_error()
    {
        using var d = new DoublesOnPath();
        d.Set("ONLOADTOOLS_HOST_ROOT", null);
        using var engine = new PowerShellEngine();
        var r = engine.Run("@(Get-SfcInterface).Count");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Equal(0, (int)Assert.Single(r.Output).BaseObject);
    }

    [Fact]
    public void Interface_names_tab_complete_from_sysfs()
    {
        using var d = new DoublesOnPath();
        d.Set("ONLOADTOOLS_HOST_ROOT", FakeRoot);
        using var engine = new PowerShellEngine();
        foreach (string line in new[] { "Get-SfcInterface -Name p1p", "Set-SfcPartitioning -InterfaceName p1p", "Get-SfcAdapter p1p" })
        {
            var r = engine.Run("[System.Management.Automation.CommandCompletion]::CompleteInput($line, $line.Length, $null).CompletionMatches | ForEach-Object CompletionText",
                ("line", line));
            Assert.Equal(new[] { "p1p1", "p1p2", "p1p3", "p1p4" }, r.Output.Select(o => o.BaseObject.ToString()));
        }
    }

    [Fact]
    public void Default_output_uses_the_modules_table_views_for_live_and_deserialized_objects()
    {
        using var d = new DoublesOnPath();
        d.Set("ONLOADTOOLS_HOST_ROOT", FakeRoot);
        using var engine = new CapturingEngine();
        var r = engine.Run(@"
            Get-SfcInterface | Out-Default
            Get-SfcAdapter | Out-Default
            [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize((Get-SfcInterface p1p1))) | Out-Default");
        Assert.Empty(r.Errors);
        string text = System.Text.RegularExpressions.Regex.Replace(engine.HostOutput, "\u001b\\[[0-9;]*m", ""); // no colours
        Assert.Matches(@"Name\s+Port\s+PortFunctions\s+Link", text);
        Assert.Matches(@"p1p1\s+0\s+p1p1,p1p3\s+up\s+10000", text);
        Assert.Matches(@"Interface\s+PFs\s+SwitchMode\s+FirmwareVariant", text);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(text, @"p1p1\s+0\s+p1p1,p1p3").Count); // deserialized too
    }

    [Fact]
    public void Get_SfcAdapter_joins_sfboot_sfupdate_and_ethtool()
    {
        using var d = new DoublesOnPath();
        using var engine = new PowerShellEngine();
        var r = engine.Run("Get-SfcAdapter");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Empty(r.Warnings);
        Assert.Equal(2, r.Output.Count);
        var a = r.Output[0];
        Assert.Equal("OnloadTools.SfcAdapter", a.TypeNames[0]);
        Assert.Equal("p1p1", Prop<string>(a, "InterfaceName"));
        Assert.Equal(1, Prop<int>(a, "PfCount"));
        Assert.Equal("default", Prop<string>(a, "SwitchMode"));
        Assert.Equal("auto", Prop<string>(a, "FirmwareVariant"));
        Assert.Equal(5, Prop<int>(a, "LinkUpDelaySeconds"));
        Assert.Equal("8.2.4", Prop<string>(a, "SfbootVersion"));
        Assert.Equal("8.0.1.1002", Prop<string>(a, "BundleVersion"));
        Assert.True(Prop<bool>(a, "UpdateAvailable"));
        Assert.Equal("sfc", Prop<string>(a, "Driver"));
        Assert.Equal("0000:3b:00.0", Prop<string>(a, "BusAddress"));
        Assert.Equal("0000:3b:00.1", Prop<string>(r.Output[1], "BusAddress"));
    }

    [Fact]
    public void Get_SfcAdapter_reads_the_v4_wording_too()
    {
        using var d = new DoublesOnPath();
        d.Set("ONLOADTOOLS_DOUBLE_SFUTILS_VERSION", "4.6.6");
        using var engine = new PowerShellEngine();
        var r = engine.Run("Get-SfcAdapter p1p2");
        var a = Assert.Single(r.Output);
        Assert.Equal(1, Prop<int>(a, "PfCount"));
        Assert.Equal(32, Prop<int>(a, "MsixLimit"));
        Assert.Equal("3.3.0.6275", Prop<string>(a, "ControllerVersion"));
        Assert.Equal("3.3.1.6312", Prop<string>(a, "BootRomVersion"));
        Assert.Equal(2, Prop<string[]>(a, "AvailableUpdates").Length);
    }

    [Fact]
    public void WhatIf_from_the_pipeline_prints_the_sfboot_command_and_changes_nothing()
    {
        using var d = new DoublesOnPath();
        using var engine = new CapturingEngine();
        var r = engine.Run("Get-SfcAdapter | Set-SfcPartitioning -PfCount 2 -WhatIf");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Empty(r.Output);
        string host = engine.HostOutput;
        Assert.Contains("sfboot --adapter=p1p1 pf-count=2 switch-mode=partitioning firmware-variant=full-feature", host);
        Assert.Contains("sfboot --adapter=p1p2 pf-count=2 switch-mode=partitioning firmware-variant=full-feature", host);
        Assert.Contains("pf-count: 1 -> 2", host);
        // The double's state: only queries ran, and the adapter still has one PF per port.
        Assert.DoesNotContain(Calls(d), c => c.Contains("pf-count=", StringComparison.Ordinal));
        var after = engine.Run("Get-SfcAdapter | ForEach-Object PfCount");
        Assert.Equal(new object[] { 1, 1 }, after.Output.Select(o => o.BaseObject));
    }

    [Fact]
    public void Set_SfcPartitioning_changes_the_boot_configuration_and_Get_SfcAdapter_shows_it()
    {
        using var d = new DoublesOnPath();
        using var engine = new PowerShellEngine();
        var r = engine.Run("Set-SfcPartitioning -InterfaceName p1p1 -PfCount 2 -SwitchMode Partitioning -FirmwareVariant FullFeature -Confirm:$false");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        var result = Assert.Single(r.Output);
        Assert.Equal("OnloadTools.SfcPartitioningResult", result.TypeNames[0]);
        Assert.True(Prop<bool>(result, "Changed"));
        Assert.True(Prop<bool>(result, "ColdRebootRequired"));
        Assert.Equal(1, Prop<int>(result, "PfCountBefore"));
        Assert.Equal(2, Prop<int>(result, "PfCountAfter"));
        Assert.Equal("default", Prop<string>(result, "SwitchModeBefore"));
        Assert.Equal("partitioning", Prop<string>(result, "SwitchModeAfter"));
        Assert.Equal(new[] { "pf-count: 1 -> 2", "switch-mode: default -> partitioning", "firmware-variant: auto -> full-feature" },
            Prop<string[]>(result, "Changes"));
        Assert.Equal("sfboot --adapter=p1p1 pf-count=2 switch-mode=partitioning firmware-variant=full-feature", Prop<string>(result, "CommandLine"));
        Assert.Contains(r.Warnings, w => w.Message.Contains("cold reboot", StringComparison.Ordinal));
        Assert.Contains("sfboot --adapter=p1p1 pf-count=2 switch-mode=partitioning firmware-variant=full-feature", Calls(d));

        var after = engine.Run("Get-SfcAdapter");
        Assert.Equal(2, Prop<int>(after.Output[0], "PfCount"));
        Assert.Equal("partitioning", Prop<string>(after.Output[0], "SwitchMode"));
        Assert.Equal("full-feature", Prop<string>(after.Output[0], "FirmwareVariant"));
        Assert.Equal(1, Prop<int>(after.Output[1], "PfCount"));               // per-port setting: p1p2 untouched
        Assert.Equal("full-feature", Prop<string>(after.Output[1], "FirmwareVariant")); // global setting: whole adapter

        // Asking again changes nothing and runs no configuring sfboot.
        int calls = Calls(d).Length;
        var again = engine.Run("Set-SfcPartitioning p1p1 -PfCount 2 -Confirm:$false");
        Assert.False(Prop<bool>(Assert.Single(again.Output), "Changed"));
        Assert.False(Prop<bool>(again.Output[0], "ColdRebootRequired"));
        Assert.DoesNotContain(Calls(d).Skip(calls), c => c.Contains("pf-count=", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_an_interface_the_guides_command_configures_every_adapter()
    {
        using var d = new DoublesOnPath();
        using var engine = new PowerShellEngine();
        var r = engine.Run("Set-SfcPartitioning -PfCount 2 -Confirm:$false");
        Assert.Empty(r.Errors);
        Assert.Equal(new[] { "p1p1", "p1p2" }, r.Output.Select(o => Prop<string>(o, "InterfaceName")));
        Assert.All(r.Output, o => Assert.Equal(2, Prop<int>(o, "PfCountAfter")));
        Assert.Contains("sfboot pf-count=2 switch-mode=partitioning firmware-variant=full-feature", Calls(d));
    }

    [Fact]
    public void Deserialized_adapters_pipe_into_Set_SfcPartitioning()
    {
        using var d = new DoublesOnPath();
        using var engine = new PowerShellEngine();
        var r = engine.Run(@"
            $bag = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize((Get-SfcAdapter p1p2)))
            $bag.PSObject.TypeNames[0]
            $bag | Set-SfcPartitioning -PfCount 2 -PfVlan 0,100 -Confirm:$false | ForEach-Object { $_.InterfaceName; $_.PfVlansAfter -join ',' }");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Equal(new[] { "Deserialized.OnloadTools.SfcAdapter", "p1p2", "0,100" }, r.Output.Select(o => o.BaseObject.ToString()));
    }

    [Theory]
    [InlineData("-PfCount 2 -FirmwareVariant UltraLowLatency", "full-feature")]
    [InlineData("-PfCount 2 -SwitchMode Default", "single physical function")]
    [InlineData("-PfCount 2 -PfVlan 0,100,200", "one tag per physical function")]
    public void Combinations_sfboot_would_reject_stop_before_the_adapter_is_touched(string args, string message)
    {
        using var d = new DoublesOnPath();
        using var engine = new PowerShellEngine();
        var r = engine.Run($"Get-SfcAdapter | Set-SfcPartitioning {args} -Confirm:$false");
        var e = r.SingleError; // statement-terminating: the script goes on, the pipeline stopped
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.StartsWith("SfbootConfigurationRejected", e.FullyQualifiedErrorId);
        Assert.Contains(message, e.Exception.Message);
        Assert.DoesNotContain(Calls(d), c => c.Contains("pf-count=", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_port_is_ObjectNotFound_with_sfboots_message()
    {
        using var d = new DoublesOnPath();
        using var engine = new PowerShellEngine();
        var r = engine.Run("Set-SfcPartitioning -InterfaceName p9p9 -PfCount 2 -Confirm:$false; Get-SfcAdapter p9p9");
        Assert.Equal(2, r.Errors.Count);
        Assert.All(r.Errors, e => Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category));
        Assert.All(r.Errors, e => Assert.Equal("p9p9", e.TargetObject));
        Assert.Contains("Adapter 'p9p9' not found", r.Errors[0].Exception.Message);
        Assert.Contains("exited with code 1", r.Errors[0].Exception.Message);
    }

    [Fact]
    public void Without_sfutils_the_cmdlets_say_NotInstalled()
    {
        using var d = new DoublesOnPath();
        d.Set("PATH", "/usr/bin:/bin"); // the doubles are not on PATH, and this machine has no sfutils
        using var engine = new PowerShellEngine();
        foreach (string script in new[] { "Get-SfcAdapter", "Set-SfcPartitioning -PfCount 2 -Confirm:$false", "Update-SfcFirmware -Confirm:$false" })
        {
            var r = engine.Run(script);
            var e = r.SingleError;
            Assert.Equal(ErrorCategory.NotInstalled, e.CategoryInfo.Category);
            Assert.Contains("sfutils", e.Exception.Message);
            Assert.Matches("^Sf(boot|update)NotInstalled", e.FullyQualifiedErrorId);
        }
    }

    [Fact]
    public void Update_SfcFirmware_writes_and_reports_versions_before_and_after()
    {
        using var d = new DoublesOnPath();
        using var engine = new PowerShellEngine();
        var whatIf = engine.Run("Update-SfcFirmware -WhatIf");
        Assert.Empty(whatIf.Output);
        Assert.DoesNotContain(Calls(d), c => c.Contains("--write", StringComparison.Ordinal));

        var r = engine.Run("Update-SfcFirmware -Confirm:$false");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Equal(2, r.Output.Count);
        var p1 = r.Output[0];
        Assert.Equal("OnloadTools.SfcFirmwareUpdate", p1.TypeNames[0]);
        Assert.True(Prop<bool>(p1, "Updated"));
        Assert.Equal("8.0.1.1002", Prop<string>(p1, "BundleVersionBefore"));
        Assert.Equal("8.5.2.1000", Prop<string>(p1, "BundleVersionAfter"));
        Assert.Equal(new[] { "Bundle firmware 8.0.1.1002 -> 8.5.2.1000" }, Prop<string[]>(p1, "Writes"));
        Assert.Equal("sfupdate --write --yes", Prop<string>(p1, "CommandLine"));
        Assert.True(Prop<bool>(r.Output[1], "Updated")); // the second port shares the adapter's flash
        Assert.NotEmpty(r.Progress);
        Assert.Contains(r.Progress, p => p.RecordType == System.Management.Automation.ProgressRecordType.Completed);

        var after = engine.Run("Get-SfcAdapter | ForEach-Object UpdateAvailable");
        Assert.Equal(new object[] { false, false }, after.Output.Select(o => o.BaseObject));
        var again = engine.Run("Update-SfcFirmware p1p1 -Confirm:$false");
        Assert.False(Prop<bool>(Assert.Single(again.Output), "Updated"));
    }

    [Fact]
    public void Update_SfcFirmware_of_one_v4_port_writes_controller_and_boot_rom()
    {
        using var d = new DoublesOnPath();
        d.Set("ONLOADTOOLS_DOUBLE_SFUTILS_VERSION", "4.6.6");
        using var engine = new PowerShellEngine();
        var r = engine.Run("Get-SfcAdapter p1p1 | Update-SfcFirmware -Confirm:$false");
        Assert.Empty(r.Errors);
        var u = Assert.Single(r.Output);
        Assert.Equal("3.3.0.6275", Prop<string>(u, "ControllerVersionBefore"));
        Assert.Equal("3.3.1.1003", Prop<string>(u, "ControllerVersionAfter"));
        Assert.Equal("4.4.0.1002", Prop<string>(u, "BootRomVersionAfter"));
        Assert.Equal(2, Prop<string[]>(u, "Writes").Length);
        Assert.Contains("sfupdate --adapter=p1p1 --write --yes", Calls(d));
    }

    [Fact]
    public void Get_OnloadInfo_on_a_ready_host_and_on_a_host_without_onload()
    {
        using var d = new DoublesOnPath();
        d.Set("ONLOADTOOLS_HOST_ROOT", FakeRoot);
        using (var engine = new PowerShellEngine())
        {
            var r = engine.Run("Get-OnloadInfo");
            Assert.Empty(r.Errors);
            var info = Assert.Single(r.Output);
            Assert.Equal("OnloadTools.OnloadInfo", info.TypeNames[0]);
            Assert.True(Prop<bool>(info, "Installed"));
            Assert.Equal("8.1.2.26", Prop<string>(info, "Version"));
            Assert.True(Prop<bool>(info, "Ready"));
        }

        d.Set("ONLOADTOOLS_HOST_ROOT", null);
        d.Set("PATH", "/usr/bin:/bin");
        using (var engine = new PowerShellEngine())
        {
            var r = engine.Run("$i = Get-OnloadInfo; $i.Installed; $i.Ready; $i.Problems.Count -gt 0");
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            Assert.Equal(new object[] { false, false, true }, r.Output.Select(o => o.BaseObject));
        }
    }
}
