using System.Globalization;
using OnloadTools.Host;
using OnloadTools.Tuning;

namespace OnloadTools.Solarflare;

/// <summary>
/// Finds the sfc network interfaces in sysfs (/sys/class/net/*/device/driver → sfc) through the host root, with
/// the physical port each function uses, so the PFs of a partitioned port can be grouped as the guide does.
/// </summary>
internal sealed class SfcInterfaceReader
{
    private readonly HostFileSystem _fs;

    public SfcInterfaceReader(HostFileSystem fs)
    {
        _fs = fs;
    }

    /// <summary>sfc (SFN5000-8000, X2), sfc_ef100 (X3/Alveo) and sfc_siena drive Solarflare/Xilinx/AMD NICs.</summary>
    public static bool IsSfcDriver(string? driver) =>
        driver is "sfc" or "sfc_ef100" or "sfc_siena";

    /// <summary>Every sfc interface, sorted by name; empty (not an error) on a host without one.</summary>
    public List<SfcInterface> Read()
    {
        var list = new List<SfcInterface>();
        foreach (string name in _fs.List("/sys/class/net"))
        {
            string dir = $"/sys/class/net/{name}";
            string? driver = _fs.LinkTargetName($"{dir}/device/driver");
            if (!IsSfcDriver(driver)) continue;
            string? bus = _fs.LinkTargetName($"{dir}/device");
            string? operState = _fs.ReadText($"{dir}/operstate");
            string? cpuList = _fs.ReadText($"{dir}/device/local_cpulist");
            list.Add(new SfcInterface
            {
                Name = name,
                Driver = driver!,
                PhysicalPort = Int(_fs.ReadText($"{dir}/device/physical_port")),
                BusAddress = bus,
                AdapterAddress = AdapterOf(bus),
                MacAddress = _fs.ReadText($"{dir}/address"),
                OperState = operState,
                LinkUp = operState == "up",
                SpeedMbps = Int(_fs.ReadText($"{dir}/speed")) is int s and > 0 ? s : null,
                Mtu = Int(_fs.ReadText($"{dir}/mtu")),
                NumaNode = Int(_fs.ReadText($"{dir}/device/numa_node")) is int n and >= 0 ? n : null,
                LocalCpuList = string.IsNullOrEmpty(cpuList) ? null : cpuList,
                LocalCpus = CpuList.Parse(cpuList),
            });
        }

        // PF grouping: functions of the same adapter (PCI address without the function) on the same physical port.
        foreach (var i in list)
        {
            i.PortFunctions = i.PhysicalPort is null ? new[] { i.Name }
                : list.Where(o => o.PhysicalPort == i.PhysicalPort && o.AdapterAddress == i.AdapterAddress)
                    .Select(o => o.Name).Order(StringComparer.Ordinal).ToArray();
        }

        var addresses = InterfaceAddresses.Read(_fs);
        foreach (var i in list)
        {
            if (addresses.TryGetValue(i.Name, out var a))
            {
                i.IPv4Addresses = a.V4.ToArray();
                i.IPv6Addresses = a.V6.ToArray();
            }
        }
        return list.OrderBy(i => i.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Names of the sfc interfaces only (for tab completion): no address or grouping work.</summary>
    public IEnumerable<string> Names() =>
        _fs.List("/sys/class/net").Where(n => IsSfcDriver(_fs.LinkTargetName($"/sys/class/net/{n}/device/driver")));

    /// <summary>"0000:3b:00.1" → "0000:3b:00".</summary>
    public static string? AdapterOf(string? bus)
    {
        if (bus is null) return null;
        int dot = bus.LastIndexOf('.');
        return dot > 0 ? bus[..dot] : bus;
    }

    private static int? Int(string? s) =>
        int.TryParse(s?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v : null;
}

/// <summary>
/// Interface addresses from /proc (through the host root, so fake trees work): IPv6 from /proc/net/if_inet6;
/// IPv4 from the local host entries of /proc/net/fib_trie matched to the interface of the /proc/net/route subnet
/// that holds them. An address without a subnet route (a bare /32) is not attributed.
/// </summary>
internal static class InterfaceAddresses
{
    public sealed class Addresses
    {
        public List<string> V4 { get; } = new();
        public List<string> V6 { get; } = new();
    }

    public static Dictionary<string, Addresses> Read(HostFileSystem fs)
    {
        var map = new Dictionary<string, Addresses>(StringComparer.Ordinal);
        Addresses For(string name) => map.TryGetValue(name, out var a) ? a : map[name] = new Addresses();

        foreach (var (name, address) in ParseIfInet6(fs.ReadText("/proc/net/if_inet6")))
            For(name).V6.Add(address);

        var routes = ParseRoutes(fs.ReadText("/proc/net/route"));
        foreach (uint local in ParseFibTrieLocal(fs.ReadText("/proc/net/fib_trie")))
        {
            var route = routes.Where(r => r.Mask != 0 && (local & r.Mask) == r.Destination)
                .OrderByDescending(r => System.Numerics.BitOperations.PopCount(r.Mask)).FirstOrDefault();
            if (route.Interface is null) continue;
            string text = new System.Net.IPAddress(BitConverterBigEndian(local)).ToString();
            var a = For(route.Interface);
            if (!a.V4.Contains(text)) a.V4.Add(text);
        }
        return map;
    }

    private static byte[] BitConverterBigEndian(uint v) => new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v };

    /// <summary>"fe80000000000000020f53fffe000001 04 40 20 80 p1p1" → (p1p1, fe80::20f:53ff:fe00:1).</summary>
    public static IEnumerable<(string Name, string Address)> ParseIfInet6(string? text)
    {
        if (string.IsNullOrEmpty(text)) yield break;
        foreach (string line in text.Split('\n'))
        {
            string[] f = line.Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 6 || f[0].Length != 32) continue;
            byte[] bytes = new byte[16];
            bool ok = true;
            for (int i = 0; i < 16 && ok; i++)
                ok = byte.TryParse(f[0].AsSpan(i * 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out bytes[i]);
            if (!ok) continue;
            yield return (f[5], new System.Net.IPAddress(bytes).ToString());
        }
    }

    public readonly record struct Route(string? Interface, uint Destination, uint Mask);

    /// <summary>/proc/net/route: little-endian hex destination and mask per interface.</summary>
    public static List<Route> ParseRoutes(string? text)
    {
        var routes = new List<Route>();
        if (string.IsNullOrEmpty(text)) return routes;
        foreach (string line in text.Split('\n').Skip(1))
        {
            string[] f = line.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8) continue;
            if (!uint.TryParse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint dest)) continue;
            if (!uint.TryParse(f[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint mask)) continue;
            routes.Add(new Route(f[0], Swap(dest), Swap(mask)));
        }
        return routes;
    }

    private static uint Swap(uint v) => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);

    /// <summary>Addresses marked "/32 host LOCAL" in /proc/net/fib_trie, each once (host byte order).</summary>
    public static IEnumerable<uint> ParseFibTrieLocal(string? text)
    {
        if (string.IsNullOrEmpty(text)) yield break;
        string? last = null;
        var seen = new HashSet<uint>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("|-- ", StringComparison.Ordinal)) { last = line[4..].Trim(); continue; }
            if (last is not null && line.StartsWith("/32 host LOCAL", StringComparison.Ordinal)
                && System.Net.IPAddress.TryParse(last, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            {
                byte[] b = ip.GetAddressBytes();
                uint v = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
                if (seen.Add(v)) yield return v;
            }
        }
    }
}
