namespace OnloadTools;

/// <summary>A tuned profile as installed on the host (Get-TunedProfile).</summary>
public sealed class TunedProfile
{
    public string Name { get; set; } = "";
    public string? Summary { get; set; }
    /// <summary>Folder the profile is defined in (/etc/tuned/NAME overrides /usr/lib/tuned/NAME).</summary>
    public string? Path { get; set; }
    /// <summary>System (/usr/lib/tuned) or Custom (/etc/tuned).</summary>
    public string Location { get; set; } = "System";
    /// <summary>Profiles this one includes (its include= line), nearest first.</summary>
    public string[] Include { get; set; } = Array.Empty<string>();
    public bool IsActive { get; set; }
    public bool IsRecommended { get; set; }

    public override string ToString() => Name;
}

/// <summary>One effective setting of a profile after its include= chain is resolved (Get-TunedProfile -Effective).</summary>
public sealed class TunedProfileSetting
{
    public string Profile { get; set; } = "";
    /// <summary>The plugin (section) the setting belongs to: sysctl, vm, cpu, bootloader, sysfs …</summary>
    public string Plugin { get; set; } = "";
    public string Name { get; set; } = "";
    public string Value { get; set; } = "";
    /// <summary>The profile in the include chain whose tuned.conf gives this value.</summary>
    public string DefinedIn { get; set; } = "";

    public override string ToString() => $"[{Plugin}] {Name}={Value}";
}

/// <summary>One sysctl/sysfs value a profile switch touched, read from /proc/sys or /sys before and after.</summary>
public sealed class TunedSettingChange
{
    public string Plugin { get; set; } = "";
    public string Name { get; set; } = "";
    /// <summary>The file the value was read from (/proc/sys/…, /sys/…).</summary>
    public string? Path { get; set; }
    /// <summary>The value the new profile asks for.</summary>
    public string? Expected { get; set; }
    public string? Before { get; set; }
    /// <summary>The value after the switch; null for -WhatIf.</summary>
    public string? After { get; set; }
    public bool Changed { get; set; }

    public override string ToString() => $"{Name}: {Before ?? "-"} -> {After ?? Expected ?? "-"}";
}

/// <summary>What Invoke-TunedProfile did.</summary>
public sealed class TunedProfileChange
{
    public string? PreviousProfile { get; set; }
    /// <summary>The profile now active; null after -Off.</summary>
    public string? NewProfile { get; set; }
    public string CommandLine { get; set; } = "";
    public TunedSettingChange[] Settings { get; set; } = Array.Empty<TunedSettingChange>();
    /// <summary>How many of Settings really changed value.</summary>
    public int ChangedCount { get; set; }
    /// <summary>The kernel command line the profile wants (its [bootloader] cmdline).</summary>
    public string? BootCommandLine { get; set; }
    /// <summary>Arguments of BootCommandLine that /proc/cmdline lacks: they need a reboot.</summary>
    public string[] MissingBootArguments { get; set; } = Array.Empty<string>();
    public bool RebootRequired { get; set; }
    /// <summary>Result of 'tuned-adm verify' after the switch (null after -Off, where there is nothing to verify).</summary>
    public bool? Verified { get; set; }
    /// <summary>The settings tuned-adm verify found different (from tuned's log).</summary>
    public string[] VerifyFailures { get; set; } = Array.Empty<string>();
    public DateTime Time { get; set; }

    public override string ToString() => $"{PreviousProfile ?? "(none)"} -> {NewProfile ?? "(off)"}";
}

/// <summary>One line of tuned's verification (from its log): a setting that passed, failed or was skipped.</summary>
public sealed class TunedVerifyItem
{
    /// <summary>Passed, Failed or Skipped (<see cref="TunedVerifyStatus"/>).</summary>
    public string Status { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Device { get; set; }
    public string? Actual { get; set; }
    public string? Expected { get; set; }
    /// <summary>The log line's own words.</summary>
    public string Message { get; set; } = "";

    public override string ToString() => Message;
}

/// <summary>Result of Test-TunedProfile ('tuned-adm verify').</summary>
public sealed class TunedProfileVerification
{
    public string? Profile { get; set; }
    public bool Verified { get; set; }
    /// <summary>Settings that differ from the profile.</summary>
    public TunedVerifyItem[] Differences { get; set; } = Array.Empty<TunedVerifyItem>();
    public int PassedCount { get; set; }
    public string CommandLine { get; set; } = "";
    /// <summary>tuned-adm's own words.</summary>
    public string Message { get; set; } = "";
    /// <summary>tuned-adm's verdict in one line (its first line, or why there is no verdict), without its advice.</summary>
    public string Reason { get; set; } = "";

