using System.Globalization;
using System.Text.RegularExpressions;
using OnloadTools.Host;

namespace OnloadTools.Tuning;

/// <summary>The interface does not exist under /sys/class/net.</summary>
internal sealed class InterfaceNotFoundException : Exception
{
    public InterfaceNotFoundException(string name, IEnumerable<string> existing)
        : base($"There is no network interface '{name}' on this host (/sys/class/net has: {string.Join(", ", existing)}).")
    {
        InterfaceName = name;
    }

    public string InterfaceName { get; }
}

/// <summary>
/// Reads where a network interface's adapter sits (PCI function, NUMA node, local CPUs) and the CPU topology
/// (isolated CPUs, SMT siblings) from /sys, and picks a pair of CPUs for netperf -T.
/// </summary>
internal sealed partial class NicTopology
{
    private readonly HostFileSystem _fs;

    public NicTopology(HostFileSystem fs) { _fs = fs; }

    public IReadOnlyList<string> InterfaceNames() => _fs.List("/sys/class/net");

    [GeneratedRegex(@"^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$")]
    private static partial Regex PciAddress();

    /// <summary>The adapter's device folder (host path) that has numa_node: the device itself or, for virtio, its PCI parent.</summary>
    public string? DeviceDirectory(string interfaceName)
    {
        string link = _fs.Map($"/sys/class/net/{interfaceName}/device");
        if (!Directory.Exists(link)) return null;
        string? real = RealPath(link);
        if (real is null) return null;
        string rootFull = RealPath(_fs.Map("/")) ?? Path.GetFullPath(_fs.Map("/"));
        for (int up = 0; up < 3 && real is not null; up++)
        {
            if (File.Exists(Path.Combine(real, "numa_node")) || File.Exists(Path.Combine(real, "local_cpulist"))) break;
            real = Path.GetDirectoryName(real);
        }
        if (real is null || !File.Exists(Path.Combine(real, "numa_node")) && !File.Exists(Path.Combine(real, "local_cpulist"))) return null;
        if (_fs.IsRealHost) return real;
        return real.StartsWith(rootFull.TrimEnd('/'), StringComparison.Ordinal) ? "/" + Path.GetRelativePath(rootFull, real).Replace('\\', '/') : null;
    }

