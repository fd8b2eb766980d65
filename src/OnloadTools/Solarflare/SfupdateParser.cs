using System.Text.RegularExpressions;

namespace OnloadTools.Solarflare;

/// <summary>One adapter port as `sfupdate` (no --write) lists it.</summary>
internal sealed class SfupdatePort
{
    public required string InterfaceName { get; init; }
    public string? MacAddress { get; set; }
    public string? FirmwareVersion { get; set; }
    public string? ControllerType { get; set; }
    public string? ControllerVersion { get; set; }
    public string? BootRomVersion { get; set; }
    public string? UefiRomVersion { get; set; }
    public string? BundleType { get; set; }
    public string? BundleVersion { get; set; }
    /// <summary>"controller firmware 3.3.1.1003", one per image the utility holds a newer version of.</summary>
    public List<string> AvailableUpdates { get; } = new();
}

/// <summary>One image `sfupdate --write` wrote: "eno49: updating Boot ROM from 3.3.1.6312 to 4.4.0.1002".</summary>
internal sealed record SfupdateWrite(string InterfaceName, string Component, string From, string To);

internal sealed class SfupdateOutput
{
    public string? UtilityVersion { get; init; }
    public List<SfupdatePort> Ports { get; } = new();
    public List<SfupdateWrite> Writes { get; } = new();
    /// <summary>"No supported Solarflare adapters found".</summary>
    public bool NoAdapters { get; set; }
    /// <summary>The last "[NN%] phase" progress line, when any.</summary>
    public int? LastPercent { get; set; }
    public string? LastPhase { get; set; }
}

/// <summary>
/// Parses sfupdate's adapter listing and its --write transcript (Solarstorm v4.x and Solarflare v8.x utilities:
/// v4.x writes "controller firmware" and "Boot ROM", v8.x a single "Bundle firmware"). Never throws.
/// </summary>
internal static partial class SfupdateParser
{
    [GeneratedRegex(@"^(?<if>[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63})\s+-\s+MAC:\s*(?<mac>\S+)", RegexOptions.CultureInvariant)]
    private static partial Regex PortHeader();

    [GeneratedRegex(@"^\s+(?<k>[A-Za-z][A-Za-z ]*?):\s*(?<v>.*?)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Field();

    [GeneratedRegex(@"contains (?:a )?more recent (?<what>.+?)\s*\[v?(?<v>[^\]\s]+)\]", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Available();

    [GeneratedRegex(@"^(?<if>[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63}):\s+updating\s+(?<what>.+?)\s+from\s+v?(?<from>\S+)\s+to\s+v?(?<to>\S+?)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Write();

    [GeneratedRegex(@"\[\s*(?<p>\d{1,3})%\]\s*(?<phase>.*?)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Progress();

    /// <summary>"v4.2.2.1003 rx1 tx1" → "4.2.2.1003".</summary>
    public static string? VersionToken(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        string first = value.Trim().Split(' ', '\t')[0];
        if (first.Length > 1 && (first[0] == 'v' || first[0] == 'V') && char.IsAsciiDigit(first[1])) first = first[1..];
        return first.Length == 0 ? null : first;
    }

    public static SfupdateOutput Parse(string? text)
    {
        var output = new SfupdateOutput { UtilityVersion = SfbootParser.UtilityVersion(text) };
        if (string.IsNullOrEmpty(text)) return output;
        SfupdatePort? current = null;
        // Progress lines are redrawn with carriage returns on a terminal: treat \r as a line break too.
        foreach (string raw in text.Split('\n', '\r'))
        {
            string line = SfbootParser.NormalizeHyphens(raw);
            if (line.Trim().Length == 0) continue;
            if (line.Contains("No supported Solarflare adapters found", StringComparison.OrdinalIgnoreCase))
            {
                output.NoAdapters = true;
                continue;
            }
            var header = PortHeader().Match(line);
            if (header.Success)
            {
                current = new SfupdatePort { InterfaceName = header.Groups["if"].Value, MacAddress = header.Groups["mac"].Value };
                output.Ports.Add(current);
                continue;
            }
            var write = Write().Match(line);
            if (write.Success)
            {
                output.Writes.Add(new SfupdateWrite(write.Groups["if"].Value, write.Groups["what"].Value,
                    write.Groups["from"].Value, write.Groups["to"].Value));
                continue;
            }
            var progress = Progress().Match(line);
            if (progress.Success && int.TryParse(progress.Groups["p"].Value, out int percent))
            {
                output.LastPercent = Math.Min(100, percent);
                output.LastPhase = progress.Groups["phase"].Value;
                continue;
            }
            var available = Available().Match(line);
            if (available.Success)
            {
                current?.AvailableUpdates.Add($"{available.Groups["what"].Value} {available.Groups["v"].Value}");
                continue;
            }
            var field = Field().Match(line);
            if (field.Success && current is not null)
            {
                string v = field.Groups["v"].Value;
                switch (field.Groups["k"].Value.Trim().ToLowerInvariant())
                {
                    case "firmware version": current.FirmwareVersion = VersionToken(v); break;
                    case "controller type": current.ControllerType = v.Length == 0 ? null : v; break;
                    case "controller version": current.ControllerVersion = VersionToken(v); break;
                    case "boot rom version": current.BootRomVersion = VersionToken(v); break;
                    case "uefi rom version": current.UefiRomVersion = VersionToken(v); break;
                    case "bundle type": current.BundleType = v.Length == 0 ? null : v; break;
                    case "bundle version": current.BundleVersion = VersionToken(v); break;
                }
            }
        }
        return output;
    }
}
