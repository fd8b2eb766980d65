using System.Globalization;
using OnloadTools.Processes;

namespace OnloadTools.Solarflare;

/// <summary>The boot configuration Set-SfcPartitioning asks for (sfboot option values).</summary>
internal sealed class SfcPartitioningRequest
{
    /// <summary>One port (sfboot --adapter=NAME), or null for every Solarflare adapter (sfboot with no --adapter).</summary>
    public string? InterfaceName { get; init; }
    public int PfCount { get; init; } = 2;
    /// <summary>sfboot switch-mode value: default, sriov, partitioning, partitioning-with-sriov, pfiov.</summary>
    public string SwitchMode { get; init; } = "partitioning";
    /// <summary>sfboot firmware-variant value: full-feature, ultra-low-latency, capture-packed-stream, dpdk, auto.</summary>
    public string FirmwareVariant { get; init; } = "full-feature";
    /// <summary>sfboot pf-vlans: one tag per PF; null leaves the setting alone, empty sets "none".</summary>
    public int[]? PfVlans { get; init; }
}

/// <summary>
/// Set-SfcPartitioning's domain: the exact sfboot command line of the reference architecture, the combinations sfboot
/// refuses (checked before the adapter is touched), and the before/after of each setting.
/// </summary>
internal static class SfcPartitioning
{
    public const int MaxPfCount = 16;

    /// <summary>PowerShell-friendly names ↔ sfboot option values.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchModes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Default"] = "default",
        ["Sriov"] = "sriov",
        ["Partitioning"] = "partitioning",
        ["PartitioningWithSriov"] = "partitioning-with-sriov",
        ["Pfiov"] = "pfiov",
    };

    public static readonly IReadOnlyDictionary<string, string> FirmwareVariants = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["FullFeature"] = "full-feature",
        ["UltraLowLatency"] = "ultra-low-latency",
        ["CapturePackedStream"] = "capture-packed-stream",
        ["Dpdk"] = "dpdk",
        ["Auto"] = "auto",
    };

    private static bool IsPartitioned(string switchMode) =>
        switchMode is "partitioning" or "partitioning-with-sriov" or "pfiov";

    /// <summary>Why sfboot would refuse this configuration (empty when it is valid).</summary>
    public static IReadOnlyList<string> Validate(SfcPartitioningRequest r)
    {
        var problems = new List<string>();
        if (r.PfCount < 1 || r.PfCount > MaxPfCount)
            problems.Add($"pf-count must be between 1 and {MaxPfCount} (the adapter exposes at most {MaxPfCount} physical functions); {r.PfCount} was given.");
        if (!SwitchModes.Values.Contains(r.SwitchMode))
            problems.Add($"switch-mode '{r.SwitchMode}' is not one of {string.Join(", ", SwitchModes.Values)}.");
        if (!FirmwareVariants.Values.Contains(r.FirmwareVariant))
            problems.Add($"firmware-variant '{r.FirmwareVariant}' is not one of {string.Join(", ", FirmwareVariants.Values)}.");
        if (IsPartitioned(r.SwitchMode) && r.FirmwareVariant != "full-feature")
            problems.Add($"switch-mode={r.SwitchMode} needs firmware-variant=full-feature (the {r.FirmwareVariant} firmware cannot partition the adapter).");
        if (r.SwitchMode is "default" or "sriov" && r.PfCount != 1)
            problems.Add($"switch-mode={r.SwitchMode} exposes a single physical function per port; pf-count={r.PfCount} needs switch-mode=partitioning.");
        if (r.PfVlans is { Length: > 0 } vlans)
        {
            if (r.SwitchMode is not ("partitioning" or "partitioning-with-sriov"))
                problems.Add($"pf-vlans applies only to partitioned ports (switch-mode=partitioning or partitioning-with-sriov), not switch-mode={r.SwitchMode}.");
            if (vlans.Length > r.PfCount)
                problems.Add($"pf-vlans lists {vlans.Length} tags but pf-count={r.PfCount}: give at most one tag per physical function.");
            foreach (int v in vlans.Where(v => v is < 0 or > 4094))
                problems.Add($"VLAN tag {v} is outside 0-4094.");
            if (vlans.Distinct().Count() != vlans.Length)
                problems.Add("pf-vlans repeats a tag: each physical function needs its own VLAN.");
        }
        return problems;
    }

    /// <summary>sfboot [--adapter=IF] pf-count=N switch-mode=M firmware-variant=V [pf-vlans=…]: the guide's command.</summary>
    public static ToolCommand BuildCommand(SfcPartitioningRequest r)
    {
        var args = new List<string>();
        if (r.InterfaceName is not null) args.Add($"--adapter={r.InterfaceName}");
        args.Add("pf-count=" + r.PfCount.ToString(CultureInfo.InvariantCulture));
        args.Add("switch-mode=" + r.SwitchMode);
        args.Add("firmware-variant=" + r.FirmwareVariant);
        if (r.PfVlans is not null)
            args.Add("pf-vlans=" + (r.PfVlans.Length == 0 ? "none" : string.Join(',', r.PfVlans.Select(v => v.ToString(CultureInfo.InvariantCulture)))));
        return new ToolCommand("sfboot", args);
    }

    /// <summary>What the request would change on one port, before anything runs.</summary>
    public static SfcPartitioningResult Plan(SfcAdapter before, SfcPartitioningRequest r, string commandLine)
    {
        var result = new SfcPartitioningResult
        {
            InterfaceName = before.InterfaceName,
            CommandLine = commandLine,
            PfCountBefore = before.PfCount,
            SwitchModeBefore = before.SwitchMode,
            FirmwareVariantBefore = before.FirmwareVariant,
            PfVlansBefore = before.PfVlans,
            PfCountAfter = r.PfCount,
            SwitchModeAfter = r.SwitchMode,
            FirmwareVariantAfter = r.FirmwareVariant,
            PfVlansAfter = r.PfVlans ?? before.PfVlans,
        };
        result.Changes = Changes(result);
        return result;
    }

    /// <summary>Fills the After side from what sfboot reported once it had written the settings.</summary>
    public static void Complete(SfcPartitioningResult result, SfcAdapter after)
    {
        result.PfCountAfter = after.PfCount;
        result.SwitchModeAfter = after.SwitchMode;
        result.FirmwareVariantAfter = after.FirmwareVariant;
        result.PfVlansAfter = after.PfVlans;
        result.Changes = Changes(result);
        result.Changed = true;
        result.ColdRebootRequired = result.Changes.Length > 0;
    }

    public static string[] Changes(SfcPartitioningResult r)
    {
        var changes = new List<string>();
        void Compare(string name, string? before, string? after)
        {
            if (!string.Equals(before, after, StringComparison.Ordinal))
                changes.Add($"{name}: {before ?? "(unknown)"} -> {after ?? "(unknown)"}");
        }
        Compare("pf-count", r.PfCountBefore?.ToString(CultureInfo.InvariantCulture), r.PfCountAfter?.ToString(CultureInfo.InvariantCulture));
        Compare("switch-mode", r.SwitchModeBefore, r.SwitchModeAfter);
        Compare("firmware-variant", r.FirmwareVariantBefore, r.FirmwareVariantAfter);
        static string V(int[] v) => v.Length == 0 ? "none" : string.Join(',', v.Select(x => x.ToString(CultureInfo.InvariantCulture)));
        Compare("pf-vlans", V(r.PfVlansBefore), V(r.PfVlansAfter));
        return changes.ToArray();
    }
}
