using OnloadTools.Host;
using OnloadTools.Onload;
using OnloadTools.Processes;
using OnloadTools.Readiness;
using OnloadTools.Tests.Infrastructure;
using OnloadTools.Tests.Tuning;

namespace OnloadTools.Tests.Readiness;

/// <summary>
/// Test-OnloadHost's host checklist against fake trees (tests/fixtures/hosts): cpu-partitioning-sfc is isolated by
/// tuned's cpu-partitioning with no isolcpus=; each test copies it and breaks one thing.
/// </summary>
public class HostChecklistTests
{
    private const string CpuPart = "cpu-partitioning-sfc";

    private static IReadOnlyList<OnloadHostCheck> Run(string root, ScriptedRunner? runner = null, string? iface = null)
    {
        var audit = new HostReadiness(runner ?? new ScriptedRunner(_ => (1, "", "")), new HostFileSystem(root),
            new HostReadinessRequest { Profile = "cpu-partitioning", InterfaceName = iface });
        return audit.Checks().SelectMany(c => c.Run(CancellationToken.None).GetAwaiter().GetResult()).ToArray();
    }

    private static OnloadHostCheck One(IEnumerable<OnloadHostCheck> checks, string name) => Assert.Single(checks, c => c.Name == name);

    private static string Copy() => FakeHost.Copy(CpuPart);

