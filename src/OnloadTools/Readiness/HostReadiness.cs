using OnloadTools.Containers;
using OnloadTools.Host;
using OnloadTools.Latency;
using OnloadTools.Onload;
using OnloadTools.Processes;
using OnloadTools.Tuning;

namespace OnloadTools.Readiness;

/// <summary>One check of the audit could not run; <see cref="Failure"/> says why. The others still run.</summary>
internal sealed class HostCheckFailedException(string check, Exception failure) : Exception(failure.Message, failure)
{
    /// <summary>The check's name as the progress shows it ("Tuned profile", "netperf").</summary>
    public string Check { get; } = check;
    public Exception Failure { get; } = failure;
}

/// <summary>What Test-OnloadHost checks against.</summary>
internal sealed class HostReadinessRequest
{
    /// <summary>The tuned profile the reference architecture runs, Test-OnloadHost -Profile's default.</summary>
    public const string DefaultProfile = "network-latency";

    public string Profile { get; init; } = DefaultProfile;
    public string? InterfaceName { get; init; }
    public IReadOnlyList<string> KernelArguments { get; init; } = new[] { "isolcpus", "nosoftlockup", "mce=ignore_ce" };
    public string? Image { get; init; }
    /// <summary>podman or docker; null picks podman, then docker.</summary>
    public string? Engine { get; init; }
    /// <summary>Seconds of oslat on the isolated CPUs (Measure-HostJitter) to add as a check; null measures nothing.</summary>
    public int? MeasureJitterSeconds { get; init; }
    public double JitterThreshold { get; init; } = 20;
}

