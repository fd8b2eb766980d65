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
        var loaded = LoadedModules();
        info.LoadedModules = OnloadFacts.KernelModules.Where(loaded.Contains).ToArray();
        info.MissingModules = OnloadFacts.KernelModules.Where(m => !loaded.Contains(m)).ToArray();
        if (info.MissingModules.Length > 0)
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

    /// <summary>Module names from /proc/modules, or from /sys/module when /proc/modules is absent (built-ins too).</summary>
    private HashSet<string> LoadedModules()
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        string? modules = _fs.ReadText("/proc/modules");
        if (modules is not null)
        {
            foreach (string line in modules.Split('\n'))
            {
                int space = line.IndexOf(' ');
                if (space > 0) set.Add(line[..space]);
            }
        }
        foreach (string m in OnloadFacts.KernelModules)
        {
            if (_fs.DirectoryExists($"/sys/module/{m}") && _fs.Exists($"/sys/module/{m}/initstate")) set.Add(m);
        }
        return set;
    }
}
