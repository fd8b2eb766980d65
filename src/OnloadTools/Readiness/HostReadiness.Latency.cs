using System.Globalization;
using OnloadTools.Jitter;
using OnloadTools.Onload;
using OnloadTools.Processes;
using OnloadTools.Tuning;

namespace OnloadTools.Readiness;

/// <summary>
/// The host half of low latency: CPU isolation as tuned's cpu-partitioning or isolcpus= does it, the NIC's interrupts
/// and irqbalance kept off the isolated CPUs, idle states, the clock source, the NMI watchdog and timer migration, and
/// optionally a jitter measurement of the isolated CPUs (Measure-HostJitter).
/// </summary>
internal sealed partial class HostReadiness
{
    /// <summary>An idle state whose exit latency exceeds this (µs) is "deep": waking from it is visible as jitter.</summary>
    public const int DeepIdleLatency = 2;

    private CpuIsolation? _isolation;
    private CpuIsolation Isolation => _isolation ??= CpuIsolation.Read(_fs);

    private static string Cpus(IEnumerable<int> cpus) => CpuList.Format(cpus) is { Length: > 0 } s ? s : "none";

    private IReadOnlyList<OnloadHostCheck> CpuIsolationCheck()
    {
        const string name = "CpuIsolation";
        var iso = Isolation;
        if (iso.CpuPartitioningActive)
        {
            string expected = $"nohz_full, rcu_nocbs and tuned.non_isolcpus of cpu-partitioning's isolated_cores ({iso.IsolatedCoresText ?? "unset"})"
                + (iso.NoBalanceCores.Length > 0 ? $", isolcpus={CpuList.Format(iso.NoBalanceCores)} (no_balance_cores)" : "");
            string reboot = $"Reboot so the kernel runs with cpu-partitioning's arguments (tuned-adm profile {iso.ActiveProfile} re-applies them; check with Test-TunedProfile); nothing here reboots for you.";
            if (iso.IsolatedCoresText is null)
                return new[] { Check(name, "Cpu", HostCheckStatus.Fail, $"{CpuIsolation.VariablesPath} sets no isolated_cores", expected,
                    $"Set isolated_cores=<CPUs local to the NIC, not CPU 0> in {CpuIsolation.VariablesPath}, then tuned-adm profile cpu-partitioning and reboot.") };
            int[] want = iso.IsolatedCores.Length > 0 ? iso.IsolatedCores : iso.TunedIsolated ?? Array.Empty<int>();
            var problems = new List<string>();
            if (!iso.NohzFull.SequenceEqual(want)) problems.Add($"nohz_full={Cpus(iso.NohzFull)}");
            if (!iso.RcuNocbs.SequenceEqual(want)) problems.Add($"rcu_nocbs={Cpus(iso.RcuNocbs)}");
            if (iso.TunedIsolated is null) problems.Add("tuned.non_isolcpus absent");
            else if (!iso.TunedIsolated.SequenceEqual(want)) problems.Add($"tuned.non_isolcpus={iso.TunedNonIsolcpusMask} leaves {Cpus(iso.TunedIsolated)} isolated");
            if (iso.NoBalanceCores.Length > 0 && iso.NoBalanceCores.Except(iso.Isolcpus).Any()) problems.Add($"isolcpus={Cpus(iso.Isolcpus)}");
            string what = iso.IsolatedCores.Length > 0 ? Cpus(iso.IsolatedCores) : $"'{iso.IsolatedCoresText}' (evaluated by tuned at boot)";
            if (problems.Count == 0)
                return new[] { Check(name, "Cpu", HostCheckStatus.Pass, $"{iso.ActiveProfile}: isolated_cores {what}; nohz_full, rcu_nocbs and tuned.non_isolcpus agree", expected) };
            return new[] { Check(name, "Cpu", HostCheckStatus.Fail, $"{iso.ActiveProfile}: isolated_cores {what}, but the running kernel has " + string.Join(", ", problems), expected, reboot) };
        }
        if (iso.Isolated.Length == 0)
            return new[] { Check(name, "Cpu", HostCheckStatus.Fail, "no CPU is isolated (no isolcpus, nohz_full or tuned cpu-partitioning)",
                "latency-critical CPUs isolated from the scheduler and the tick",
                $"Set isolated_cores in {CpuIsolation.VariablesPath} and Invoke-TunedProfile -Name cpu-partitioning, or Set-KernelBootArgument -Add 'isolcpus=<CPUs>','nohz_full=<CPUs>','rcu_nocbs=<CPUs>' (then reboot)") };
        var parts = new List<string>();
        if (iso.Isolcpus.Length > 0) parts.Add($"isolcpus={Cpus(iso.Isolcpus)}");
        if (iso.NohzFull.Length > 0) parts.Add($"nohz_full={Cpus(iso.NohzFull)}");
        if (iso.RcuNocbs.Length > 0) parts.Add($"rcu_nocbs={Cpus(iso.RcuNocbs)}");
        if (iso.TunedIsolated is { Length: > 0 }) parts.Add($"tuned.non_isolcpus={iso.TunedNonIsolcpusMask}");
        if (parts.Count == 0) parts.Add($"/sys/devices/system/cpu/isolated={Cpus(iso.SysIsolated)}");
        // isolcpus= alone isolates from the scheduler (Red Hat's classic recipe); the tick and RCU callbacks still run there, which Found says.
        if (iso.NohzFull.Length == 0) parts.Add("no nohz_full (the tick still runs there)");
        return new[] { Check(name, "Cpu", HostCheckStatus.Pass, string.Join(", ", parts), "latency-critical CPUs isolated from the scheduler and the tick") };
    }

