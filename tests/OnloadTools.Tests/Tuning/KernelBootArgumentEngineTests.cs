using System.Management.Automation;

namespace OnloadTools.Tests.Tuning;

/// <summary>Get/Set-KernelBootArgument against the grubby double (RHEL 7 and RHEL 9 output forms).</summary>
[Collection("Environment")]
public sealed class KernelBootArgumentEngineTests
{
    private static string[] DoubleArgs(string state) =>
        File.ReadAllLines(Path.Combine(state, "grubby", "entries", "0")).Single(l => l.StartsWith("args=")).Substring(5).Split(' ');

    [Theory]
    [InlineData("rhel9")]
    [InlineData("rhel7")]
    public void Add_then_remove_shows_pending_changes_and_never_reboots(string style)
    {
        using var doubles = new DoublesOnPath();
        doubles.Set("ONLOADTOOLS_DOUBLE_GRUBBY_STYLE", style);
        using var engine = new PowerShellEngine();
        var r = engine.Run("Set-KernelBootArgument -Add 'isolcpus=1,3,5','nosoftlockup','mce=ignore_ce' -Confirm:$false");
        Assert.Null(r.Terminating);
        var change = Assert.Single(r.Output);
        Assert.True((bool)change.Properties["RebootRequired"].Value);
        Assert.Equal("grubby --update-kernel=ALL '--args=isolcpus=1,3,5 nosoftlockup mce=ignore_ce'", change.Properties["CommandLine"].Value);
        Assert.Contains("isolcpus=1,3,5", DoubleArgs(doubles.StateDirectory));
        Assert.Contains("mce=ignore_ce", (string)change.Properties["NextBootArguments"].Value);
        Assert.Contains(r.Warnings, w => w.Message.Contains("next reboot"));

        var get = engine.Run("Get-KernelBootArgument -Pending | Where-Object Name -eq 'isolcpus'");
        var iso = Assert.Single(get.Output);
        Assert.False((bool)iso.Properties["Running"].Value);
        Assert.True((bool)iso.Properties["NextBoot"].Value!);
        Assert.Equal("Added", iso.Properties["Pending"].Value);
        Assert.Equal(new[] { 1, 3, 5 }, (int[])iso.Properties["Cpus"].Value);

        var remove = engine.Run("Set-KernelBootArgument -Remove nosoftlockup -Add 'isolcpus=2,4' -Confirm:$false");
        Assert.Null(remove.Terminating);
        var args = DoubleArgs(doubles.StateDirectory);
        Assert.DoesNotContain("nosoftlockup", args);
        Assert.Contains("isolcpus=2,4", args);
        Assert.DoesNotContain("isolcpus=1,3,5", args);
    }

    [Fact]
    public void Running_arguments_come_from_proc_cmdline_with_isolcpus_flags()
    {
        using var doubles = new DoublesOnPath();
        doubles.Set("ONLOADTOOLS_HOST_ROOT", FakeHost.Root(FakeHost.TwoSocket));
        doubles.Set("ONLOADTOOLS_DOUBLE_GRUBBY_ARGS", "ro crashkernel=auto rd.lvm.lv=rhel/root rhgb quiet isolcpus=managed_irq,domain,10-15,26-31 nosoftlockup mce=ignore_ce skew_tick=1");
        using var engine = new PowerShellEngine();
        var r = engine.Run("Get-KernelBootArgument");
        Assert.Empty(r.Errors);
        var iso = r.Output.Single(o => (string)o.Properties["Name"].Value == "isolcpus");
        Assert.Equal(new[] { "managed_irq", "domain" }, (string[])iso.Properties["Flags"].Value);
        Assert.Equal(12, ((int[])iso.Properties["Cpus"].Value).Length);
        Assert.Equal("", iso.Properties["Pending"].Value);
        // root= is on its own line in grubby's output; BOOT_IMAGE is the boot loader's: neither is a pending change.
        Assert.Empty(engine.Run("Get-KernelBootArgument -Pending").Output);
        Assert.Null(r.Output.Single(o => (string)o.Properties["Name"].Value == "BOOT_IMAGE").Properties["NextBoot"].Value);
    }

    [Fact]
    public void WhatIf_prints_the_grubby_command_and_changes_nothing()
    {
        using var doubles = new DoublesOnPath();
        using var engine = new PowerShellEngine();
        var before = engine.Run("Get-KernelBootArgument -Pending").Output.Count;
        var r = engine.Run("Set-KernelBootArgument -Add 'isolcpus=1,3,5','nosoftlockup' -WhatIf -Verbose");
        Assert.Empty(r.Output);
        Assert.Contains(r.Verbose, v => v.Message.Contains("grubby --update-kernel=ALL '--args=isolcpus=1,3,5 nosoftlockup'"));
        Assert.DoesNotContain("nosoftlockup", DoubleArgs(doubles.StateDirectory));
        Assert.Equal(before, engine.Run("Get-KernelBootArgument -Pending").Output.Count);
    }

    [Fact]
    public void Errors_have_stable_ids_and_categories()
    {
        using var doubles = new DoublesOnPath();
        using var engine = new PowerShellEngine();
        var bad = engine.Run("Set-KernelBootArgument -Add 'isolcpus=1 nosoftlockup' -Confirm:$false");
        Assert.Equal("InvalidKernelArgument", bad.SingleError.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.InvalidArgument, bad.SingleError.CategoryInfo.Category);

        doubles.Set("ONLOADTOOLS_DOUBLE_GRUBBY_READONLY", "1");
        var denied = engine.Run("Set-KernelBootArgument -Add nosoftlockup -Confirm:$false");
        Assert.Equal("GrubbyPermissionDenied", denied.SingleError.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.PermissionDenied, denied.SingleError.CategoryInfo.Category);
        Assert.Contains("Permission denied", denied.SingleError.Exception.Message);
        Assert.Contains("exited with code 1", denied.SingleError.Exception.Message);
    }

    [Fact]
    public void Without_grubby_Get_shows_the_running_kernel_and_Set_is_NotInstalled()
    {
        if (File.Exists("/usr/bin/grubby") || File.Exists("/bin/grubby") || File.Exists("/usr/sbin/grubby")) return; // grubby exists only on RHEL
        string? path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"); // without the doubles
        try
        {
        using var engine = new PowerShellEngine();
        var get = engine.Run("Get-KernelBootArgument");
        Assert.Empty(get.Errors);
        Assert.NotEmpty(get.Output);
        Assert.All(get.Output, o => Assert.Null(o.Properties["NextBoot"].Value));
        var set = engine.Run("Set-KernelBootArgument -Add nosoftlockup -Confirm:$false");
        Assert.Equal("GrubbyNotInstalled", set.SingleError.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.NotInstalled, set.SingleError.CategoryInfo.Category);
        }
        finally { Environment.SetEnvironmentVariable("PATH", path); }
    }
}
