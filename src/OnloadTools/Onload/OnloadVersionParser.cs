using System.Text.RegularExpressions;

namespace OnloadTools.Onload;

/// <summary>Reads the Onload version from `onload --version` or from its start-up banner.</summary>
internal static partial class OnloadVersionParser
{
    // "Onload 8.1.2.26", "OpenOnload 201811", "oo:memcached[69454]: Using Onload 20201215 [1]"
    [GeneratedRegex(@"\b(?:Open)?Onload\s+(?:version\s+)?(?<v>v?\d[\w.\-]*)", RegexOptions.CultureInvariant)]
    private static partial Regex VersionRegex();

    public static string? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var m = VersionRegex().Match(text);
        return m.Success ? m.Groups["v"].Value.TrimEnd('.') : null;
    }
}