    /// <summary>realpath(3): every symlink along the path resolved, each relative to its own resolved folder.</summary>
    public static string? RealPath(string path)
    {
        string current = "/";
        var pending = new Stack<string>(Enumerable.Reverse(Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries)));
        int hops = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".") continue;
            if (part == "..") { current = Path.GetDirectoryName(current.TrimEnd('/')) ?? "/"; continue; }
            string next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++hops > 40) return null;
                if (target.StartsWith('/')) current = "/";
                foreach (string t in Enumerable.Reverse(target.Split('/', StringSplitOptions.RemoveEmptyEntries))) pending.Push(t);
                continue;
            }
            current = next;
        }
        return current;
    }

    public int[] OnlineCpus() => CpuList.Parse(_fs.ReadText("/sys/devices/system/cpu/online"));

    /// <summary>CPUs isolated from the scheduler: /sys/devices/system/cpu/isolated plus isolcpus= of the running kernel.</summary>
    public int[] IsolatedCpus()
    {
        var set = new SortedSet<int>(CpuList.Parse(_fs.ReadText("/sys/devices/system/cpu/isolated")));
        foreach (var a in KernelCommandLine.Parse(HostInfo.KernelCommandLine(_fs)).Where(a => a.Name == "isolcpus"))
        {
            set.UnionWith(KernelCommandLine.ParseCpuArgument(a.Name, a.Value).Cpus);
        }
        return set.ToArray();
    }

    public int[] Siblings(int cpu)
    {
        string dir = $"/sys/devices/system/cpu/cpu{cpu.ToString(CultureInfo.InvariantCulture)}/topology/";
        var list = _fs.ReadText(dir + "thread_siblings_list") ?? _fs.ReadText(dir + "core_cpus_list");
        var cpus = CpuList.Parse(list);
        return cpus.Length == 0 ? new[] { cpu } : cpus;
    }

    public NicCpuAffinity Describe(string interfaceName)
    {
        if (!_fs.Exists($"/sys/class/net/{interfaceName}"))
            throw new InterfaceNotFoundException(interfaceName, InterfaceNames());

        var notes = new List<string>();
        var result = new NicCpuAffinity { InterfaceName = interfaceName };
        result.Driver = _fs.LinkTargetName($"/sys/class/net/{interfaceName}/device/driver");
        int[] online = OnlineCpus();
        string? dev = DeviceDirectory(interfaceName);
        int[] local = Array.Empty<int>();
        if (dev is null)
        {
            notes.Add($"{interfaceName} has no PCI device (a virtual interface): every online CPU counts as local.");
        }
        else
        {
            string name = dev.TrimEnd('/').Split('/').Last();
            if (PciAddress().IsMatch(name)) result.PciAddress = name;
            if (int.TryParse(_fs.ReadText(dev + "/numa_node"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int node) && node >= 0)
                result.NumaNode = node;
            else
                notes.Add("The platform reports no NUMA node for the adapter (numa_node is -1): a single-node host or a virtual machine.");
            local = CpuList.Parse(_fs.ReadText(dev + "/local_cpulist"));
            if (local.Length == 0) local = CpuList.ParseMask(_fs.ReadText(dev + "/local_cpus"));
            if (local.Length == 0 && result.NumaNode is int n)
                local = CpuList.Parse(_fs.ReadText($"/sys/devices/system/node/node{n}/cpulist"));
        }
        if (local.Length == 0) local = online;
        if (online.Length > 0) local = local.Intersect(online).Order().ToArray();

        int[] isolated = IsolatedCpus();
        int[] isolatedLocal = isolated.Intersect(local).Order().ToArray();
        var siblingGroups = local.Select(Siblings).Where(g => g.Length > 1)
            .Select(g => CpuList.Format(g)).Distinct().ToArray();

        result.LocalCpus = local;
        result.LocalCpuList = CpuList.Format(local);
        result.IsolatedCpus = isolated;
        result.IsolatedLocalCpus = isolatedLocal;
        result.SmtSiblings = siblingGroups;

        if (isolated.Length == 0) notes.Add("No CPU is isolated (isolcpus= is not on the kernel command line).");
        else if (isolatedLocal.Length < 2) notes.Add($"Fewer than two isolated CPUs are local to {interfaceName} (isolated: {CpuList.Format(isolated)}, local: {result.LocalCpuList}).");

        var pair = ChoosePair(isolatedLocal.Where(c => c != 0).ToArray(), Siblings)
                   ?? ChoosePair(local.Where(c => c != 0).OrderBy(c => isolated.Contains(c) ? 0 : 1).ThenBy(c => c).ToArray(), Siblings);
        if (pair is { } p)
        {
            if (!(isolatedLocal.Contains(p.Local) && isolatedLocal.Contains(p.Remote)))
                notes.Add("The recommended CPUs are NIC-local but not both isolated: other tasks may run on them.");
            result.RecommendedLocalCpu = p.Local;
            result.RecommendedRemoteCpu = p.Remote;
            result.NetperfCpuArgument = $"-T {p.Local},{p.Remote}";
        }
        else
        {
            notes.Add($"No pair of NIC-local CPUs other than CPU 0 that are not SMT siblings of each other exists (local: {result.LocalCpuList}).");
        }
        result.Notes = notes.ToArray();
        return result;
    }

    /// <summary>The first two CPUs (in the given order) that are not SMT siblings of each other.</summary>
    public static (int Local, int Remote)? ChoosePair(int[] candidates, Func<int, int[]> siblings)
    {
        for (int i = 0; i < candidates.Length; i++)
        {
            var sib = siblings(candidates[i]);
            for (int j = i + 1; j < candidates.Length; j++)
            {
                if (!sib.Contains(candidates[j])) return (candidates[i], candidates[j]);
            }
        }
        return null;
    }
}
