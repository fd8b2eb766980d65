using System.Text.RegularExpressions;

namespace OnloadTools.Tuning;

/// <summary>What 'tuned-adm list' printed.</summary>
internal sealed class TunedListOutput
{
    public List<(string Name, string? Summary)> Profiles { get; } = new();
    public string? ActiveProfile { get; set; }
    /// <summary>"Preset profile:" of an old tuned-adm when the daemon is not running.</summary>
    public string? PresetProfile { get; set; }
    public bool DaemonNotRunning { get; set; }
    /// <summary>Lines of a "** COLLECTED WARNINGS **" block.</summary>
    public List<string> Warnings { get; } = new();
}

/// <summary>What 'tuned-adm verify' printed.</summary>
internal enum TunedVerifyOutcome { Unknown, Succeeded, Failed, DaemonNotRunning, NoProfile }

/// <summary>Parsers of tuned-adm's text (2.4 on CentOS 6 to 2.2x) and of tuned's verification log lines. They never throw.</summary>
internal static partial class TunedAdmParser
{
    public const string DaemonDown = "Cannot talk to";

    [GeneratedRegex(@"^-\s+(?<name>\S+)(?:\s+-\s+(?<summary>.*?))?\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex ProfileLine();

    public static TunedListOutput ParseList(string? text)
    {
        var o = new TunedListOutput();
        if (string.IsNullOrEmpty(text)) return o;
        bool inWarnings = false;
        foreach (string raw in SplitLines(text))
        {
            string line = raw.TrimEnd();
            if (line.StartsWith("** COLLECTED WARNINGS", StringComparison.Ordinal)) { inWarnings = true; continue; }
            if (line.StartsWith("** END OF WARNINGS", StringComparison.Ordinal)) { inWarnings = false; continue; }
            if (inWarnings) { if (line.Length > 0) o.Warnings.Add(line); continue; }
            if (ProfileLine().Match(line) is { Success: true } m)
            {
                string? summary = m.Groups["summary"].Success && m.Groups["summary"].Value.Length > 0 ? m.Groups["summary"].Value : null;
                o.Profiles.Add((m.Groups["name"].Value, summary));
            }
            else if (AfterPrefix(line, "Current active profile:") is { } active)
            {
                o.ActiveProfile = active.Length > 0 ? active : null;
            }
            else if (AfterPrefix(line, "Preset profile:") is { } preset)
            {
                o.PresetProfile = preset.Length > 0 ? preset : null;
            }
            else if (line.Contains("daemon is not running", StringComparison.OrdinalIgnoreCase) || line.Contains(DaemonDown, StringComparison.Ordinal))
            {
                o.DaemonNotRunning = true;
            }
        }
        return o;
    }

    /// <summary>'tuned-adm active': the profile name, or null for "No current active profile." or a daemon that is down.</summary>
    public static string? ParseActive(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        foreach (string line in SplitLines(text))
        {
            if (AfterPrefix(line.Trim(), "Current active profile:") is { Length: > 0 } p) return p;
        }
        return null;
    }

    /// <summary>True when tuned-adm said it cannot reach the daemon ("Tuned" in old versions, "TuneD" in new).</summary>
    public static bool SaysDaemonDown(string? text) =>
        text is not null && (text.Contains(DaemonDown, StringComparison.Ordinal) && text.Contains("daemon", StringComparison.OrdinalIgnoreCase));

    public static TunedVerifyOutcome ParseVerify(string? text)
    {
        if (string.IsNullOrEmpty(text)) return TunedVerifyOutcome.Unknown;
        if (SaysDaemonDown(text)) return TunedVerifyOutcome.DaemonNotRunning;
        // "Verfication succeeded" is tuned-adm's own spelling (2.x); accept the corrected one too.
        if (Regex.IsMatch(text, @"Ver(i)?fication succeeded", RegexOptions.CultureInvariant)) return TunedVerifyOutcome.Succeeded;
        if (Regex.IsMatch(text, @"Ver(i)?fication failed", RegexOptions.CultureInvariant)) return TunedVerifyOutcome.Failed;
        if (text.Contains("No current active profile", StringComparison.Ordinal) || text.Contains("No profile", StringComparison.Ordinal))
            return TunedVerifyOutcome.NoProfile;
        return TunedVerifyOutcome.Unknown;
    }

    // tuned/consts.py STR_VERIFY_PROFILE_* forms. The quoted parts may hold quotes themselves (plugin_modules:
    // "verify: failed: 'module 'cpufreq_conservative' is not loaded'", plugin_service, plugin_script's list,
    // plugin_bootloader's "'cmdline' = '{'skew_tick=1', …}'", plugin_scheduler's "cgroup 'x' affinity"), so each
    // form is anchored at the end of the line and split at its fixed separators, never at the next quote.
    [GeneratedRegex(@"verify: passed: device (?<dev>\S+): '(?<name>.*?)' = '(?<actual>.*)'\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex PassedDevice();
    [GeneratedRegex(@"verify: passed: '(?<name>.*?)' = '(?<actual>.*)'\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex PassedValue();
    [GeneratedRegex(@"verify: passed: '(?<name>.*)'\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Passed();
    [GeneratedRegex(@"verify: skipped, missing: (?:device (?<dev>\S+): )?'(?<name>.*)'\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Skipped();
    [GeneratedRegex(@"verify: failed: device (?<dev>\S+): '(?<name>.*?)' = '(?<actual>.*)', expected '(?<expected>.*)'\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex FailedDevice();
    [GeneratedRegex(@"verify: failed: '(?<name>.*?)' = '(?<actual>.*)', expected '(?<expected>.*)'\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex FailedValue();
    [GeneratedRegex(@"verify: failed: cmdline arg '(?<name>.*?)' is missing, expected '(?<expected>.*)'\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex FailedCmdlineMissing();
    [GeneratedRegex(@"verify: failed: cmdline arg '(?<actual>.*)', expected '(?<expected>.*)'\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex FailedCmdline();
    [GeneratedRegex(@"verify: failed: '(?<name>.*)'\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Failed();

    /// <summary>plugin_modules' "module 'X' is (not) loaded" and plugin_service's "service 'X' configuration 'Y' differs".</summary>
    [GeneratedRegex(@"^(?<kind>module|service) '(?<what>[^']+)'(?<rest>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex Described();

    /// <summary>
    /// The verification lines of tuned's log (/var/log/tuned/tuned.log) written by the last verification, i.e.
    /// after the last "verifying profile(s):" line. Returns the profile(s) named there and the items.
    /// </summary>
    public static (string? Profile, List<TunedVerifyItem> Items) ParseVerifyLog(string? log)
    {
        var items = new List<TunedVerifyItem>();
        if (string.IsNullOrEmpty(log)) return (null, items);
        string[] lines = SplitLines(log).ToArray();
        int start = -1;
        string? profile = null;
        for (int i = lines.Length - 1; i >= 0; i--)
        {
            int at = lines[i].IndexOf("verifying profile(s):", StringComparison.Ordinal);
            if (at >= 0)
            {
                start = i + 1;
                profile = lines[i][(at + "verifying profile(s):".Length)..].Trim();
                break;
            }
        }
        if (start < 0) return (null, items);
        for (int i = start; i < lines.Length; i++)
        {
            if (ParseVerifyLine(lines[i]) is { } item) items.Add(item);
        }
        return (profile is { Length: > 0 } ? profile : null, items);
    }

    public static TunedVerifyItem? ParseVerifyLine(string line)
    {
        int at = line.IndexOf("verify: ", StringComparison.Ordinal);
        if (at < 0) return null;
        string msg = line[at..].TrimEnd();
        Match m;
        if ((m = FailedDevice().Match(msg)).Success || (m = FailedValue().Match(msg)).Success)
            return Item(TunedVerifyStatus.Failed, m, msg);
        if ((m = FailedCmdlineMissing().Match(msg)).Success)
            return new TunedVerifyItem { Status = TunedVerifyStatus.Failed, Name = "cmdline:" + m.Groups["name"].Value, Expected = m.Groups["expected"].Value, Message = msg };
        if ((m = FailedCmdline().Match(msg)).Success)
        {
            string actual = m.Groups["actual"].Value;
            int eq = actual.IndexOf('=');
            return new TunedVerifyItem { Status = TunedVerifyStatus.Failed, Name = "cmdline:" + (eq > 0 ? actual[..eq] : actual), Actual = actual, Expected = m.Groups["expected"].Value, Message = msg };
        }
        if ((m = Failed().Match(msg)).Success) return Item(TunedVerifyStatus.Failed, m, msg);
        if ((m = PassedDevice().Match(msg)).Success || (m = PassedValue().Match(msg)).Success || (m = Passed().Match(msg)).Success)
            return Item(TunedVerifyStatus.Passed, m, msg);
        if ((m = Skipped().Match(msg)).Success) return Item(TunedVerifyStatus.Skipped, m, msg);
        return null;
    }

    private static TunedVerifyItem Item(string status, Match m, string msg)
    {
        var item = new TunedVerifyItem
        {
            Status = status,
            Name = m.Groups["name"].Value,
            Device = m.Groups["dev"].Success ? m.Groups["dev"].Value : null,
            Actual = m.Groups["actual"].Success ? m.Groups["actual"].Value : null,
            Expected = m.Groups["expected"].Success ? m.Groups["expected"].Value : null,
            Message = msg,
        };
        // plugin_script logs the Python list of its scripts: "['/usr/lib/tuned/x/script.sh']".
        if (item.Actual is null && item.Name.StartsWith("['", StringComparison.Ordinal) && item.Name.EndsWith("']", StringComparison.Ordinal))
        {
            item.Name = "script:" + string.Join(",", item.Name[2..^2].Split("', '"));
        }
        // A sentence rather than a setting: name it by what it is about, and say what was found.
        else if (item.Actual is null && Described().Match(item.Name) is { Success: true } d)
        {
            string kind = d.Groups["kind"].Value;
            string rest = d.Groups["rest"].Value.Trim();
            item.Name = $"{kind}:{d.Groups["what"].Value}";
            if (kind == "module" && rest is "is not loaded" or "is loaded")
            {
                item.Expected = "loaded";
                item.Actual = rest == "is loaded" ? "loaded" : "not loaded";
            }
            else if (rest.Length > 0 && status != TunedVerifyStatus.Skipped)
            {
                item.Actual = rest;
            }
        }
        return item;
    }

    /// <summary>'tuned-adm profile_info': the summary (text after "Profile summary:").</summary>
    public static string? ParseProfileInfoSummary(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var lines = SplitLines(text).ToArray();
        for (int i = 0; i < lines.Length - 1; i++)
        {
            if (lines[i].Trim() == "Profile summary:") return lines[i + 1].Trim() is { Length: > 0 } s ? s : null;
        }
        return null;
    }

    private static string? AfterPrefix(string line, string prefix) =>
        line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..].Trim() : null;

    internal static IEnumerable<string> SplitLines(string text) => text.Replace("\r\n", "\n").Split('\n');
}
