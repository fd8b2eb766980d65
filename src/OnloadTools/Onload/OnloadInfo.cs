namespace OnloadTools;

/// <summary>Whether OpenOnload is installed and ready on this host.</summary>
public sealed class OnloadInfo
{
    public string ComputerName { get; set; } = "";
    /// <summary>The onload launcher is on PATH.</summary>
    public bool Installed { get; set; }
    /// <summary>The version `onload --version` reports.</summary>
    public string? Version { get; set; }
    public string? OnloadPath { get; set; }
    /// <summary>Version of the loaded onload kernel module (/sys/module/onload/version).</summary>
    public string? KernelModuleVersion { get; set; }
    /// <summary>Which of Onload's kernel modules (onload, sfc_char, sfc_resource) are loaded (/proc/modules).</summary>
    public string[] LoadedModules { get; set; } = Array.Empty<string>();
    /// <summary>Which of Onload's kernel modules are not loaded.</summary>
    public string[] MissingModules { get; set; } = Array.Empty<string>();
    /// <summary>Which of /dev/onload, /dev/onload_epoll, /dev/onload_cplane and /dev/sfc_char exist.</summary>
    public string[] DeviceNodes { get; set; } = Array.Empty<string>();
    /// <summary>Which of the device nodes every Onload release creates (/dev/onload, /dev/onload_epoll) are absent.</summary>
    public string[] MissingDeviceNodes { get; set; } = Array.Empty<string>();
    /// <summary>Profiles usable with onload --profile (names without .opf).</summary>
    public string[] Profiles { get; set; } = Array.Empty<string>();
    public string? ProfileDirectory { get; set; }
    /// <summary>Number of sfc interfaces on the host.</summary>
    public int SfcInterfaceCount { get; set; }
    /// <summary>Onload can accelerate processes now: installed, kernel modules loaded, device nodes present.</summary>
    public bool Ready { get; set; }
    /// <summary>Why it is not ready, one sentence each.</summary>
    public string[] Problems { get; set; } = Array.Empty<string>();

    public override string ToString() => Installed ? $"Onload {Version} ({(Ready ? "ready" : "not ready")})" : "Onload not installed";
}
