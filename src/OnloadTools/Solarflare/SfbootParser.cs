using System.Globalization;
using System.Text.RegularExpressions;

namespace OnloadTools.Solarflare;

/// <summary>One port's block of sfboot output: setting (as the sfboot option name) → sfboot's displayed value.</summary>
internal sealed class SfbootPort
{
    public required string InterfaceName { get; init; }
    /// <summary>Keyed by the sfboot option name (pf-count, switch-mode …) whatever label the utility version printed.</summary>
    public Dictionary<string, string> Settings { get; } = new(StringComparer.Ordinal);
}

internal sealed class SfbootOutput
{
    /// <summary>Utility version from the banner ("8.2.4"), when printed.</summary>
    public string? UtilityVersion { get; init; }
    public List<SfbootPort> Ports { get; } = new();
}

/// <summary>
/// Parses the configuration listing sfboot prints (with no arguments, after a change, or for --adapter=X).
/// sfutils v4.x and v8.x word the same settings differently ("Physical Functions per port" vs "Physical Functions
/// on this port", "MSI-X interrupt limit" vs "PF MSI-X interrupt limit", "Number of Virtual Functions" vs "Virtual
/// Functions on each PF", "SRIOV" vs "SR-IOV"); both map to the sfboot option names. Never throws.
/// </summary>
internal static partial class SfbootParser
{
    // Displayed label (lower case, single spaces, ASCII hyphens) → sfboot option name.
    private static readonly (string Label, string Option)[] Labels =
    {
        ("boot image", "boot-image"),
        ("link speed", "link-speed"),
        ("link-up delay time", "linkup-delay"),
        ("linkup delay time", "linkup-delay"),
        ("banner delay time", "banner-delay"),
        ("boot skip delay time", "bootskip-delay"),
        ("boot type", "boot-type"),
        ("physical functions per port", "pf-count"),      // v4.x
        ("physical functions on this port", "pf-count"),  // v8.x
        ("msi-x interrupt limit", "msix-limit"),          // v4.x
        ("pf msi-x interrupt limit", "msix-limit"),       // v8.x
        ("number of virtual functions", "vf-count"),      // v4.x
        ("virtual functions on each pf", "vf-count"),     // v8.x
        ("vf msi-x interrupt limit", "vf-msix-limit"),
        ("port mode", "port-mode"),
        ("firmware variant", "firmware-variant"),
        ("insecure filters", "insecure-filters"),
        ("mac spoofing", "mac-spoofing"),
        ("change mac", "change-mac"),
        ("vlan tags", "pf-vlans"),
        ("switch mode", "switch-mode"),
        ("rx descriptor cache size", "rx-dc-size"),
        ("tx descriptor cache size", "tx-dc-size"),
        ("total number of vis", "vi-count"),
        ("event merge timeout", "event-merge-timeout"),
        ("evt cut thru", "evt-cut-thru"),
    };

    private static readonly (string Label, string Option)[] LabelsLongestFirst =
        Labels.OrderByDescending(l => l.Label.Length).ToArray();

    [GeneratedRegex(@"\[v(?<v>\d+(?:\.\d+)+)\]", RegexOptions.CultureInvariant)]
    private static partial Regex BannerVersion();