    public override string ToString() => $"{Profile}: {(Verified ? "verified" : $"{Differences.Length} difference(s)")}";
}

/// <summary>One kernel argument: as running (/proc/cmdline) and as the default kernel will boot next (grubby).</summary>
public sealed class KernelBootArgument
{
    public string Name { get; set; } = "";
    /// <summary>Which occurrence of the name this is (1 for the first): the kernel reads every one
    /// (console=tty0 console=ttyS0, hugepagesz=1G hugepages=50 hugepagesz=2M hugepages=0).</summary>
    public int Occurrence { get; set; } = 1;
    /// <summary>Value in the running kernel's command line (null for a flag or when absent).</summary>
    public string? Value { get; set; }
    public bool Running { get; set; }
    /// <summary>Present in the default kernel's arguments; null when grubby is not available.</summary>
    public bool? NextBoot { get; set; }
    public string? NextBootValue { get; set; }
    /// <summary>Added, Removed or Changed when the next boot differs from the running kernel; else empty.</summary>
    public string Pending { get; set; } = "";
    /// <summary>CPUs of a CPU-list argument (isolcpus, nohz_full, rcu_nocbs, irqaffinity …).</summary>
    public int[] Cpus { get; set; } = Array.Empty<int>();
    /// <summary>Flags of isolcpus (domain, managed_irq, nohz).</summary>
    public string[] Flags { get; set; } = Array.Empty<string>();

    public override string ToString() => Value is null ? Name : $"{Name}={Value}";
}

/// <summary>What Set-KernelBootArgument changed (for the next boot).</summary>
public sealed class KernelBootArgumentChange
{
    public string CommandLine { get; set; } = "";
    public string[] Added { get; set; } = Array.Empty<string>();
    public string[] Removed { get; set; } = Array.Empty<string>();
    public string? DefaultKernel { get; set; }
    /// <summary>The default kernel's arguments after the change.</summary>
    public string? NextBootArguments { get; set; }
    /// <summary>True when the running kernel's /proc/cmdline does not yet match the change. Nothing reboots.</summary>
    public bool RebootRequired { get; set; }

    public override string ToString() => CommandLine;
}

/// <summary>CPUs local to a network interface's PCI slot, and a pair for netperf -T.</summary>
public sealed class NicCpuAffinity
{
    public string InterfaceName { get; set; } = "";
    public string? Driver { get; set; }
    public string? PciAddress { get; set; }
    /// <summary>NUMA node of the adapter; null when the platform does not say (-1 in sysfs).</summary>
    public int? NumaNode { get; set; }
    public int[] LocalCpus { get; set; } = Array.Empty<int>();
    public string LocalCpuList { get; set; } = "";
    public int[] IsolatedCpus { get; set; } = Array.Empty<int>();
    /// <summary>Isolated CPUs that are also local to the adapter.</summary>
    public int[] IsolatedLocalCpus { get; set; } = Array.Empty<int>();
    /// <summary>SMT sibling groups among the local CPUs, each as a CPU list ("1,9").</summary>
    public string[] SmtSiblings { get; set; } = Array.Empty<string>();
    public int? RecommendedLocalCpu { get; set; }
    public int? RecommendedRemoteCpu { get; set; }
    /// <summary>The netperf argument for the pair, e.g. "-T 3,5".</summary>
    public string? NetperfCpuArgument { get; set; }
    /// <summary>Why the recommendation is weaker than ideal (no NUMA information, CPUs not isolated …).</summary>
    public string[] Notes { get; set; } = Array.Empty<string>();

    public override string ToString() => $"{InterfaceName}: node {NumaNode?.ToString() ?? "-"}, CPUs {LocalCpuList}";
}

/// <summary>The statuses of a line of tuned's verification, written once (strings, as <see cref="HostCheckStatus"/>).</summary>
public static class TunedVerifyStatus
{
    public const string Passed = "Passed";
    public const string Failed = "Failed";
    public const string Skipped = "Skipped";
}
