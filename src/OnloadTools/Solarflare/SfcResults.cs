namespace OnloadTools;

/// <summary>
/// One port of a Solarflare adapter as sfboot (boot configuration), sfupdate (firmware versions) and ethtool -i
/// (running driver and firmware) report it. Flat and primitive so that it survives remoting.
/// </summary>
public sealed class SfcAdapter
{
    public string InterfaceName { get; set; } = "";

    // ---- sfboot: boot configuration (takes effect after a cold reboot) ----
    /// <summary>sfboot's own words, e.g. "Option ROM and UEFI".</summary>
    public string? BootImage { get; set; }
    /// <summary>sfboot's own words: "Negotiated automatically" or "10G bits/second".</summary>
    public string? LinkSpeed { get; set; }
    /// <summary>The fixed boot link speed in Mbit/s, or null when negotiated automatically.</summary>
    public int? LinkSpeedMbps { get; set; }
    public int? LinkUpDelaySeconds { get; set; }
    public int? BannerDelaySeconds { get; set; }
    public int? BootSkipDelaySeconds { get; set; }
    public string? BootType { get; set; }
    /// <summary>Physical functions on this port (sfboot pf-count).</summary>
    public int? PfCount { get; set; }
    /// <summary>MSI-X interrupts each PF may use (sfboot msix-limit).</summary>
    public int? MsixLimit { get; set; }
    /// <summary>Virtual functions on each PF (sfboot vf-count).</summary>
    public int? VfCount { get; set; }
    public int? VfMsixLimit { get; set; }
    public string? PortMode { get; set; }
    /// <summary>The sfboot token: full-feature, ultra-low-latency, capture-packed-stream, dpdk, auto.</summary>
    public string? FirmwareVariant { get; set; }
    /// <summary>The sfboot token: default, sriov, partitioning, partitioning-with-sriov, pfiov.</summary>
    public string? SwitchMode { get; set; }
    /// <summary>VLAN tag of each PF (sfboot pf-vlans); empty when none.</summary>
    public int[] PfVlans { get; set; } = Array.Empty<int>();
    public string? InsecureFilters { get; set; }
    public string? MacSpoofing { get; set; }
    public string? ChangeMac { get; set; }
    public int? RxDescriptorCacheSize { get; set; }
    public int? TxDescriptorCacheSize { get; set; }
    public int? ViCount { get; set; }
    public int? EventMergeTimeoutNs { get; set; }
    public string? SfbootVersion { get; set; }

    // ---- sfupdate: flash contents ----
    public string? MacAddress { get; set; }
    public string? ControllerType { get; set; }
    public string? FirmwareVersion { get; set; }
    public string? ControllerVersion { get; set; }
    public string? BootRomVersion { get; set; }
    public string? UefiRomVersion { get; set; }
    public string? BundleType { get; set; }
    public string? BundleVersion { get; set; }
    /// <summary>sfupdate's images hold newer firmware than the adapter (run Update-SfcFirmware).</summary>
    public bool UpdateAvailable { get; set; }
    /// <summary>What sfupdate would write, e.g. "controller firmware 3.3.1.1003".</summary>
    public string[] AvailableUpdates { get; set; } = Array.Empty<string>();
    public string? SfupdateVersion { get; set; }

    // ---- ethtool -i: the running driver ----
    public string? Driver { get; set; }
    public string? DriverVersion { get; set; }
    /// <summary>Firmware version the running driver reports (ethtool -i firmware-version).</summary>
    public string? RunningFirmwareVersion { get; set; }
    /// <summary>PCI address (ethtool -i bus-info).</summary>
    public string? BusAddress { get; set; }

    public override string ToString() => InterfaceName;
}