    [GeneratedRegex(@"^\s*(?<name>[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63}):\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex InterfaceHeader();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Spaces();

    [GeneratedRegex(@"^(?<n>\d+)\s*(?<u>[GMK])\s*bits?/s", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Speed();

    [GeneratedRegex(@"^(?<n>\d+)\b", RegexOptions.CultureInvariant)]
    private static partial Regex LeadingInt();

    /// <summary>Replaces the Unicode hyphens PDF extractions and some terminals produce with ASCII ones.</summary>
    internal static string NormalizeHyphens(string s) =>
        s.Replace('\u2010', '-').Replace('\u2011', '-').Replace('\u2012', '-').Replace('\u2013', '-').Replace('\u2212', '-');

    public static string? UtilityVersion(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var m = BannerVersion().Match(text);
        return m.Success ? m.Groups["v"].Value : null;
    }

    public static SfbootOutput Parse(string? text)
    {
        var output = new SfbootOutput { UtilityVersion = UtilityVersion(text) };
        if (string.IsNullOrEmpty(text)) return output;
        SfbootPort? current = null;
        foreach (string raw in text.Split('\n'))
        {
            string line = NormalizeHyphens(raw.TrimEnd('\r'));
            if (line.Trim().Length == 0) continue;
            var header = InterfaceHeader().Match(line);
            if (header.Success)
            {
                current = new SfbootPort { InterfaceName = header.Groups["name"].Value };
                output.Ports.Add(current);
                continue;
            }
            if (current is null) continue;
            string collapsed = Spaces().Replace(line.Trim(), " ");
            string lower = collapsed.ToLowerInvariant();
            foreach (var (label, option) in LabelsLongestFirst)
            {
                if (lower.StartsWith(label, StringComparison.Ordinal)
                    && (lower.Length == label.Length || lower[label.Length] == ' '))
                {
                    current.Settings[option] = collapsed[label.Length..].Trim();
                    break;
                }
            }
        }
        return output;
    }

    /// <summary>The adapter object of one parsed port (sfupdate and ethtool fields left empty).</summary>
    public static SfcAdapter ToAdapter(SfbootPort port, string? utilityVersion)
    {
        string? Get(string option) => port.Settings.TryGetValue(option, out var v) && v.Length > 0 ? v : null;
        return new SfcAdapter
        {
            InterfaceName = port.InterfaceName,
            BootImage = Get("boot-image"),
            LinkSpeed = Get("link-speed"),
            LinkSpeedMbps = SpeedMbps(Get("link-speed")),
            LinkUpDelaySeconds = Int(Get("linkup-delay")),
            BannerDelaySeconds = Int(Get("banner-delay")),
            BootSkipDelaySeconds = Int(Get("bootskip-delay")),
            BootType = Get("boot-type"),
            PfCount = Int(Get("pf-count")),
            MsixLimit = Int(Get("msix-limit")),
            VfCount = Int(Get("vf-count")),
            VfMsixLimit = Int(Get("vf-msix-limit")),
            PortMode = Get("port-mode"),
            FirmwareVariant = FirmwareVariantToken(Get("firmware-variant")),
            SwitchMode = SwitchModeToken(Get("switch-mode")),
            PfVlans = Vlans(Get("pf-vlans")),
            InsecureFilters = Get("insecure-filters"),
            MacSpoofing = Get("mac-spoofing"),
            ChangeMac = Get("change-mac"),
            RxDescriptorCacheSize = Int(Get("rx-dc-size")),
            TxDescriptorCacheSize = Int(Get("tx-dc-size")),
            ViCount = Int(Get("vi-count")),
            EventMergeTimeoutNs = Int(Get("event-merge-timeout")),
            SfbootVersion = utilityVersion,
        };
    }

    /// <summary>"5 seconds" → 5, "1500 nanoseconds" → 1500, "32" → 32; null for "Default" and the like.</summary>
    public static int? Int(string? value)
    {
        if (value is null) return null;
        var m = LeadingInt().Match(value.Trim());
        return m.Success && int.TryParse(m.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;
    }

    /// <summary>"10G bits/second" → 10000; "Negotiated automatically" → null.</summary>
    public static int? SpeedMbps(string? value)
    {
        if (value is null) return null;
        var m = Speed().Match(value.Trim());
        if (!m.Success || !int.TryParse(m.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) return null;
        long mbps = char.ToUpperInvariant(m.Groups["u"].Value[0]) switch { 'G' => n * 1000L, 'M' => n, _ => n / 1000 };
        return mbps is > 0 and <= int.MaxValue ? (int)mbps : null;
    }

    public static int[] Vlans(string? value)
    {
        if (value is null || value.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)) return Array.Empty<int>();
        return value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1)
            .Where(v => v >= 0).ToArray();
    }

    /// <summary>sfboot's displayed firmware variant → its option value (full-feature …).</summary>
    public static string? FirmwareVariantToken(string? displayed)
    {
        if (displayed is null) return null;
        string d = Spaces().Replace(NormalizeHyphens(displayed).Trim().ToLowerInvariant(), " ");
        if (d.StartsWith("full feature", StringComparison.Ordinal) || d.StartsWith("full-feature", StringComparison.Ordinal)) return "full-feature";
        if (d.StartsWith("ultra low latency", StringComparison.Ordinal) || d.StartsWith("ultra-low-latency", StringComparison.Ordinal)) return "ultra-low-latency";
        if (d.StartsWith("capture packed stream", StringComparison.Ordinal) || d.StartsWith("capture-packed-stream", StringComparison.Ordinal)) return "capture-packed-stream";
        if (d.Contains("dpdk", StringComparison.Ordinal)) return "dpdk";
        if (d is "auto" or "default") return "auto";
        return d.Replace(' ', '-');
    }

    /// <summary>sfboot's displayed switch mode → its option value (partitioning …).</summary>
    public static string? SwitchModeToken(string? displayed)
    {
        if (displayed is null) return null;
        string d = Spaces().Replace(NormalizeHyphens(displayed).Trim().ToLowerInvariant(), " ").Replace("sr-iov", "sriov");
        return d switch
        {
            "default" => "default",
            "sriov" => "sriov",
            "partitioning" => "partitioning",
            "partitioning with sriov" or "partitioning-with-sriov" => "partitioning-with-sriov",
            "pfiov" => "pfiov",
            _ => d.Replace(' ', '-'),
        };
    }
}
