using System.Text.RegularExpressions;
using OnloadTools.Processes;

namespace OnloadTools.Latency;

internal static partial class NetperfVersion
{
    /// <summary>The one way netperf is asked its version: `netperf -V` (a latency session's ToolVersion, Test-OnloadHost's netperf check).</summary>
    public static ToolCommand Command => new("netperf", "-V");

    [GeneratedRegex(@"[Nn]etperf version\s+(?<v>\S+)")]
    private static partial Regex VersionRegex();

    /// <summary>"Netperf version 2.7.0" → "2.7.0"; null when absent.</summary>
    public static string? Parse(string? text) =>
        text is null ? null : VersionRegex().Match(text) is { Success: true } m ? m.Groups["v"].Value : null;
}
