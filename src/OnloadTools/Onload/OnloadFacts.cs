using OnloadTools.Host;

namespace OnloadTools.Onload;

/// <summary>
/// What the module knows about OpenOnload itself, in one place: its launcher, the kernel modules and device nodes it
/// needs, where its profiles live, the image label that carries its version, and when two versions match.
/// Get-OnloadInfo, Test-OnloadHost, the container cmdlets and the latency sessions all ask here.
/// </summary>
internal static class OnloadFacts
{
    /// <summary>The launcher on PATH (onload [--profile=P] COMMAND); `onload --version` names the release.</summary>
    public const string Tool = "onload";

    /// <summary>The image label New-OnloadImage writes and every container cmdlet reads: the Onload release inside.</summary>
    public const string VersionLabel = "org.openonload.version";

    /// <summary>
    /// The kernel modules Onload needs loaded: onload itself and the two it is built on, sfc_char and sfc_resource
    /// (onload_tool reload loads them). Not sfc: that is the network driver of the Solarflare adapter. Onload needs it only
    /// to accelerate a Solarflare interface, so whether it is there is asked as "is an interface driven by an sfc driver"
    /// (Solarflare's <c>SfcInterfaceReader</c>: Get-OnloadInfo's SfcInterfaceCount, Test-OnloadHost's SolarflareAdapter),
    /// where a host without the hardware gets one answer rather than a second failure for the same cause. Get-OnloadInfo
    /// listed sfc among the modules and Test-OnloadHost did not; both now agree.
    /// </summary>
    public static readonly string[] KernelModules = { "onload", "sfc_char", "sfc_resource" };

    /// <summary>The device nodes every Onload release creates when its modules load: without them nothing is accelerated.</summary>
    public static readonly string[] RequiredDevices = { "/dev/onload", "/dev/onload_epoll" };

    /// <summary>
    /// Every Onload device node, required first; newer releases add the control plane's and sfc_char's. A container gets
    /// each one the host has (--device), so the same image works with either generation.
    /// </summary>
    public static readonly string[] DeviceNodes = { "/dev/onload", "/dev/onload_epoll", "/dev/onload_cplane", "/dev/sfc_char" };

    /// <summary>Where OpenOnload's installer puts the .opf profiles (onload_install and the RPMs).</summary>
    public static readonly string[] ProfileDirectories = { "/usr/libexec/onload/profiles", "/usr/lib/onload/profiles", "/usr/local/libexec/onload/profiles" };

    /// <summary>The Onload device nodes present on a host (read through its root, so tests use a fake /dev).</summary>
    public static IReadOnlyList<string> PresentDevices(HostFileSystem fs) => DeviceNodes.Where(fs.Exists).ToArray();

    /// <summary>
    /// Whether two Onload versions are the same release: equal but for a leading 'v' and case ("v8.1.2.26" is "8.1.2.26").
    /// False when either is unknown.
    /// </summary>
    public static bool VersionsMatch(string? a, string? b) =>
        a is { Length: > 0 } && b is { Length: > 0 } && string.Equals(a.TrimStart('v', 'V'), b.TrimStart('v', 'V'), StringComparison.OrdinalIgnoreCase);
}
