using System.Globalization;
using System.Text.RegularExpressions;

namespace OnloadTools.Latency;

/// <summary>
/// Reads sockperf ping-pong output (versions 3.5 to 3.7: plain or with ANSI colours, with or without a
/// kernel-bypass library banner before it). Never throws on arbitrary text: what it cannot read stays null.
/// </summary>
internal static partial class SockperfParser
{
    [GeneratedRegex(@"\x1B\[[0-9;]*[A-Za-z]")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"==\s*version\s*#\s*(?<v>[^\s=]+)")]
    private static partial Regex VersionLine();

    [GeneratedRegex(@"^\[\s*\d+\]\s*IP\s*=\s*(?<ip>\S+)\s+PORT\s*=\s*(?<port>\d+)\s*#\s*(?<proto>[A-Za-z]+)")]
    private static partial Regex TargetLine();

    [GeneratedRegex(@"\[Total Run\]\s*RunTime=(?<rt>[0-9.]+)\s*sec;\s*Warm up time=(?<wu>[0-9.]+)\s*msec")]
    private static partial Regex TotalRun();

    [GeneratedRegex(@"\[Valid Duration\]\s*RunTime=(?<rt>[0-9.]+)\s*sec;\s*SentMessages=(?<s>\d+);\s*ReceivedMessages=(?<r>\d+)")]
    private static partial Regex ValidDuration();

    [GeneratedRegex(@"avg-(?<kind>lat|latency|rtt)\s*=\s*(?<mean>[0-9.]+)\s*\(std-dev\s*=\s*(?<sd>[0-9.]+)\)")]
    private static partial Regex Average();

    [GeneratedRegex(@"#\s*dropped messages\s*=\s*(?<d>\d+);\s*#\s*duplicated messages\s*=\s*(?<u>\d+);\s*#\s*out-of-order messages\s*=\s*(?<o>\d+)")]
    private static partial Regex Drops();

    [GeneratedRegex(@"Total\s+(?<n>\d+)\s+observations")]
    private static partial Regex Observations();

    [GeneratedRegex(@"--->\s*<(?<which>MAX|MIN)>\s*observation\s*=\s*(?<v>[0-9.]+)")]
    private static partial Regex Extreme();

    [GeneratedRegex(@"--->\s*percentile\s+(?<p>[0-9.]+)\s*=\s*(?<v>[0-9.]+)")]
    private static partial Regex PercentileLine();

    [GeneratedRegex(@"Summary:\s*(?<what>Latency|Round trip) is\s*(?<v>[0-9.]+)\s*usec")]
    private static partial Regex Summary();

    /// <summary>Removes terminal colour sequences (sockperf 3.7 prints them even into a pipe).</summary>
    public static string StripAnsi(string text) => text.Contains('\x1B') ? Ansi().Replace(text, "") : text;

    public static SockperfOutput Parse(string? text)
    {
        var o = new SockperfOutput();
        if (string.IsNullOrEmpty(text)) return o;
        string clean = StripAnsi(text);
        bool inStatistics = false;
        bool secondServer = false;
        bool usage = false;

        foreach (string rawLine in clean.Split('\n'))
        {
            string line = rawLine.TrimEnd('\r');
            string body = line.StartsWith("sockperf:", StringComparison.Ordinal) ? line["sockperf:".Length..].Trim() : line.Trim();
            if (body.Length == 0) continue;
            Match m;

            if (o.Version is null && (m = VersionLine().Match(body)).Success)
            {
                o.Version = m.Groups["v"].Value;
                continue;
            }
            if (o.Protocol is null && (m = TargetLine().Match(body)).Success)
            {
                o.Address = m.Groups["ip"].Value;
                o.Port = Int(m.Groups["port"].Value);
                o.Protocol = m.Groups["proto"].Value.ToUpperInvariant();
                continue;
            }
            if (body.StartsWith("ERROR:", StringComparison.OrdinalIgnoreCase))
            {
                SetError(o, body, IsConnectionText(body) ? SockperfErrorKind.Connection : SockperfErrorKind.Other);
                continue;
            }
            if (body.Contains("No messages were received", StringComparison.OrdinalIgnoreCase))
            {
                SetError(o, body, SockperfErrorKind.Connection);
                continue;
            }
            if (line.StartsWith("sockperf: '", StringComparison.Ordinal) && body.Contains("Invalid", StringComparison.OrdinalIgnoreCase)
                || body.StartsWith("invalid option", StringComparison.OrdinalIgnoreCase)
                || body.StartsWith("unrecognized option", StringComparison.OrdinalIgnoreCase))
            {
                SetError(o, body, SockperfErrorKind.InvalidArgument);
                continue;
            }
            if (line.StartsWith("Usage: sockperf", StringComparison.Ordinal))
            {
                usage = true;
                continue;
            }
            if (body.Contains("Printing statistics for Server No:", StringComparison.Ordinal))
            {
                // One server is measured; should a feed file name several, the first one's statistics are kept.
                if (inStatistics) secondServer = true;
                inStatistics = true;
                continue;
            }
            if (secondServer) continue;

            if ((m = TotalRun().Match(body)).Success)
            {
                o.TotalRunTimeSeconds = Dbl(m.Groups["rt"].Value);
                o.WarmupMilliseconds = Dbl(m.Groups["wu"].Value);
            }
            else if ((m = ValidDuration().Match(body)).Success)
            {
                o.ValidRunTimeSeconds = Dbl(m.Groups["rt"].Value);
                o.SentMessages = Long(m.Groups["s"].Value);
                o.ReceivedMessages = Long(m.Groups["r"].Value);
            }
            else if ((m = Average().Match(body)).Success)
            {
                o.Mean = Dbl(m.Groups["mean"].Value);
                o.StdDev = Dbl(m.Groups["sd"].Value);
                o.LatencyKind = m.Groups["kind"].Value == "rtt" ? "RoundTrip" : "OneWay";
            }
            else if ((m = Drops().Match(body)).Success)
            {
                o.Dropped = Long(m.Groups["d"].Value);
                o.Duplicated = Long(m.Groups["u"].Value);
                o.OutOfOrder = Long(m.Groups["o"].Value);
            }
            else if ((m = Observations().Match(body)).Success)
            {
                o.Observations = Long(m.Groups["n"].Value);
            }
            else if ((m = Extreme().Match(body)).Success)
            {
                if (m.Groups["which"].Value == "MAX") o.Max = Dbl(m.Groups["v"].Value);
                else o.Min = Dbl(m.Groups["v"].Value);
            }
            else if ((m = PercentileLine().Match(body)).Success)
            {
                if (Dbl(m.Groups["p"].Value) is double p && Dbl(m.Groups["v"].Value) is double v && p is >= 0 and <= 100)
                {
                    o.Percentiles[Math.Round(p, 4)] = v;
                }
            }
            else if ((m = Summary().Match(body)).Success)
            {
                o.Mean ??= Dbl(m.Groups["v"].Value);
                o.LatencyKind ??= m.Groups["what"].Value == "Latency" ? "OneWay" : "RoundTrip";
            }
        }

        if (usage && o.ErrorKind == SockperfErrorKind.None && !o.HasResult)
        {
            SetError(o, "sockperf rejected its arguments and printed its usage.", SockperfErrorKind.InvalidArgument);
        }
        if (o.Dropped > 0 || o.Duplicated > 0 || o.OutOfOrder > 0)
        {
            o.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"sockperf counted {o.Dropped} dropped, {o.Duplicated} duplicated and {o.OutOfOrder} out-of-order messages."));
        }
        if (o.HasResult && o.Observations is < 100)
        {
            o.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"Only {o.Observations} round trips were observed: the high percentiles are the maximum. Raise -Duration or -Mps."));
        }
        return o;
    }

    /// <summary>Nobody to talk to (as opposed to a connection that broke mid-run, which is a tool error).</summary>
    private static bool IsConnectionText(string s) =>
        s.Contains("t connect", StringComparison.OrdinalIgnoreCase) || s.Contains("refused", StringComparison.OrdinalIgnoreCase)
        || s.Contains("unreachable", StringComparison.OrdinalIgnoreCase) || s.Contains("no route", StringComparison.OrdinalIgnoreCase);

    private static void SetError(SockperfOutput o, string message, SockperfErrorKind kind)
    {
        if (o.ErrorKind != SockperfErrorKind.None) return; // the first error is the cause
        o.ErrorKind = kind;
        o.ErrorMessage = message;
    }

    private static double? Dbl(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : null;

    private static long? Long(string s) =>
        long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : null;

    private static int? Int(string s) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : null;
}