    /// <summary>The interrupts of <paramref name="nic"/>: its PCI device's MSI vectors, and the /proc/interrupts lines that name it.</summary>
    private SortedDictionary<int, string> NicIrqs(string nic)
    {
        var irqs = new SortedDictionary<int, string>();
        var topo = new NicTopology(_fs);
        string? dev = topo.DeviceDirectory(nic);
        string? own = _fs.LinkTargetName($"/sys/class/net/{nic}/device");
        string? pci = dev is null ? null : Path.GetFileName(dev.TrimEnd('/'));
        if (dev is not null && Directory.Exists(Path.Combine(dev, "msi_irqs")))
        {
            foreach (string f in Directory.EnumerateFileSystemEntries(Path.Combine(dev, "msi_irqs")))
                if (int.TryParse(Path.GetFileName(f), NumberStyles.None, CultureInfo.InvariantCulture, out int n)) irqs[n] = "";
        }
        foreach (string line in (_fs.ReadText("/proc/interrupts") ?? "").Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0 || !int.TryParse(line[..colon].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n)) continue;
            string[] words = line[(colon + 1)..].Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            string label = words.Length > 0 ? words[^1] : "";
            bool named = label == nic || label.StartsWith(nic + "-", StringComparison.Ordinal)
                         || (own is not null && label.StartsWith(own + "-", StringComparison.Ordinal))
                         || (pci is not null && line.Contains(pci, StringComparison.Ordinal));
            if (named || irqs.ContainsKey(n)) irqs[n] = label;
        }
        return irqs;
    }

    private IReadOnlyList<OnloadHostCheck> NicInterrupts()
    {
        var checks = new List<OnloadHostCheck>();
        int[] isolated = Isolation.Isolated;
        string? nic = PickInterface();
        if (nic is null)
        {
            checks.Add(Check("NicIrqAffinity", "Interrupts", HostCheckStatus.Warn, "no network adapter with a PCI device", "the NIC's IRQs off the isolated CPUs",
                "Give -InterfaceName of the Solarflare interface.", "There is no adapter whose interrupts could be checked."));
        }
        else if (isolated.Length == 0)
        {
            checks.Add(Check("NicIrqAffinity", "Interrupts", HostCheckStatus.Warn, "no CPU is isolated", "the NIC's IRQs off the isolated CPUs",
                "Isolate CPUs first (see CpuIsolation).", "With no isolated CPU there is nothing to keep interrupts off."));
        }
        else
        {
            var irqs = NicIrqs(nic);
            if (irqs.Count == 0)
            {
                checks.Add(Check("NicIrqAffinity", "Interrupts", HostCheckStatus.Warn, $"no interrupt of {nic} in /proc/interrupts or its msi_irqs", $"{nic}'s IRQs off CPUs {Cpus(isolated)}",
                    "Check on the host that owns the adapter.", $"{nic} shows no interrupts of its own here (a virtual or software interface)."));
            }
            else
            {
                var bad = new List<string>();
                foreach (var (irq, label) in irqs)
                {
                    int[] aff = CpuList.Parse(_fs.ReadText($"/proc/irq/{irq.ToString(CultureInfo.InvariantCulture)}/smp_affinity_list"));
                    if (aff.Length == 0) aff = CpuList.ParseMask(_fs.ReadText($"/proc/irq/{irq.ToString(CultureInfo.InvariantCulture)}/smp_affinity"));
                    var on = aff.Intersect(isolated).ToArray();
                    if (on.Length > 0) bad.Add($"IRQ {irq}{(label.Length > 0 ? $" ({label})" : "")} → {Cpus(aff)}");
                }
                string housekeeping = Cpus(Isolation.OnlineCpus.Except(isolated));
                string expected = $"{nic}'s {irqs.Count} IRQ(s) on housekeeping CPUs ({housekeeping}), none on {Cpus(isolated)}";
                checks.Add(bad.Count == 0
                    ? Check("NicIrqAffinity", "Interrupts", HostCheckStatus.Pass, $"{irqs.Count} IRQ(s) of {nic}, none on an isolated CPU", expected)
                    : Check("NicIrqAffinity", "Interrupts", HostCheckStatus.Fail, string.Join("; ", bad), expected,
                        $"for each IRQ: echo {housekeeping} > /proc/irq/<IRQ>/smp_affinity_list; and ban the isolated CPUs from irqbalance (tuned cpu-partitioning does both)"));
            }
        }
        if (isolated.Length > 0) checks.Add(IrqbalanceCheck(isolated));
        return checks;
    }

    public static readonly string[] IrqbalanceConfigs = { "/etc/sysconfig/irqbalance", "/etc/default/irqbalance" };

    private OnloadHostCheck IrqbalanceCheck(int[] isolated)
    {
        const string name = "IrqbalanceBannedCpus";
        string expected = $"irqbalance bans {Cpus(isolated)}";
        string? path = IrqbalanceConfigs.FirstOrDefault(_fs.FileExists);
        bool running = ProcessRunning("irqbalance");
        if (path is null && !running)
            return Check(name, "Interrupts", HostCheckStatus.Pass, "irqbalance is neither configured nor running (interrupts stay where they are set)", expected);
        var vars = TunedConfig.Parse("[x]\n" + (path is null ? "" : _fs.ReadText(path)))["x"];
        string? list = vars?.Get("IRQBALANCE_BANNED_CPULIST");
        string? mask = vars?.Get("IRQBALANCE_BANNED_CPUS");
        int[] banned = list is not null ? CpuList.Parse(list) : CpuList.ParseMask(mask);
        string found = path is null ? "irqbalance runs with no configuration file" : $"{path}: " + (list is not null ? $"IRQBALANCE_BANNED_CPULIST={list}" : mask is not null ? $"IRQBALANCE_BANNED_CPUS={mask} ({Cpus(banned)})" : "no banned CPUs");
        var missing = isolated.Except(banned).ToArray();
        return missing.Length == 0
            ? Check(name, "Interrupts", HostCheckStatus.Pass, found, expected)
            : Check(name, "Interrupts", HostCheckStatus.Fail, found + (running ? "" : " (irqbalance not running)"), expected,
                $"IRQBALANCE_BANNED_CPULIST={Cpus(isolated)} in {path ?? IrqbalanceConfigs[0]}, then systemctl restart irqbalance (tuned's cpu-partitioning sets it)");
    }

    /// <summary>Whether a process of that name runs (its /proc/PID/comm), read through the host root.</summary>
    private bool ProcessRunning(string comm)
    {
        foreach (string pid in _fs.List("/proc"))
        {
            if (pid.Length == 0 || !char.IsAsciiDigit(pid[0])) continue;
            if (_fs.ReadText($"/proc/{pid}/comm")?.Trim() == comm) return true;
        }
        return false;
    }

    private IReadOnlyList<OnloadHostCheck> Timers()
    {
        var checks = new List<OnloadHostCheck> { ClockSource() };
        checks.Add(Sysctl("NmiWatchdog", "nmi_watchdog", "/proc/sys/kernel/nmi_watchdog", absentPasses: true,
            "sysctl -w kernel.nmi_watchdog=0 (persist it in /etc/sysctl.d, or use a tuned profile that sets it: cpu-partitioning, realtime)"));
        checks.Add(Sysctl("TimerMigration", "timer_migration", "/proc/sys/kernel/timer_migration", absentPasses: false,
            "sysctl -w kernel.timer_migration=0 (persist it in /etc/sysctl.d, or use tuned's cpu-partitioning, which sets it)"));
        return checks;
    }

    private OnloadHostCheck Sysctl(string name, string key, string path, bool absentPasses, string fix)
    {
        string? v = _fs.ReadText(path)?.Trim();
        if (v is null)
            return absentPasses
                ? Check(name, "Timers", HostCheckStatus.Pass, $"{path} is absent (this kernel has no {key})", "0")
                : Check(name, "Timers", HostCheckStatus.Warn, $"{path} is absent", "0", fix, $"This kernel exposes no {key} setting.");
        return Check(name, "Timers", v == "0" ? HostCheckStatus.Pass : HostCheckStatus.Fail, $"kernel.{key} = {v}", "0", fix);
    }

    private OnloadHostCheck CStates()
    {
        const string name = "CStates";
        string expected = $"no idle state with exit latency above {DeepIdleLatency} µs on the isolated CPUs";
        var args = KernelCommandLine.Parse(Host.HostInfo.KernelCommandLine(_fs));
        var limits = args.Where(a => a.Name is "intel_idle.max_cstate" or "processor.max_cstate" or "idle").Select(a => a.Text).ToArray();
        bool limited = args.Any(a => a.Name == "idle" && a.Value == "poll")
                       || (args.Where(a => a.Name is "intel_idle.max_cstate" or "processor.max_cstate").Select(a => int.TryParse(a.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : int.MaxValue).ToArray() is { Length: > 0 } caps && caps.All(n => n <= 1));
        int[] cpus = Isolation.Isolated.Length > 0 ? Isolation.Isolated : Isolation.OnlineCpus;
        var deep = new SortedDictionary<string, SortedSet<int>>(StringComparer.Ordinal);
        bool anyIdle = false;
        foreach (int cpu in cpus)
        {
            string dir = $"/sys/devices/system/cpu/cpu{cpu.ToString(CultureInfo.InvariantCulture)}/cpuidle";
            foreach (string state in _fs.List(dir).Where(s => s.StartsWith("state", StringComparison.Ordinal)))
            {
                anyIdle = true;
                string sdir = $"{dir}/{state}";
                if (_fs.ReadText(sdir + "/disable")?.Trim() == "1") continue;
                if (!int.TryParse(_fs.ReadText(sdir + "/latency")?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int latency) || latency <= DeepIdleLatency) continue;
                string label = $"{_fs.ReadText(sdir + "/name")?.Trim() ?? state} ({latency} µs)";
                if (!deep.TryGetValue(label, out var set)) deep[label] = set = new SortedSet<int>();
                set.Add(cpu);
            }
        }
        string limitText = limits.Length > 0 ? string.Join(' ', limits) : "";
        if (!anyIdle)
        {
            if (limited) return Check(name, "Cpu", HostCheckStatus.Pass, $"{limitText}; no cpuidle states in sysfs", expected);
            string driver = _fs.ReadText("/sys/devices/system/cpu/cpuidle/current_driver")?.Trim() ?? "absent";
            return Check(name, "Cpu", HostCheckStatus.Warn, $"no cpuidle states in /sys/devices/system/cpu/cpu*/cpuidle (cpuidle driver: {driver})", expected,
                "Check on the physical host; there set intel_idle.max_cstate=1 processor.max_cstate=1 or use tuned's network-latency (force_latency).",
                "This kernel exposes no idle states (a virtual machine, or cpuidle disabled), so the C-states cannot be checked.");
        }
        if (deep.Count == 0)
            return Check(name, "Cpu", HostCheckStatus.Pass, (limitText.Length > 0 ? limitText + "; " : "") + $"no enabled idle state deeper than {DeepIdleLatency} µs", expected);
        string found = string.Join(", ", deep.Select(kv => $"{kv.Key} on {Cpus(kv.Value)}")) + " enabled";
        if (PmQosLatency() is int qos && qos <= DeepIdleLatency)
            return Check(name, "Cpu", HostCheckStatus.Pass, $"{found}, but /dev/cpu_dma_latency holds {qos} µs (tuned force_latency), so the idle governor does not enter them", expected);
        return Check(name, "Cpu", HostCheckStatus.Fail, found + (limitText.Length > 0 ? $" ({limitText})" : ""), expected,
            "Invoke-TunedProfile -Name network-latency (its force_latency holds /dev/cpu_dma_latency low), or Set-KernelBootArgument -Add 'intel_idle.max_cstate=1','processor.max_cstate=1' (then reboot)");
    }

    /// <summary>The PM QoS CPU latency limit (µs) that /dev/cpu_dma_latency reports (a 32-bit integer), or null.</summary>
    private int? PmQosLatency()
    {
        try
        {
            using var f = new FileStream(_fs.Map("/dev/cpu_dma_latency"), FileMode.Open, FileAccess.Read);
            var buf = new byte[4];
            int read = 0;
            while (read < 4)
            {
                int n = f.Read(buf, read, 4 - read);
                if (n == 0) break;
                read += n;
            }
            return read == 4 ? BitConverter.ToInt32(buf, 0) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException) { return null; }
    }

    /// <summary>Paravirtual clocks of virtual machines: tsc is the physical host's business.</summary>
    private static readonly string[] VirtualClocks = { "kvm-clock", "xen", "hyperv_clocksource_tsc_page", "hyperv_clocksource_msr", "vmware" };

    private OnloadHostCheck ClockSource()
    {
        const string name = "ClockSource";
        string? current = _fs.ReadText(JitterSession.ClockSourcePath)?.Trim();
        string available = _fs.ReadText("/sys/devices/system/clocksource/clocksource0/available_clocksource")?.Trim() ?? "";
        string fix = "Set-KernelBootArgument -Add 'clocksource=tsc','tsc=reliable' (then reboot)";
        if (current is null)
            return Check(name, "Timers", HostCheckStatus.Warn, $"{JitterSession.ClockSourcePath} is absent", "tsc", fix, "The kernel does not say which clock source it uses.");
        if (current == "tsc") return Check(name, "Timers", HostCheckStatus.Pass, "tsc", "tsc");
        string found = current + (available.Length > 0 ? $" (available: {available})" : "");
        if (VirtualClocks.Contains(current))
            return Check(name, "Timers", HostCheckStatus.Warn, found, "tsc", "Check on the physical host.",
                $"{current} is the paravirtual clock of a virtual machine; reading it costs more than the TSC, but the guest cannot change that: tsc matters on the physical host.");
        return Check(name, "Timers", HostCheckStatus.Fail, found, "tsc",
            available.Split(' ').Contains("tsc") ? $"echo tsc > /sys/devices/system/clocksource/clocksource0/current_clocksource; to keep it: {fix}"
                                                 : $"The kernel found the TSC unreliable (not among the available sources): {fix}, after checking the firmware's TSC settings.");
    }

    private async Task<IReadOnlyList<OnloadHostCheck>> OnloadInstalledAsync(CancellationToken ct)
    {
        string? path = _runner.Which(OnloadFacts.Tool);
        if (path is null)
            return new[] { Check("OnloadInstalled", "Onload", HostCheckStatus.Fail, "onload is not on PATH", "OpenOnload installed", ToolCatalog.InstallHint(OnloadFacts.Tool)) };
        string? version = await OnloadVersionQuery.HostVersionAsync(_runner, ct).ConfigureAwait(false);
        return new[] { version is null
            ? Check("OnloadInstalled", "Onload", HostCheckStatus.Fail, $"{path}, but 'onload --version' fails", "OpenOnload installed", ToolCatalog.InstallHint(OnloadFacts.Tool))
            : Check("OnloadInstalled", "Onload", HostCheckStatus.Pass, $"Onload {version} ({path})", "OpenOnload installed") };
    }

    private async Task<IReadOnlyList<OnloadHostCheck>> JitterAsync(CancellationToken ct)
    {
        const string name = "HostJitter";
        int seconds = _request.MeasureJitterSeconds!.Value;
        double threshold = _request.JitterThreshold;
        int[] cpus = Isolation.MeasurementCpus();
        string expected = $"oslat maximum below {threshold.ToString(CultureInfo.InvariantCulture)} µs on every measured CPU";
        string? reason = Isolation.Isolated.Length == 0 ? $"No CPU is isolated: CPUs {Cpus(cpus)} were measured instead, and share their time with everything else." : null;
        HostJitterRun run;
        try
        {
            run = await new JitterSession(_runner, _fs).RunAsync(new JitterRequest
            {
                Tool = RtTestsParser.Oslat, Cpus = cpus, DurationSeconds = seconds, ThresholdMicroseconds = threshold, Priority = 1,
            }, ct).ConfigureAwait(false);
        }
        catch (ToolNotFoundException e)
        {
            return new[] { Check(name, "Jitter", HostCheckStatus.Fail, "oslat is not installed", expected, ToolCatalog.InstallHint(e.Tool)) };
        }
        catch (JitterToolException e)
        {
            return new[] { Check(name, "Jitter", HostCheckStatus.Fail, e.Message, expected, "Run Test-OnloadHost as root (oslat needs SCHED_FIFO).") };
        }
        var worst = run.Results.OrderByDescending(r => r.MaximumMicroseconds).First();
        string found = string.Create(CultureInfo.InvariantCulture,
            $"oslat {seconds} s on CPU {run.Cpus}: max {worst.MaximumMicroseconds} µs (CPU {worst.Cpu})");
        bool passed = run.Verdict == HostJitterVerdict.Passed;
        var status = !passed ? HostCheckStatus.Fail : reason is not null ? HostCheckStatus.Warn : HostCheckStatus.Pass;
        return new[] { Check(name, "Jitter", status, found, expected,
            passed ? "Isolate CPUs and measure them." : "Fix the Fail and Warn checks above (interrupts, idle states, timers), then Measure-HostJitter -Duration 43200 for a valid result (cnf-tests want 12 hours).",
            reason) };
    }
}
