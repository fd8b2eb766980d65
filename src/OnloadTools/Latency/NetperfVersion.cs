using System.Text.RegularExpressions;

namespace OnloadTools.Latency;

internal static partial class NetperfVersion
{
    [GeneratedRegex(@"[Nn]etperf version\s+(?<v>\S+)")]
    private static partial Regex VersionRegex();

    /// <summary>"Netperf version 2.7.0" → "2.7.0"; null when absent.</summary>
    public static string? Parse(string? text) =>
        text is null ? null : VersionRegex().Match(text) is { Success: true } m ? m.Groups["v"].Value : null;
}
