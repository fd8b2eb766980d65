using System.Text.RegularExpressions;
using OnloadTools.Host;

namespace OnloadTools.Tuning;

/// <summary>A value on the host a tuned setting controls, and where to read it.</summary>
internal sealed record ProbedSetting(string Plugin, string Name, string? Path, string? Expected);

/// <summary>
/// Maps tuned settings to the files that hold their live values (/proc/sys for sysctl, /sys for vm, sysfs, cpu
/// governor) and reads them, so a profile switch is judged by the kernel's values and not by tuned's word.
/// </summary>
internal static partial class TunedSettingProbe
{
    public const string ThpPath = "/sys/kernel/mm/transparent_hugepage/enabled";
    public const string GovernorName = "governor";

    /// <summary>The live values the effective profile sets (settings it cannot be read back for are left out).</summary>
    public static IEnumerable<ProbedSetting> Probes(EffectiveProfile profile, HostFileSystem fs)
    {
        foreach (var s in profile.Settings)
        {
            switch (s.Plugin)
            {
                case "sysctl":
                    yield return new ProbedSetting("sysctl", s.Name, SysctlPath(s.Name), s.Value);
                    break;
                case "vm" when s.Name is "transparent_hugepages" or "transparent_hugepage":
                    yield return new ProbedSetting("vm", "transparent_hugepages", ThpPath, s.Value);
                    break;
                case "sysfs":
                    foreach (string path in ExpandGlob(s.Name, fs))
                        yield return new ProbedSetting("sysfs", path, path, s.Value);
                    break;
                case "cpu" when s.Name == GovernorName:
                    yield return new ProbedSetting("cpu", GovernorName, "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor", s.Value);
                    break;
            }
        }
    }

    /// <summary>net.core.busy_read → /proc/sys/net/core/busy_read (keys written with '/' are kept).</summary>
    public static string SysctlPath(string key) =>
        "/proc/sys/" + (key.Contains('/') ? key.TrimStart('/') : key.Replace('.', '/'));

    /// <summary>Reads the live value of a probe; null when the file does not exist or cannot be read.</summary>
    public static string? Read(ProbedSetting probe, HostFileSystem fs)
    {
        if (probe.Path is null) return null;
        if (probe.Plugin == "cpu" && probe.Name == GovernorName) return ReadGovernor(fs);
        string? text = fs.ReadText(probe.Path);
        if (text is null) return null;
        if (probe.Path == ThpPath) return Bracketed(text);
        return Normalize(text);
    }

    /// <summary>The governor of every CPU with cpufreq: one value when they agree, else "cpu0=…,cpu1=…"; null without cpufreq.</summary>
    public static string? ReadGovernor(HostFileSystem fs)
    {
        var values = new List<(string Cpu, string Value)>();
        foreach (string cpu in fs.List("/sys/devices/system/cpu").Where(n => CpuDir().IsMatch(n)).OrderBy(n => int.Parse(n[3..])))
        {
            if (fs.ReadText($"/sys/devices/system/cpu/{cpu}/cpufreq/scaling_governor") is { Length: > 0 } g) values.Add((cpu, g.Trim()));
        }
        if (values.Count == 0) return null;
        return values.Select(v => v.Value).Distinct().Count() == 1 ? values[0].Value : string.Join(',', values.Select(v => $"{v.Cpu}={v.Value}"));
    }

    [GeneratedRegex(@"^cpu\d+$")]
    private static partial Regex CpuDir();

    /// <summary>"always madvise [never]" → "never".</summary>
    public static string Bracketed(string text)
    {
        var m = Regex.Match(text, @"\[([^\]]*)\]");
        return m.Success ? m.Groups[1].Value : text.Trim();
    }

    /// <summary>Collapses white space, as tuned compares sysctl values ("4096\t87380" = "4096 87380").</summary>
    public static string Normalize(string value) => Regex.Replace(value.Trim(), @"\s+", " ");

    /// <summary>
    /// True when a live value satisfies what the profile asks: equal after normalising; tuned's "&gt;N" means at least N;
    /// for the governor a "|" list means any of them.
    /// </summary>
    public static bool Satisfies(string? actual, string? expected)
    {
        if (expected is null) return true;
        if (actual is null) return false;
        string e = Normalize(expected);
        string a = Normalize(actual);
        if (e.StartsWith('>') && long.TryParse(e[1..], out long min) && long.TryParse(a, out long have)) return have >= min;
        if (e.Contains('|')) return e.Split('|').Any(x => x.Trim() == a);
        return a == e;
    }

    /// <summary>Expands * and ? in sysfs paths (tuned's [sysfs] accepts globs); literal paths come back as they are.</summary>
    public static IEnumerable<string> ExpandGlob(string path, HostFileSystem fs)
    {
        if (path.Contains("${", StringComparison.Ordinal)) yield break;
        if (!path.Contains('*') && !path.Contains('?')) { yield return path; yield break; }
        var prefixes = new List<string> { "" };
        foreach (string seg in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = new List<string>();
            foreach (string p in prefixes)
            {
                if (seg.Contains('*') || seg.Contains('?'))
                {
                    var rx = new Regex("^" + Regex.Escape(seg).Replace(@"\*", ".*").Replace(@"\?", ".") + "$");
                    next.AddRange(fs.List(p.Length == 0 ? "/" : p).Where(n => rx.IsMatch(n)).Select(n => p + "/" + n));
                }
                else next.Add(p + "/" + seg);
            }
            prefixes = next;
            if (prefixes.Count == 0) yield break;
        }
        foreach (string p in prefixes.Where(fs.Exists)) yield return p;
    }
}
