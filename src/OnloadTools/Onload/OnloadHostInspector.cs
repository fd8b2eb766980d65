using OnloadTools.Host;
using OnloadTools.Processes;
using OnloadTools.Solarflare;

namespace OnloadTools.Onload;

/// <summary>
/// Get-OnloadInfo's domain: is OpenOnload installed (onload on PATH, its version), are its kernel modules loaded,
/// are its device nodes present, which profiles exist, and so can this host run accelerated processes now.
/// Never throws for a host without Onload: that is an answer (Installed = false), not an error.
/// </summary>
internal sealed class OnloadHostInspector
{
    private readonly IToolRunner _runner;
    private readonly HostFileSystem _fs;

    public OnloadHostInspector(IToolRunner runner, HostFileSystem fs)
    {
        _runner = runner;
        _fs = fs;
    }

    public async Task<OnloadInfo> InspectAsync(CancellationToken ct)
    {
        var info = new OnloadInfo { ComputerName = HostInfo.HostName(_fs) };
        var problems = new List<string>();

        info.OnloadPath = _runner.Which(OnloadFacts.Tool);
        info.Installed = info.OnloadPath is not null;
        if (info.Installed)
        {
            try
            {
                var reading = await OnloadVersionQuery.ReadAsync(_runner, ct).ConfigureAwait(false);
                info.Version = reading.Version;
                if (!reading.Result.Succeeded) problems.Add($"'onload --version' failed: {reading.Result.Describe()}");
            }
            catch (Exception e) when (e is ToolNotFoundException or ToolTimeoutException)
            {
                problems.Add(e.Message);
            }
        }
        else
        {
            problems.Add("OpenOnload is not installed: 'onload' is not on PATH. Build the RPMs with New-OnloadPackage and install them.");
        }

        info.KernelModuleVersion = _fs.ReadText("/sys/module/onload/version") is { Length: > 0 } mv ? mv : null;
        var loaded = LoadedModules(_fs);
        info.LoadedModules = OnloadFacts.KernelModules.Where(m => loaded?.Contains(m) == true).ToArray();
        info.MissingModules = OnloadFacts.KernelModules.Where(m => loaded?.Contains(m) != true).ToArray();
        if (loaded is null)
            problems.Add($"Kernel module(s) not loaded: {string.Join(", ", info.MissingModules)}. {ModulesUnlistable}");
        else if (info.MissingModules.Length > 0)
            problems.Add($"Kernel module(s) not loaded: {string.Join(", ", info.MissingModules)} (load them with 'onload_tool reload').");

        info.DeviceNodes = OnloadFacts.PresentDevices(_fs).ToArray();
        info.MissingDeviceNodes = OnloadFacts.RequiredDevices.Where(d => !_fs.Exists(d)).ToArray();
        if (info.MissingDeviceNodes.Length > 0)
            problems.Add($"Device node(s) missing: {string.Join(", ", info.MissingDeviceNodes)} (created when the modules load; containers need them passed with --device).");

        foreach (string dir in OnloadFacts.ProfileDirectories)
        {
            var profiles = _fs.List(dir).Where(f => f.EndsWith(".opf", StringComparison.Ordinal)).Select(f => f[..^4]).ToArray();
            if (profiles.Length == 0) continue;
            info.Profiles = profiles;
            info.ProfileDirectory = dir;
            break;
        }
        if (info.Installed && info.Profiles.Length == 0)
            problems.Add($"No Onload profiles (*.opf) found in {string.Join(" or ", OnloadFacts.ProfileDirectories)}.");

        info.SfcInterfaceCount = new SfcInterfaceReader(_fs).Names().Count();
        if (info.SfcInterfaceCount == 0)
            problems.Add("No sfc network interface: Onload accelerates Solarflare interfaces (see Get-SfcInterface).");

        info.Problems = problems.ToArray();
        info.Ready = problems.Count == 0;
        return info;
    }

    /// <summary>Why <see cref="LoadedModules"/> can tell nothing, in both commands' words.</summary>
    internal const string ModulesUnlistable =
        "Loaded modules cannot be listed: this is a container without the host's /proc, or a kernel built without module support, where no driver can be loaded.";

    /// <summary>
    /// The one reading of the loaded kernel modules, for Get-OnloadInfo and Test-OnloadHost alike: the names in
    /// /proc/modules, plus each of Onload's modules that /sys/module shows loaded (its initstate; for when /proc is
    /// not the host's). Null when there is no /proc/modules and /sys/module shows none of Onload's: nothing can be
    /// told (<see cref="ModulesUnlistable"/>).
    /// </summary>
    internal static IReadOnlySet<string>? LoadedModules(HostFileSystem fs)
    {
        string? modules = fs.ReadText("/proc/modules");
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in (modules ?? "").Split('\n'))
        {
            int space = line.IndexOf(' ');
            if (space > 0) set.Add(line[..space]);
        }
        foreach (string m in OnloadFacts.KernelModules)
        {
            if (fs.DirectoryExists($"/sys/module/{m}") && fs.Exists($"/sys/module/{m}/initstate")) set.Add(m);
        }
        return modules is null && set.Count == 0 ? null : set;
    }
}
