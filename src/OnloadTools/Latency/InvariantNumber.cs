using System.Globalization;

namespace OnloadTools.Latency;

/// <summary>
/// Numbers as tools print them (and as the module writes them): invariant culture, nothing thrown. The one place the
/// latency parsers and the run binder read a number from text.
/// </summary>
internal static class InvariantNumber
{
    /// <summary>A finite number ("12.5", " 1e3 "), or null for text that is none, NaN, an infinity or longer than 64 characters.</summary>
    public static double? Double(string? s)
    {
        if (string.IsNullOrWhiteSpace(s)) return null;
        s = s.Trim();
        if (s.Length > 64) return null;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : null;
    }

    /// <summary>A whole number ("2001"), or null.</summary>
    public static long? Long(string? s) =>
        long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : null;

    /// <summary>A whole number that fits an int, or null.</summary>
    public static int? Int(string? s) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : null;
}