    private static void Write(string root, string path, string text)
    {
        string full = Path.Join(root, path.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private static void Edit(string root, string path, Func<string, string> change)
    {
        string full = Path.Join(root, path.TrimStart('/'));
        File.WriteAllText(full, change(File.ReadAllText(full)));
    }

    [Fact]
    public void A_cpu_partitioning_host_without_isolcpus_passes_every_isolation_check()
    {
        var checks = Run(FakeHost.Root(CpuPart));
        foreach (string name in new[] { "KernelArgument:isolcpus", "CpuIsolation", "IsolatedCpusNicLocal", "NicIrqAffinity", "IrqbalanceBannedCpus", "CStates", "ClockSource", "NmiWatchdog", "TimerMigration", "OnloadKernelModules" })
            Assert.True(One(checks, name).Status == HostCheckStatus.Pass, $"{name}: {One(checks, name).Status} {One(checks, name).Found}");
        Assert.Contains("cpu-partitioning", One(checks, "KernelArgument:isolcpus").Found);
        Assert.Contains("10-15,26-31", One(checks, "CpuIsolation").Found);
        Assert.Contains("4 IRQ(s) of p1p1", One(checks, "NicIrqAffinity").Found);
        Assert.Contains("/dev/cpu_dma_latency holds 1 µs", One(checks, "CStates").Found);
        Assert.Equal(new[] { 10, 11, 12, 13, 14, 15, 26, 27, 28, 29, 30, 31 }, CpuIsolation.Read(FakeHost.Fs(CpuPart)).MeasurementCpus());
    }

    [Fact]
    public void A_kernel_that_does_not_run_cpu_partitioning_arguments_fails_with_a_reboot()
    {
        string root = Copy();
        Edit(root, "/proc/cmdline", s => s.Replace("nohz_full=10-15,26-31", "nohz_full=10-15"));
        var c = One(Run(root), "CpuIsolation");
        Assert.Equal(HostCheckStatus.Fail, c.Status);
        Assert.Contains("nohz_full=10-15", c.Found);
        Assert.Contains("Reboot", c.Remediation);
    }

    [Fact]
    public void No_balance_cores_require_isolcpus_and_are_satisfied_by_it()
    {
        string root = Copy();
        Edit(root, CpuIsolation.VariablesPath, s => s + "no_balance_cores=12-13\n");
        var without = One(Run(root), "CpuIsolation");
        Assert.Equal(HostCheckStatus.Fail, without.Status);
        Assert.Contains("isolcpus=none", without.Found);
        Edit(root, "/proc/cmdline", s => s.Replace("nohz=on", "nohz=on isolcpus=12-13"));
        Assert.Equal(HostCheckStatus.Pass, One(Run(root), "CpuIsolation").Status);
    }

    [Fact]
    public void An_isolcpus_host_passes_isolation_and_says_the_tick_still_runs_without_nohz_full()
    {
        var checks = Run(FakeHost.Root(FakeHost.TwoSocket));
        var c = One(checks, "CpuIsolation");
        Assert.Equal(HostCheckStatus.Pass, c.Status);
        Assert.Contains("isolcpus=10-15,26-31", c.Found);
        Assert.Contains("no nohz_full", c.Found);
        Assert.Equal(HostCheckStatus.Pass, One(checks, "KernelArgument:isolcpus").Status);
    }

    [Fact]
    public void No_isolation_at_all_fails()
    {
        string root = Copy();
        Edit(root, "/proc/cmdline", s => string.Join(' ', s.Split(' ').Where(w => !w.StartsWith("nohz_full") && !w.StartsWith("rcu_nocbs") && !w.StartsWith("tuned."))));
        Write(root, "/etc/tuned/active_profile", "network-latency\n");
        var checks = Run(root);
        Assert.Equal(HostCheckStatus.Fail, One(checks, "CpuIsolation").Status);
        Assert.Equal(HostCheckStatus.Fail, One(checks, "KernelArgument:isolcpus").Status);
        Assert.Equal(HostCheckStatus.Warn, One(checks, "NicIrqAffinity").Status);
    }

    [Fact]
    public void A_nic_irq_on_an_isolated_cpu_fails_naming_it()
    {
        string root = Copy();
        Write(root, "/proc/irq/121/smp_affinity_list", "9-10\n");
        var c = One(Run(root), "NicIrqAffinity");
        Assert.Equal(HostCheckStatus.Fail, c.Status);
        Assert.Contains("IRQ 121 (p1p1-1) → 9,10", c.Found);
        Assert.Contains("/proc/irq/<IRQ>/smp_affinity_list", c.Remediation);
    }

    [Fact]
    public void Irqs_are_found_by_name_in_proc_interrupts_without_msi_irqs()
    {
        string root = Copy();
        Directory.Delete(Path.Join(root, "sys/devices/pci0000:80/0000:81:00.1/msi_irqs"), recursive: true);
        Write(root, "/proc/irq/125/smp_affinity_list", "0-31\n");
        var c = One(Run(root, iface: "p1p2"), "NicIrqAffinity");
        Assert.Equal(HostCheckStatus.Fail, c.Status);
        Assert.Contains("IRQ 125 (p1p2-1)", c.Found);
        Assert.DoesNotContain("IRQ 124", c.Found);
    }

    [Theory]
    [InlineData("IRQBALANCE_BANNED_CPUS=fc00fc00", HostCheckStatus.Pass)]
    [InlineData("IRQBALANCE_BANNED_CPULIST=10-15,26-31", HostCheckStatus.Pass)]
    [InlineData("IRQBALANCE_BANNED_CPUS=0000fc00", HostCheckStatus.Fail)]
    [InlineData("IRQBALANCE_ARGS=", HostCheckStatus.Fail)]
    public void Irqbalance_must_ban_the_isolated_cpus(string line, string status)
    {
        string root = Copy();
        Write(root, "/etc/sysconfig/irqbalance", line + "\n");
        var c = One(Run(root), "IrqbalanceBannedCpus");
        Assert.Equal(status, c.Status);
        if (status == HostCheckStatus.Fail) Assert.Contains("IRQBALANCE_BANNED_CPULIST=10-15,26-31", c.Remediation);
    }

    [Fact]
    public void Deep_idle_states_fail_without_a_pm_qos_limit_and_pass_once_disabled()
    {
        string root = Copy();
        File.Delete(Path.Join(root, "dev/cpu_dma_latency"));
        var c = One(Run(root), "CStates");
        Assert.Equal(HostCheckStatus.Fail, c.Status);
        Assert.Contains("C6 (133 µs) on 10-15,26-31", c.Found);
        Assert.Contains("intel_idle.max_cstate=1", c.Remediation);
        foreach (int cpu in new[] { 10, 11, 12, 13, 14, 15, 26, 27, 28, 29, 30, 31 })
            foreach (int s in new[] { 2, 3 })
                Write(root, $"/sys/devices/system/cpu/cpu{cpu}/cpuidle/state{s}/disable", "1\n");
        Assert.Equal(HostCheckStatus.Pass, One(Run(root), "CStates").Status);
        // A PM QoS limit above the deep states' latency does not keep them out.
        File.WriteAllBytes(Path.Join(root, "dev/cpu_dma_latency"), BitConverter.GetBytes(2000000000));
        Write(root, "/sys/devices/system/cpu/cpu10/cpuidle/state3/disable", "0\n");
        Assert.Equal(HostCheckStatus.Fail, One(Run(root), "CStates").Status);
    }

    [Fact]
    public void A_host_without_cpuidle_warns_for_c_states()
    {
        var c = One(Run(FakeHost.Root("sfc-dual-port")), "CStates");
        Assert.Equal(HostCheckStatus.Warn, c.Status);
        Assert.NotNull(c.Reason);
    }

    [Theory]
    [InlineData("tsc", HostCheckStatus.Pass)]
    [InlineData("kvm-clock", HostCheckStatus.Warn)]
    [InlineData("hpet", HostCheckStatus.Fail)]
    public void The_clock_source_should_be_tsc(string source, string status)
    {
        string root = Copy();
        Write(root, "/sys/devices/system/clocksource/clocksource0/current_clocksource", source + "\n");
        var c = One(Run(root), "ClockSource");
        Assert.Equal(status, c.Status);
        if (status == HostCheckStatus.Fail) Assert.Contains("clocksource=tsc", c.Remediation);
    }

    [Fact]
    public void Nmi_watchdog_and_timer_migration_must_be_off()
    {
        string root = Copy();
        Write(root, "/proc/sys/kernel/nmi_watchdog", "1\n");
        Write(root, "/proc/sys/kernel/timer_migration", "1\n");
        var checks = Run(root);
        Assert.Equal(HostCheckStatus.Fail, One(checks, "NmiWatchdog").Status);
        Assert.Contains("kernel.nmi_watchdog=0", One(checks, "NmiWatchdog").Remediation);
        Assert.Equal(HostCheckStatus.Fail, One(checks, "TimerMigration").Status);
        Assert.Contains("kernel.timer_migration=0", One(checks, "TimerMigration").Remediation);
    }

    [Fact]
    public void Without_proc_modules_the_module_check_warns_with_the_reason()
    {
        string root = Copy();
        File.Delete(Path.Join(root, "proc/modules"));
        var c = One(Run(root), "OnloadKernelModules");
        Assert.Equal(HostCheckStatus.Warn, c.Status);
        Assert.Contains("container", c.Reason);
        Assert.DoesNotContain("onload_tool reload", c.Remediation);
    }

    [Fact]
    public void Modules_shown_loaded_in_sys_module_count_alike_for_Test_OnloadHost_and_Get_OnloadInfo()
    {
        // No /proc/modules (a container with the host's /sys), but /sys/module shows Onload's modules loaded: one reader, one answer.
        string root = Copy();
        File.Delete(Path.Join(root, "proc/modules"));
        foreach (string m in OnloadFacts.KernelModules) Write(root, $"/sys/module/{m}/initstate", "live\n");
        Assert.Equal(HostCheckStatus.Pass, One(Run(root), "OnloadKernelModules").Status);
        var info = new OnloadHostInspector(new ScriptedRunner(_ => (1, "", "")), new HostFileSystem(root)).InspectAsync(default).GetAwaiter().GetResult();
        Assert.Equal(OnloadFacts.KernelModules, info.LoadedModules);
        Assert.Empty(info.MissingModules);

        // Neither source: both say the modules cannot be listed, with the same reason.
        string bare = Copy();
        File.Delete(Path.Join(bare, "proc/modules"));
        var check = One(Run(bare), "OnloadKernelModules");
        Assert.Equal(HostCheckStatus.Warn, check.Status);
        var bareInfo = new OnloadHostInspector(new ScriptedRunner(_ => (1, "", "")), new HostFileSystem(bare)).InspectAsync(default).GetAwaiter().GetResult();
        Assert.Equal(OnloadFacts.KernelModules, bareInfo.MissingModules);
        Assert.Contains(bareInfo.Problems, p => p.Contains(check.Reason!, StringComparison.Ordinal));
    }

    [Fact]
    public void A_check_that_cannot_run_fails_as_HostCheckFailed_naming_the_check_and_keeping_its_cause()
    {
        // netperf is on PATH, but asking its version times out: that check, and only it, cannot run.
        var runner = new ScriptedRunner(c => c.Tool == "netperf" ? throw new ToolTimeoutException(c.CommandLine, TimeSpan.FromSeconds(30)) : (1, "", ""),
            "netperf", "netserver");
        var audit = new HostReadiness(runner, new HostFileSystem(FakeHost.Root(CpuPart)), new HostReadinessRequest { Profile = "cpu-partitioning" });
        var netperf = Assert.Single(audit.Checks(), c => c.Name == "netperf");
        var e = Assert.Throws<HostCheckFailedException>(() => netperf.Run(CancellationToken.None).GetAwaiter().GetResult());
        Assert.Equal("netperf", e.Check);
        Assert.IsType<ToolTimeoutException>(e.Failure);
        Assert.Equal("netperf -V", Assert.Single(runner.Commands).CommandLine);
    }

    [Fact]
    public void Whether_onload_is_installed_is_a_check_of_its_own()
    {
        var absent = One(Run(FakeHost.Root(CpuPart)), "OnloadInstalled");
        Assert.Equal(HostCheckStatus.Fail, absent.Status);
        Assert.Contains("New-OnloadPackage", absent.Remediation);
        var runner = new ScriptedRunner(c => c.Tool == "onload" && c.Arguments.SequenceEqual(new[] { "--version" }) ? (0, "Onload 8.1.2.26\nCopyright ...\n", "") : (1, "", ""), "onload");
        var present = One(Run(FakeHost.Root(CpuPart), runner), "OnloadInstalled");
        Assert.Equal(HostCheckStatus.Pass, present.Status);
        Assert.Contains("8.1.2.26", present.Found);
    }
}
