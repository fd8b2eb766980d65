using System.Text.Json;
using OnloadTools.Containers;
using OnloadTools.Host;
using OnloadTools.Processes;
using OnloadTools.Solarflare;

namespace OnloadTools.Tuning;

/// <summary>What Test-OnloadHost checks against.</summary>
internal sealed class HostReadinessRequest
{
    public string Profile { get; init; } = "network-latency";
    public string? InterfaceName { get; init; }
    public IReadOnlyList<string> KernelArguments { get; init; } = new[] { "isolcpus", "nosoftlockup", "mce=ignore_ce" };
    public string? Image { get; init; }
    /// <summary>podman or docker; null picks podman, then docker.</summary>
    public string? Engine { get; init; }
}

/// <summary>
/// The readiness audit of a host for the low-latency Onload container workflow. Each check reads the host
/// (files through HostFileSystem, tools through IToolRunner) and says Pass, Warn (it cannot tell: hardware
/// missing, no cpufreq …) or Fail, with what it found, what it expected and the command that fixes it.
/// </summary>
internal sealed class HostReadiness
{
    public const string OnloadVersionLabel = "org.openonload.version";
    public static readonly string[] OnloadModules = { "onload", "sfc_char", "sfc_resource" };
    public static readonly string[] OnloadDevices = { "/dev/onload", "/dev/onload_epoll" };
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
            ("Kernel arguments", ct => Task.FromResult(KernelArguments())),
            ("Isolated CPUs local to the NIC", ct => Task.FromResult(IsolatedCpusNicLocal())),
            ("CPU governor and transparent huge pages", ct => Task.FromResult(ProfileValues())),
            ("Onload kernel modules and devices", ct => Task.FromResult(Onload())),
            ("netperf", NetperfAsync),
            ("Container engine", EngineAsync),
        };
        if (_request.Image is not null) list.Add(("Onload version of the image", OnloadVersionAsync));
        return list;
    }

    private OnloadHostCheck Check(string name, string category, string status, string found, string expected, string remediation = "", string? reason = null) => new()
    {
        Name = name, Category = category, Status = status, Found = found, Expected = expected,
        Remediation = status == "Pass" ? "" : remediation, Reason = reason, HostName = _host,
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
                Check("TunedProfileActive", "Tuned", "Fail", "tuned is not installed", want,
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
                Check("TunedProfileActive", "Tuned", "Fail", "the tuned daemon is not running: " + e.Result.CombinedOutput.Trim(), want,
                    $"systemctl enable --now tuned; {fix}"),
            };
        }
        var checks = new List<OnloadHostCheck>();
        var activeChain = active is null ? null : _tuned.Catalog.Resolve(active)?.Chain;
        if (active is null)
            checks.Add(Check("TunedProfileActive", "Tuned", "Fail", "no active profile (tuned is off)", want, fix));
        else if (active == want)
            checks.Add(Check("TunedProfileActive", "Tuned", "Pass", active, want));
        else if (activeChain is not null && activeChain.Contains(want))
            checks.Add(Check("TunedProfileActive", "Tuned", "Pass", $"{active} (includes {want})", want));
        else
            checks.Add(Check("TunedProfileActive", "Tuned", "Fail", active, want, fix));

        if (active is not null)
        {
            var v = await _tuned.VerifyAsync(ct).ConfigureAwait(false);
            if (v.Verified)
            {
                checks.Add(Check("TunedProfileVerified", "Tuned", "Pass", $"tuned-adm verify passed ({v.PassedCount} setting(s))", "tuned-adm verify passes"));
            }
            else
            {
                bool onlyCmdline = v.Differences.Length > 0 && v.Differences.All(d => d.Name.StartsWith("cmdline:", StringComparison.Ordinal));
                string found = v.Differences.Length > 0 ? string.Join("; ", v.Differences.Select(d => d.Message)) : v.Reason;
                checks.Add(Check("TunedProfileVerified", "Tuned", "Fail", found, "tuned-adm verify passes",
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
            string add = w.Name == "isolcpus" && w.Value is null ? SuggestIsolcpus() : wanted;
            checks.Add(Check($"KernelArgument:{w.Name}", "Kernel", ok ? "Pass" : "Fail", found, wanted,
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
        return names.FirstOrDefault(n => _fs.LinkTargetName($"/sys/class/net/{n}/device/driver") == "sfc")
               ?? names.FirstOrDefault(n => topo.DeviceDirectory(n) is not null);
    }

    private IReadOnlyList<OnloadHostCheck> IsolatedCpusNicLocal()
    {
        const string name = "IsolatedCpusNicLocal";
        var topo = new NicTopology(_fs);
        string? nic = PickInterface();
        if (nic is null)
            return new[] { Check(name, "Cpu", "Warn", "no network adapter with a PCI device", "isolated CPUs on the adapter's NUMA node",
                "Give -InterfaceName of the Solarflare interface.", "Locality needs a physical adapter; this host shows none.") };
        NicCpuAffinity a;
        try { a = topo.Describe(nic); }
        catch (InterfaceNotFoundException e)
        {
            return new[] { Check(name, "Cpu", "Fail", e.Message, "an existing interface", "Get-ChildItem /sys/class/net") };
        }
        string expected = $"isolated CPUs within {nic}'s local CPUs ({a.LocalCpuList})";
        if (a.IsolatedCpus.Length == 0)
            return new[] { Check(name, "Cpu", "Fail", "no isolated CPUs", expected,
                $"Set-KernelBootArgument -Add 'isolcpus={CpuList.Format(a.LocalCpus.Where(c => c != 0))}' (then reboot)") };
        if (a.NumaNode is null)
            return new[] { Check(name, "Cpu", "Warn", $"isolated {CpuList.Format(a.IsolatedCpus)}; {nic} reports no NUMA node", expected,
                "Check on the physical host with the Solarflare adapter.",
                $"{nic} ({a.Driver ?? "no driver"}) has no NUMA information (numa_node -1: a virtual machine or single-node platform), so locality cannot be judged.") };
        var remote = a.IsolatedCpus.Except(a.LocalCpus).ToArray();
        if (remote.Length == 0)
            return new[] { Check(name, "Cpu", "Pass", $"isolated {CpuList.Format(a.IsolatedCpus)} all on node {a.NumaNode}", expected) };
        return new[] { Check(name, "Cpu", "Fail", $"isolated {CpuList.Format(remote)} are not local to {nic} (node {a.NumaNode}: {a.LocalCpuList})", expected,
            $"Set-KernelBootArgument -Remove 'isolcpus' -Add 'isolcpus={CpuList.Format(a.LocalCpus.Where(c => c != 0))}' (then reboot)") };
    }

    private IReadOnlyList<OnloadHostCheck> ProfileValues()
    {
        var checks = new List<OnloadHostCheck>();
        _effective ??= _tuned.Catalog.Resolve(_request.Profile);
        string fix = $"Invoke-TunedProfile -Name {_request.Profile}";
        if (_effective is null)
        {
            checks.Add(Check("TunedProfileInstalled", "Tuned", "Fail", $"profile '{_request.Profile}' is not installed", _request.Profile, "dnf install tuned"));
            return checks;
        }
        if (_effective.Plugin("cpu").LastOrDefault(s => s.Name == TunedSettingProbe.GovernorName) is { } gov)
        {
            string? live = TunedSettingProbe.ReadGovernor(_fs);
            if (live is null)
                checks.Add(Check("CpuGovernor", "Cpu", "Warn", "no cpufreq in /sys/devices/system/cpu/cpu*/cpufreq", gov.Value,
                    "Check on the physical host (cpufreq driver loaded).", "This host exposes no CPU frequency scaling (a virtual machine, or no cpufreq driver): the governor cannot be checked."));
            else
                checks.Add(Check("CpuGovernor", "Cpu", TunedSettingProbe.Satisfies(live, gov.Value) ? "Pass" : "Fail", live, gov.Value, fix));
        }
        if (_effective.Plugin("vm").LastOrDefault(s => s.Name is "transparent_hugepages" or "transparent_hugepage") is { } thp)
        {
            string? live = _fs.ReadText(TunedSettingProbe.ThpPath) is { } t ? TunedSettingProbe.Bracketed(t) : null;
            if (live is null)
                checks.Add(Check("TransparentHugePages", "Memory", "Warn", $"{TunedSettingProbe.ThpPath} is absent", thp.Value, fix,
                    "The kernel exposes no transparent huge page setting."));
            else
                checks.Add(Check("TransparentHugePages", "Memory", live == thp.Value ? "Pass" : "Fail", live, thp.Value, fix));
        }
        return checks;
    }

    private IReadOnlyList<OnloadHostCheck> Onload()
    {
        var checks = new List<OnloadHostCheck>();
        string reload = "onload_tool reload (installs the Onload drivers: dnf install onload-kmod, or New-OnloadPackage)";
        string? modules = _fs.ReadText("/proc/modules");
        string expected = string.Join(", ", OnloadModules) + " loaded";
        if (modules is null)
        {
            checks.Add(Check("OnloadKernelModules", "Onload", "Fail", "/proc/modules is absent: this kernel cannot load modules", expected, reload));
        }
        else
        {
            var loaded = modules.Split('\n').Select(l => l.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
            var missing = OnloadModules.Where(m => !loaded.Contains(m)).ToArray();
            checks.Add(Check("OnloadKernelModules", "Onload", missing.Length == 0 ? "Pass" : "Fail",
                missing.Length == 0 ? string.Join(", ", OnloadModules) + " loaded" : "not loaded: " + string.Join(", ", missing), expected, reload));
        }
        foreach (string dev in OnloadDevices)
        {
            bool present = _fs.Exists(dev);
            checks.Add(Check("Device:" + dev, "Onload", present ? "Pass" : "Fail", present ? "present" : "absent", "present", reload));
        }
        var sfc = new NicTopology(_fs).InterfaceNames().Where(n => _fs.LinkTargetName($"/sys/class/net/{n}/device/driver") == "sfc").ToArray();
        checks.Add(sfc.Length > 0
            ? Check("SolarflareAdapter", "Onload", "Pass", "sfc interfaces: " + string.Join(", ", sfc), "an interface driven by sfc")
            : Check("SolarflareAdapter", "Onload", "Warn", "no interface is driven by sfc", "an interface driven by sfc",
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
                checks.Add(Check(tool, "Tools", "Fail", "not on PATH", "installed", ToolCatalog.InstallHint(tool)));
                continue;
            }
            string found = path;
            if (tool == "netperf")
            {
                var r = await _runner.RunAsync(new ToolCommand(tool, "-V"), Timeout, ct).ConfigureAwait(false);
                string v = r.CombinedOutput.Trim();
                if (v.Length > 0 && v.Length < 200) found += $" ({v.Split('\n')[0].Trim()})";
            }
            checks.Add(Check(tool, "Tools", "Pass", found, "installed"));
        }
        return checks;
    }

    private string? EngineTool() => ContainerEngine.Choose(_runner, _request.Engine);

    private async Task<IReadOnlyList<OnloadHostCheck>> EngineAsync(CancellationToken ct)
    {
        string? engine = EngineTool();
        if (engine is null || _runner.Which(engine) is null)
            return new[] { Check("ContainerEngine", "Containers", "Fail", engine is null ? "neither podman nor docker is installed" : $"{engine} is not installed",
                "podman info succeeds", ToolCatalog.InstallHint(engine ?? "podman")) };
        var command = new ToolCommand(engine, "info");
        ToolResult r;
        try { r = await _runner.RunAsync(command, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false); }
        catch (ToolTimeoutException e)
        {
            return new[] { Check("ContainerEngine", "Containers", "Fail", e.Message, $"{engine} info succeeds", $"systemctl status {engine}") };
        }
        if (!r.Succeeded)
            return new[] { Check("ContainerEngine", "Containers", "Fail", r.Describe(), $"{engine} info succeeds",
                engine == "docker" ? "systemctl enable --now docker" : "Check the containers.conf and storage of podman (podman system reset only as a last resort).") };
        var v = await _runner.RunAsync(new ToolCommand(engine, "version", "--format", "{{.Client.Version}}"), Timeout, ct).ConfigureAwait(false);
        string version = v.Succeeded ? v.StandardOutput.Trim() : "";
        return new[] { Check("ContainerEngine", "Containers", "Pass", $"{engine} {version}".Trim() + " (info OK)", $"{engine} info succeeds") };
    }

    private async Task<IReadOnlyList<OnloadHostCheck>> OnloadVersionAsync(CancellationToken ct)
    {
        string image = _request.Image!;
        string expected = $"the host's Onload version equals label {OnloadVersionLabel} of {image}";
        string? hostVersion = null;
        if (_runner.Which("onload") is not null)
        {
            var r = await _runner.RunAsync(new ToolCommand("onload", "--version"), Timeout, ct).ConfigureAwait(false);
            hostVersion = r.Succeeded ? OnloadVersionParser.Parse(r.StandardOutput) : null;
        }
        if (hostVersion is null)
            return new[] { Check("OnloadVersion", "Containers", "Fail", "Onload is not installed on the host ('onload --version' failed or is absent)", expected,
                ToolCatalog.InstallHint("onload")) };
        string? engine = EngineTool();
        if (engine is null)
            return new[] { Check("OnloadVersion", "Containers", "Fail", $"host {hostVersion}; no container engine to inspect {image}", expected, ToolCatalog.InstallHint("podman")) };
        ToolResult inspect = await _runner.RunAsync(new ToolCommand(engine, "image", "inspect", image), Timeout, ct).ConfigureAwait(false);
        if (!inspect.Succeeded)
            return new[] { Check("OnloadVersion", "Containers", "Fail", $"host {hostVersion}; {inspect.Describe()}", expected, $"Build the image first (New-OnloadImage) or name an existing one ({engine} images).") };
        string? label = ReadLabel(inspect.StandardOutput, OnloadVersionLabel);
        if (label is null)
            return new[] { Check("OnloadVersion", "Containers", "Fail", $"host {hostVersion}; {image} has no {OnloadVersionLabel} label", expected,
                $"Rebuild the image with New-OnloadImage (it sets {OnloadVersionLabel}).") };
        return new[] { Check("OnloadVersion", "Containers", label == hostVersion ? "Pass" : "Fail", $"host {hostVersion}, image {label}", expected,
            $"Rebuild {image} with Onload {hostVersion}, or install Onload {label} on the host.") };
    }

    /// <summary>A label of the first image of '&lt;engine&gt; image inspect' JSON (top-level Labels or Config.Labels).</summary>
    public static string? ReadLabel(string json, string label)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                if (root.GetArrayLength() == 0) return null;
                root = root[0];
            }
            foreach (var labels in new[] { Get(root, "Labels"), Get(Get(root, "Config"), "Labels"), Get(Get(root, "ContainerConfig"), "Labels") })
            {
                if (labels is { ValueKind: JsonValueKind.Object } l && l.TryGetProperty(label, out var v) && v.ValueKind == JsonValueKind.String)
                    return v.GetString();
            }
        }
        catch (JsonException) { }
        return null;
    }

    private static JsonElement? Get(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) ? v : null;
}
