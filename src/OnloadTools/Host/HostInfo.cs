namespace OnloadTools.Host;

/// <summary>Facts about the host that every measurement records so a number can be trusted later.</summary>
internal static class HostInfo
{
    public static string HostName(HostFileSystem fs) =>
        fs.ReadText("/proc/sys/kernel/hostname") is { Length: > 0 } h ? h : System.Environment.MachineName;

    public static string? KernelRelease(HostFileSystem fs) => fs.ReadText("/proc/sys/kernel/osrelease");

    /// <summary>The tuned profile tuned last applied (its state file), or null when tuned never ran.</summary>
    public static string? ActiveTunedProfile(HostFileSystem fs) =>
        fs.ReadText("/etc/tuned/active_profile") is { Length: > 0 } p ? p.Trim() : null;

    public static string? KernelCommandLine(HostFileSystem fs) => fs.ReadText("/proc/cmdline");

    /// <summary>
    /// The CPUs this kernel can ever run (sysfs cpu/possible, else present, else online) as a CPU list ("0-31"),
    /// or null when sysfs says nothing.
    /// </summary>
    public static string? PossibleCpuList(HostFileSystem fs) =>
        new[] { "possible", "present", "online" }
            .Select(f => fs.ReadText("/sys/devices/system/cpu/" + f)?.Trim())
            .FirstOrDefault(t => t is { Length: > 0 });
}