/// <summary>
/// The readiness audit of a host for the low-latency Onload container workflow (Test-OnloadHost). It spans the
/// rooms, so it sits in none of them and asks each: tuned and the kernel (Tuning), Onload's modules, devices and
/// version (Onload), the adapters (Solarflare), the engine and the image's label (Containers). Each check says Pass,
/// Warn (it cannot tell: hardware missing, no cpufreq …) or Fail, with what it found, what it expected and the command
/// that fixes it.
/// </summary>
internal sealed partial class HostReadiness
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly IToolRunner _runner;
    private readonly HostFileSystem _fs;
    private readonly HostReadinessRequest _request;
    private readonly TunedService _tuned;
    private readonly string _host;
    private EffectiveProfile? _effective;

    public HostReadiness(IToolRunner runner, HostFileSystem fs, HostReadinessRequest request)
    {
        _runner = runner;
        _fs = fs;
        _request = request;
        _tuned = new TunedService(runner, fs);
        _host = HostInfo.HostName(fs);
    }

    /// <summary>The checks in the order they run, each producing one or more results.</summary>
    public IReadOnlyList<(string Name, Func<CancellationToken, Task<IReadOnlyList<OnloadHostCheck>>> Run)> Checks()
    {
        var list = new List<(string, Func<CancellationToken, Task<IReadOnlyList<OnloadHostCheck>>>)>
        {
            ("Tuned profile", TunedAsync),
            ("Tuned profile installed", ct => Task.FromResult(ProfileValues("Tuned"))),
            ("Kernel arguments", ct => Task.FromResult(KernelArguments())),
            // Grouped so that each category's checks come together (the view groups by category as they arrive).
            ("CPU isolation", ct => Task.FromResult(CpuIsolationCheck())),
            ("Isolated CPUs local to the NIC", ct => Task.FromResult(IsolatedCpusNicLocal())),
            ("Idle states", ct => Task.FromResult<IReadOnlyList<OnloadHostCheck>>(new[] { CStates() })),
            ("CPU governor", ct => Task.FromResult(ProfileValues("Cpu"))),
            ("NIC interrupts and irqbalance", ct => Task.FromResult(NicInterrupts())),
            ("Clock source and timers", ct => Task.FromResult(Timers())),
            ("Transparent huge pages", ct => Task.FromResult(ProfileValues("Memory"))),
            ("Onload installed", OnloadInstalledAsync),
            ("Onload kernel modules and devices", ct => Task.FromResult(Onload())),
            ("netperf", NetperfAsync),
            ("Container engine", EngineAsync),
        };
        if (_request.Image is not null) list.Add(("Onload version of the image", OnloadVersionAsync));
        if (_request.MeasureJitterSeconds is int s) list.Add(($"Measuring jitter with oslat for {s} s", JitterAsync));
        return list.Select(c => (c.Item1, Guarded(c.Item1, c.Item2))).ToList();
    }

    /// <summary>
    /// A check that cannot run (a tool missing, failing or timing out, the tuned daemon down, a file unreadable) fails
    /// as HostCheckFailedException naming the check, so the audit reports it and runs the others; Ctrl+C and a defect
    /// pass as they are.
    /// </summary>
    private static Func<CancellationToken, Task<IReadOnlyList<OnloadHostCheck>>> Guarded(string name, Func<CancellationToken, Task<IReadOnlyList<OnloadHostCheck>>> run) =>
        async ct =>
        {
            try
            {
                return await run(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ToolTimeoutException or ToolFailedException or ToolNotFoundException or TunedDaemonException
                                          or UnauthorizedAccessException or IOException)
            {
                throw new HostCheckFailedException(name, e);
            }
        };

    private OnloadHostCheck Check(string name, string category, string status, string found, string expected, string remediation = "", string? reason = null) => new()
    {
        Name = name, Category = category, Status = status, Found = found, Expected = expected,
        Remediation = status == HostCheckStatus.Pass ? "" : remediation, Reason = reason, HostName = _host,
    };

    private async Task<IReadOnlyList<OnloadHostCheck>> TunedAsync(CancellationToken ct)
    {
        string want = _request.Profile;
        string fix = $"Invoke-TunedProfile -Name {want}";
        _effective = _tuned.Catalog.Resolve(want);
        if (!_tuned.IsInstalled)
        {
            return new[]
            {
                Check("TunedProfileActive", "Tuned", HostCheckStatus.Fail, "tuned is not installed", want,
                    $"dnf install tuned; systemctl enable --now tuned; {fix}"),
            };
        }
        string? active;
        try
        {
            active = await _tuned.ActiveProfileAsync(ct).ConfigureAwait(false);
        }
        catch (TunedDaemonException e)
        {
            return new[]
            {
                Check("TunedProfileActive", "Tuned", HostCheckStatus.Fail, "the tuned daemon is not running: " + e.Result.CombinedOutput.Trim(), want,
                    $"systemctl enable --now tuned; {fix}"),
            };
        }
        var checks = new List<OnloadHostCheck>();
        var activeChain = active is null ? null : _tuned.Catalog.Resolve(active)?.Chain;
        if (active is null)
            checks.Add(Check("TunedProfileActive", "Tuned", HostCheckStatus.Fail, "no active profile (tuned is off)", want, fix));
        else if (active == want)
            checks.Add(Check("TunedProfileActive", "Tuned", HostCheckStatus.Pass, active, want));
        else if (activeChain is not null && activeChain.Contains(want))
            checks.Add(Check("TunedProfileActive", "Tuned", HostCheckStatus.Pass, $"{active} (includes {want})", want));
        else
            checks.Add(Check("TunedProfileActive", "Tuned", HostCheckStatus.Fail, active, want, fix));

        if (active is not null)
        {
            var v = await _tuned.VerifyAsync(ct).ConfigureAwait(false);
            if (v.Verified)
            {
                checks.Add(Check("TunedProfileVerified", "Tuned", HostCheckStatus.Pass, $"tuned-adm verify passed ({v.PassedCount} setting(s))", "tuned-adm verify passes"));
            }
            else
            {
                bool onlyCmdline = v.Differences.Length > 0 && v.Differences.All(d => d.Name.StartsWith("cmdline:", StringComparison.Ordinal));
                string found = v.Differences.Length > 0 ? string.Join("; ", v.Differences.Select(d => d.Message)) : v.Reason;
                checks.Add(Check("TunedProfileVerified", "Tuned", HostCheckStatus.Fail, found, "tuned-adm verify passes",
                    onlyCmdline ? $"Reboot so the kernel runs with the profile's arguments ({string.Join(' ', v.Differences.Select(d => d.Expected))}); nothing here reboots for you."
                                : $"{fix} (re-applies the profile); details in {TunedService.LogPath}"));
            }
        }
        return checks;
    }

    private IReadOnlyList<OnloadHostCheck> KernelArguments()
    {
        var running = KernelCommandLine.Parse(HostInfo.KernelCommandLine(_fs));
        var checks = new List<OnloadHostCheck>();
        foreach (string wanted in _request.KernelArguments)
        {
            var w = KernelCommandLine.Parse(wanted).FirstOrDefault();
            if (w is null) continue;
            var have = running.Where(a => a.Name == w.Name).ToArray();
            string found = have.Length == 0 ? "absent from /proc/cmdline" : string.Join(' ', have.Select(a => a.Text));
            bool ok = KernelCommandLine.Contains(running, wanted);
            if (!ok && w.Name == "isolcpus" && w.Value is null && Isolation.CpuPartitioningActive && Isolation.NohzFull.Length > 0)
            {
                // tuned's cpu-partitioning isolates with nohz_full, rcu_nocbs and tuned.non_isolcpus; isolcpus= only for no_balance_cores.
                checks.Add(Check($"KernelArgument:{w.Name}", "Kernel", HostCheckStatus.Pass,
                    $"absent; CPUs {CpuList.Format(Isolation.NohzFull)} isolated by tuned's cpu-partitioning (nohz_full, rcu_nocbs, tuned.non_isolcpus)", wanted));
                continue;
            }
            string add = w.Name == "isolcpus" && w.Value is null ? SuggestIsolcpus() : wanted;
            checks.Add(Check($"KernelArgument:{w.Name}", "Kernel", ok ? HostCheckStatus.Pass : HostCheckStatus.Fail, found, wanted,
                $"Set-KernelBootArgument -Add '{add}' (then reboot)"));
        }
        return checks;
    }

    private string SuggestIsolcpus()
    {
        try
        {
            var nic = PickInterface();
            var topo = new NicTopology(_fs);
            int[] local = nic is null ? topo.OnlineCpus() : topo.Describe(nic).LocalCpus;
            var cpus = local.Where(c => c != 0).ToArray();
            return cpus.Length > 0 ? "isolcpus=" + CpuList.Format(cpus) : "isolcpus=<NIC-local CPUs>";
        }
        catch (InterfaceNotFoundException) { return "isolcpus=<NIC-local CPUs>"; }
    }

    /// <summary>The interface to judge locality by: the one asked for, else the first sfc interface, else the first with a PCI device.</summary>
    private string? PickInterface()
    {
        if (_request.InterfaceName is not null) return _request.InterfaceName;
        var topo = new NicTopology(_fs);
        var names = topo.InterfaceNames();
        return names.FirstOrDefault(n => Solarflare.SfcInterfaceReader.IsSfcDriver(_fs.LinkTargetName($"/sys/class/net/{n}/device/driver")))
               ?? names.FirstOrDefault(n => topo.DeviceDirectory(n) is not null);
    }

    private IReadOnlyList<OnloadHostCheck> IsolatedCpusNicLocal()
    {
        const string name = "IsolatedCpusNicLocal";
        var topo = new NicTopology(_fs);
        string? nic = PickInterface();
        if (nic is null)
            return new[] { Check(name, "Cpu", HostCheckStatus.Warn, "no network adapter with a PCI device", "isolated CPUs on the adapter's NUMA node",
                "Give -InterfaceName of the Solarflare interface.", "Locality needs a physical adapter; this host shows none.") };
        NicCpuAffinity a;
        try { a = topo.Describe(nic); }
        catch (InterfaceNotFoundException e)
        {
            return new[] { Check(name, "Cpu", HostCheckStatus.Fail, e.Message, "an existing interface", "Get-ChildItem /sys/class/net") };
        }
        string expected = $"isolated CPUs within {nic}'s local CPUs ({a.LocalCpuList})";
        int[] isolated = Isolation.Isolated;
        if (isolated.Length == 0)
            return new[] { Check(name, "Cpu", HostCheckStatus.Fail, "no isolated CPUs", expected,
                $"Set-KernelBootArgument -Add 'isolcpus={CpuList.Format(a.LocalCpus.Where(c => c != 0))}' (then reboot)") };
        if (a.NumaNode is null)
            return new[] { Check(name, "Cpu", HostCheckStatus.Warn, $"isolated {CpuList.Format(isolated)}; {nic} reports no NUMA node", expected,
                "Check on the physical host with the Solarflare adapter.",
                $"{nic} ({a.Driver ?? "no driver"}) has no NUMA information (numa_node -1: a virtual machine or single-node platform), so locality cannot be judged.") };
        var remote = isolated.Except(a.LocalCpus).ToArray();
        if (remote.Length == 0)
            return new[] { Check(name, "Cpu", HostCheckStatus.Pass, $"isolated {CpuList.Format(isolated)} all on node {a.NumaNode}", expected) };
        return new[] { Check(name, "Cpu", HostCheckStatus.Fail, $"isolated {CpuList.Format(remote)} are not local to {nic} (node {a.NumaNode}: {a.LocalCpuList})", expected,
            $"Set-KernelBootArgument -Remove 'isolcpus' -Add 'isolcpus={CpuList.Format(a.LocalCpus.Where(c => c != 0))}' (then reboot)") };
    }

    /// <summary>The profile's values of one category (Tuned: whether it is installed at all; Cpu: the governor; Memory: THP).</summary>
    private IReadOnlyList<OnloadHostCheck> ProfileValues(string category) =>
        AllProfileValues().Where(c => c.Category == category).ToArray();

    private IReadOnlyList<OnloadHostCheck> AllProfileValues()
    {
        var checks = new List<OnloadHostCheck>();
        _effective ??= _tuned.Catalog.Resolve(_request.Profile);
        string fix = $"Invoke-TunedProfile -Name {_request.Profile}";
        if (_effective is null)
        {
            checks.Add(Check("TunedProfileInstalled", "Tuned", HostCheckStatus.Fail, $"profile '{_request.Profile}' is not installed", _request.Profile, "dnf install tuned"));
            return checks;
        }
        if (_effective.Plugin("cpu").LastOrDefault(s => s.Name == TunedSettingProbe.GovernorName) is { } gov)
        {
            string? live = TunedSettingProbe.ReadGovernor(_fs);
            if (live is null)
                checks.Add(Check("CpuGovernor", "Cpu", HostCheckStatus.Warn, "no cpufreq in /sys/devices/system/cpu/cpu*/cpufreq", gov.Value,
                    "Check on the physical host (cpufreq driver loaded).", "This host exposes no CPU frequency scaling (a virtual machine, or no cpufreq driver): the governor cannot be checked."));
            else
                checks.Add(Check("CpuGovernor", "Cpu", TunedSettingProbe.Satisfies(live, gov.Value) ? HostCheckStatus.Pass : HostCheckStatus.Fail, live, gov.Value, fix));
        }
        if (_effective.Plugin("vm").LastOrDefault(s => s.Name is "transparent_hugepages" or "transparent_hugepage") is { } thp)
        {
            string? live = _fs.ReadText(TunedSettingProbe.ThpPath) is { } t ? TunedSettingProbe.Bracketed(t) : null;
            if (live is null)
                checks.Add(Check("TransparentHugePages", "Memory", HostCheckStatus.Warn, $"{TunedSettingProbe.ThpPath} is absent", thp.Value, fix,
                    "The kernel exposes no transparent huge page setting."));
            else
                checks.Add(Check("TransparentHugePages", "Memory", live == thp.Value ? HostCheckStatus.Pass : HostCheckStatus.Fail, live, thp.Value, fix));
        }
        return checks;
    }

    private IReadOnlyList<OnloadHostCheck> Onload()
    {
        var checks = new List<OnloadHostCheck>();
        string reload = "onload_tool reload (installs the Onload drivers: dnf install onload-kmod, or New-OnloadPackage)";
        var loaded = OnloadHostInspector.LoadedModules(_fs);
        string expected = string.Join(", ", OnloadFacts.KernelModules) + " loaded";
        if (loaded is null)
        {
            // A container without the host's /proc, or a kernel built without modules: loading a driver here cannot work.
            checks.Add(Check("OnloadKernelModules", "Onload", HostCheckStatus.Warn, "/proc/modules is absent", expected,
                "Run Test-OnloadHost on the host itself, whose kernel loads Onload's drivers.",
                OnloadHostInspector.ModulesUnlistable));
        }
        else
        {
            var missing = OnloadFacts.KernelModules.Where(m => !loaded.Contains(m)).ToArray();
            checks.Add(Check("OnloadKernelModules", "Onload", missing.Length == 0 ? HostCheckStatus.Pass : HostCheckStatus.Fail,
                missing.Length == 0 ? expected : "not loaded: " + string.Join(", ", missing), expected, reload));
        }
        foreach (string dev in OnloadFacts.RequiredDevices)
        {
            bool present = _fs.Exists(dev);
            checks.Add(Check("Device:" + dev, "Onload", present ? HostCheckStatus.Pass : HostCheckStatus.Fail, present ? "present" : "absent", "present", reload));
        }
        var sfc = new Solarflare.SfcInterfaceReader(_fs).Names().Order(StringComparer.Ordinal).ToArray();
        checks.Add(sfc.Length > 0
            ? Check("SolarflareAdapter", "Onload", HostCheckStatus.Pass, "sfc interfaces: " + string.Join(", ", sfc), "an interface driven by sfc")
            : Check("SolarflareAdapter", "Onload", HostCheckStatus.Warn, "no interface is driven by sfc", "an interface driven by sfc",
                "Install the Solarflare adapter and its sfc driver.", "Onload acceleration needs a Solarflare/AMD adapter; this host has none, so the hardware cannot be checked."));
        return checks;
    }

    private async Task<IReadOnlyList<OnloadHostCheck>> NetperfAsync(CancellationToken ct)
    {
        var checks = new List<OnloadHostCheck>();
        foreach (string tool in new[] { "netperf", "netserver" })
        {
            string? path = _runner.Which(tool);
            if (path is null)
            {
                checks.Add(Check(tool, "Tools", HostCheckStatus.Fail, "not on PATH", "installed", ToolCatalog.InstallHint(tool)));
                continue;
            }
            string found = path;
            if (tool == "netperf")
            {
                var r = await _runner.RunAsync(NetperfVersion.Command, Timeout, ct).ConfigureAwait(false);
                string v = r.CombinedOutput.Trim();
                if (v.Length > 0 && v.Length < 200) found += $" ({v.Split('\n')[0].Trim()})";
            }
            checks.Add(Check(tool, "Tools", HostCheckStatus.Pass, found, "installed"));
        }
        return checks;
    }

    private async Task<IReadOnlyList<OnloadHostCheck>> EngineAsync(CancellationToken ct)
    {
        ContainerService service;
        try
        {
            service = new ContainerService(_runner, _fs, ContainerEngine.Resolve(_runner, _request.Engine));
        }
        catch (Exception e) when (e is ContainerEngineNotFoundException or ToolNotFoundException)
        {
            string? engine = (e as ToolNotFoundException)?.Tool;
            return new[] { Check("ContainerEngine", "Containers", HostCheckStatus.Fail, engine is null ? "neither podman nor docker is installed" : $"{engine} is not installed",
                "podman info succeeds", ToolCatalog.InstallHint(engine ?? ContainerEngine.Podman)) };
        }
        string name = service.Engine.Name;
        (ToolResult Info, string? Version) status;
        try { status = await service.StatusAsync(ct).ConfigureAwait(false); }
        catch (ToolTimeoutException e)
        {
            return new[] { Check("ContainerEngine", "Containers", HostCheckStatus.Fail, e.Message, $"{name} info succeeds", $"systemctl status {name}") };
        }
        if (!status.Info.Succeeded)
            return new[] { Check("ContainerEngine", "Containers", HostCheckStatus.Fail, status.Info.Describe(), $"{name} info succeeds",
                service.Engine.IsDocker ? "systemctl enable --now docker" : "Check the containers.conf and storage of podman (podman system reset only as a last resort).") };
        return new[] { Check("ContainerEngine", "Containers", HostCheckStatus.Pass, $"{name} {status.Version}".Trim() + " (info OK)", $"{name} info succeeds") };
    }

    private async Task<IReadOnlyList<OnloadHostCheck>> OnloadVersionAsync(CancellationToken ct)
    {
        string image = _request.Image!;
        string expected = $"the host's Onload version equals label {OnloadFacts.VersionLabel} of {image}";
        string? hostVersion = await OnloadVersionQuery.HostVersionAsync(_runner, ct).ConfigureAwait(false);
        if (hostVersion is null)
            return new[] { Check("OnloadVersion", "Containers", HostCheckStatus.Fail, "Onload is not installed on the host ('onload --version' failed or is absent)", expected,
                ToolCatalog.InstallHint(OnloadFacts.Tool)) };
        ContainerService service;
        try
        {
            service = new ContainerService(_runner, _fs, ContainerEngine.Resolve(_runner, _request.Engine));
        }
        catch (Exception e) when (e is ContainerEngineNotFoundException or ToolNotFoundException)
        {
            return new[] { Check("OnloadVersion", "Containers", HostCheckStatus.Fail, $"host {hostVersion}; no container engine to inspect {image}", expected,
                ToolCatalog.InstallHint((e as ToolNotFoundException)?.Tool ?? ContainerEngine.Podman)) };
        }
        ImageInspect inspect;
        try
        {
            inspect = await service.InspectImageAsync(image, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ContainerObjectNotFoundException or ContainerEngineUnavailableException or ToolFailedException)
        {
            return new[] { Check("OnloadVersion", "Containers", HostCheckStatus.Fail, $"host {hostVersion}; {e.Message}", expected,
                $"Build the image first (New-OnloadImage) or name an existing one ({service.Engine.Name} images).") };
        }
        var onload = OnloadVersionCheck.Of(image, inspect.Labels, hostVersion);
        if (onload.ImageVersion is null)
            return new[] { Check("OnloadVersion", "Containers", HostCheckStatus.Fail, $"host {hostVersion}; {image} has no {OnloadFacts.VersionLabel} label", expected,
                $"Rebuild the image with New-OnloadImage (it sets {OnloadFacts.VersionLabel}).") };
        return new[] { Check("OnloadVersion", "Containers", onload.Matches == true ? HostCheckStatus.Pass : HostCheckStatus.Fail, $"host {hostVersion}, image {onload.ImageVersion}", expected,
            $"Rebuild {image} with Onload {hostVersion}, or install Onload {onload.ImageVersion} on the host.") };
    }
}