/// <summary>What Set-SfcPartitioning did (or found already done) to one port's boot configuration.</summary>
public sealed class SfcPartitioningResult
{
    public string InterfaceName { get; set; } = "";
    /// <summary>The sfboot command line that was run (or would have been, when nothing had to change).</summary>
    public string CommandLine { get; set; } = "";
    /// <summary>True when sfboot was run to change settings.</summary>
    public bool Changed { get; set; }
    /// <summary>The new settings take effect only after a cold reboot (power off, not a warm restart).</summary>
    public bool ColdRebootRequired { get; set; }
    public int? PfCountBefore { get; set; }
    public int? PfCountAfter { get; set; }
    public string? SwitchModeBefore { get; set; }
    public string? SwitchModeAfter { get; set; }
    public string? FirmwareVariantBefore { get; set; }
    public string? FirmwareVariantAfter { get; set; }
    public int[] PfVlansBefore { get; set; } = Array.Empty<int>();
    public int[] PfVlansAfter { get; set; } = Array.Empty<int>();
    /// <summary>One line per setting that changed: "pf-count: 1 -> 2".</summary>
    public string[] Changes { get; set; } = Array.Empty<string>();

    public override string ToString() => $"{InterfaceName}: {(Changes.Length == 0 ? "no change" : string.Join("; ", Changes))}";
}

/// <summary>What Update-SfcFirmware did to one adapter port's flash.</summary>
public sealed class SfcFirmwareUpdate
{
    public string InterfaceName { get; set; } = "";
    public string CommandLine { get; set; } = "";
    /// <summary>True when sfupdate wrote at least one image.</summary>
    public bool Updated { get; set; }
    public string? ControllerVersionBefore { get; set; }
    public string? ControllerVersionAfter { get; set; }
    public string? BootRomVersionBefore { get; set; }
    public string? BootRomVersionAfter { get; set; }
    public string? BundleVersionBefore { get; set; }
    public string? BundleVersionAfter { get; set; }
    /// <summary>One line per image written: "controller firmware 3.3.0.6275 -> 3.3.1.1003".</summary>
    public string[] Writes { get; set; } = Array.Empty<string>();
    public DateTime StartTime { get; set; }
    public double DurationSeconds { get; set; }

    public override string ToString() => $"{InterfaceName}: {(Writes.Length == 0 ? "up to date" : string.Join("; ", Writes))}";
}

/// <summary>A network interface driven by sfc, from sysfs.</summary>
public sealed class SfcInterface
{
    public string Name { get; set; } = "";
    public string Driver { get; set; } = "";
    /// <summary>The adapter's physical port this function uses (/sys/class/net/NAME/device/physical_port).</summary>
    public int? PhysicalPort { get; set; }
    /// <summary>Every sfc interface of the same adapter on the same physical port (this one included), sorted.</summary>
    public string[] PortFunctions { get; set; } = Array.Empty<string>();
    /// <summary>PCI address of the function (0000:3b:00.1).</summary>
    public string? BusAddress { get; set; }
    /// <summary>PCI address without the function number: the adapter this function belongs to.</summary>
    public string? AdapterAddress { get; set; }
    public string? MacAddress { get; set; }
    public string? OperState { get; set; }
    public bool LinkUp { get; set; }
    public int? SpeedMbps { get; set; }
    public int? Mtu { get; set; }
    public int? NumaNode { get; set; }
    /// <summary>CPUs local to the adapter, in the kernel's list form ("0-7,16-23").</summary>
    public string? LocalCpuList { get; set; }
    public int[] LocalCpus { get; set; } = Array.Empty<int>();
    public string[] IPv4Addresses { get; set; } = Array.Empty<string>();
    public string[] IPv6Addresses { get; set; } = Array.Empty<string>();

    public override string ToString() => Name;
}

/// <summary>An RPM package file built by New-OnloadPackage (pipes into New-OnloadImage -OnloadPackage).</summary>
public sealed class OnloadPackage
{
    public string Name { get; set; } = "";
    public string Version { get; set; } = "";
    public string Release { get; set; } = "";
    public string Architecture { get; set; } = "";
    /// <summary>UserSpace, KernelModule, Development or Source.</summary>
    public string Kind { get; set; } = "";
    /// <summary>Full path of the .rpm file.</summary>
    public string Path { get; set; } = "";
    public string FileName { get; set; } = "";
    public long Length { get; set; }
    /// <summary>The source tarball it was built from.</summary>
    public string? SourceTarball { get; set; }
    /// <summary>The rpmbuild command line that built it.</summary>
    public string? CommandLine { get; set; }

    public override string ToString() => FileName;
}
