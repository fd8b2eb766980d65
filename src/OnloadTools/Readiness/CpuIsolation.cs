using OnloadTools.Host;
using OnloadTools.Tuning;

namespace OnloadTools.Readiness;

/// <summary>
/// Which CPUs this host keeps for latency-critical work, and how: <c>isolcpus=</c>, or tuned's cpu-partitioning
/// profile, which isolates <c>isolated_cores</c> (from /etc/tuned/cpu-partitioning-variables.conf) with
/// <c>nohz_full</c>, <c>rcu_nocbs</c> and <c>tuned.non_isolcpus</c> (the housekeeping mask), and adds
/// <c>isolcpus=</c> only for <c>no_balance_cores</c>. The one owner of "the isolated CPUs" for Test-OnloadHost and
/// Measure-HostJitter. Read through the host root, so tests use fake trees.
/// </summary>
internal sealed class CpuIsolation
{
    public const string VariablesPath = "/etc/tuned/cpu-partitioning-variables.conf";
    public const string CpuPartitioning = "cpu-partitioning";

    public int[] Isolcpus { get; private init; } = Array.Empty<int>();
    public int[] NohzFull { get; private init; } = Array.Empty<int>();
    public int[] RcuNocbs { get; private init; } = Array.Empty<int>();
    /// <summary>The CPUs tuned.non_isolcpus leaves out (isolated by cpu-partitioning), or null when the argument is absent.</summary>
    public int[]? TunedIsolated { get; private init; }
    public string? TunedNonIsolcpusMask { get; private init; }
    /// <summary>/sys/devices/system/cpu/isolated (the kernel's own list: isolcpus domain CPUs).</summary>
    public int[] SysIsolated { get; private init; } = Array.Empty<int>();
    /// <summary>Whether the active tuned profile is cpu-partitioning or includes it.</summary>
    public bool CpuPartitioningActive { get; private init; }
    public string? ActiveProfile { get; private init; }
    /// <summary>isolated_cores of cpu-partitioning as written (null when the variables file does not set it).</summary>
    public string? IsolatedCoresText { get; private init; }
    /// <summary>isolated_cores as CPUs; empty when it is an expression this module does not evaluate.</summary>
    public int[] IsolatedCores { get; private init; } = Array.Empty<int>();
    public string? NoBalanceCoresText { get; private init; }
    public int[] NoBalanceCores { get; private init; } = Array.Empty<int>();
    public int[] OnlineCpus { get; private init; } = Array.Empty<int>();

    /// <summary>Every CPU the running kernel keeps apart by any of these means.</summary>
    public int[] Isolated =>
        Isolcpus.Concat(NohzFull).Concat(SysIsolated).Concat(TunedIsolated ?? Array.Empty<int>()).Distinct().Order().ToArray();

    /// <summary>The CPUs to measure jitter on: the isolated ones, else every online CPU but CPU 0.</summary>
    public int[] MeasurementCpus()
    {
        var iso = Isolated.Where(c => OnlineCpus.Length == 0 || OnlineCpus.Contains(c)).ToArray();
        if (iso.Length > 0) return iso;
        var rest = OnlineCpus.Where(c => c != 0).ToArray();
        return rest.Length > 0 ? rest : OnlineCpus;
    }

    /// <summary>A CPU for the tool's main thread: an online CPU outside <paramref name="measured"/>, preferring CPU 0.</summary>
    public int? HousekeepingCpu(IReadOnlyCollection<int> measured) =>
        OnlineCpus.Where(c => !measured.Contains(c)).Cast<int?>().FirstOrDefault();

    public static CpuIsolation Read(HostFileSystem fs)
    {
        var args = KernelCommandLine.Parse(HostInfo.KernelCommandLine(fs));
        int[] Cpus(string name) => args.Where(a => a.Name == name)
            .SelectMany(a => KernelCommandLine.ParseCpuArgument(a.Name, a.Value).Cpus).Distinct().Order().ToArray();
        int[] online = CpuList.Parse(fs.ReadText("/sys/devices/system/cpu/online"));
        string? mask = args.LastOrDefault(a => a.Name == "tuned.non_isolcpus")?.Value;
        int[]? tunedIsolated = null;
        if (mask is not null)
        {
            var housekeeping = CpuList.ParseMask(mask).ToHashSet();
            tunedIsolated = housekeeping.Count == 0 ? Array.Empty<int>() : online.Where(c => !housekeeping.Contains(c)).ToArray();
        }
        string? active = HostInfo.ActiveTunedProfile(fs);
        bool partitioning = false;
        if (active is not null)
        {
            var names = active.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            partitioning = names.Any(n => n.StartsWith(CpuPartitioning, StringComparison.Ordinal));
            if (!partitioning)
            {
                try
                {
                    var catalog = new TunedProfileCatalog(fs);
                    partitioning = names.Any(n => catalog.Resolve(n)?.Chain.Any(c => c.StartsWith(CpuPartitioning, StringComparison.Ordinal)) == true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or FormatException) { }
            }
        }
        string? isolatedText = null, noBalanceText = null;
        var vars = TunedConfig.Parse(fs.ReadText(VariablesPath) is { } t ? "[variables]\n" + t : null)["variables"];
        if (vars is not null)
        {
            isolatedText = vars.Get("isolated_cores")?.Trim();
            noBalanceText = vars.Get("no_balance_cores")?.Trim();
        }
        static int[] Plain(string? text) => text is null || text.Contains('$') ? Array.Empty<int>() : CpuList.Parse(text);
        return new CpuIsolation
        {
            Isolcpus = Cpus("isolcpus"), NohzFull = Cpus("nohz_full"), RcuNocbs = Cpus("rcu_nocbs"),
            TunedIsolated = tunedIsolated, TunedNonIsolcpusMask = mask,
            SysIsolated = CpuList.Parse(fs.ReadText("/sys/devices/system/cpu/isolated")),
            CpuPartitioningActive = partitioning, ActiveProfile = active,
            IsolatedCoresText = isolatedText, IsolatedCores = Plain(isolatedText),
            NoBalanceCoresText = noBalanceText, NoBalanceCores = Plain(noBalanceText),
            OnlineCpus = online,
        };
    }
}
