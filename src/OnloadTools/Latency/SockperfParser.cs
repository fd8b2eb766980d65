using System.Globalization;
using System.Text.RegularExpressions;

namespace OnloadTools.Latency;

/// <summary>
/// Reads sockperf ping-pong output (versions 3.5 to 3.10: plain or with ANSI colours, with or without a
/// kernel-bypass library banner before it). Lines are read by their field names, not by position: sockperf 3.8
/// added mean-ad, median-ad, siqr, cv, std-error and a confidence interval after std-dev in the average line, and
/// may add more. When a figure the module reports is absent, a warning naming sockperf's version says so.
/// Never throws on arbitrary text: what it cannot read stays null.
/// </summary>
internal static partial class SockperfParser
{
    [GeneratedRegex(@"\x1B\[[0-9;]*[A-Za-z]")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"==\s*version\s*#\s*(?<v>[^\s=]+)")]
    private static partial Regex VersionLine();

    [GeneratedRegex(@"^\[\s*\d+\]\s*IP\s*=\s*(?<ip>\S+)\s+PORT\s*=\s*(?<port>\d+)\s*#\s*(?<proto>[A-Za-z]+)")]
    private static partial Regex TargetLine();

    [GeneratedRegex(@"\[Total Run\]\s*(?<fields>.*)$")]
    private static partial Regex TotalRun();

    [GeneratedRegex(@"\[Valid Duration\]\s*(?<fields>.*)$")]
    private static partial Regex ValidDuration();

    /// <summary>"RunTime=1.000 sec", "Warm up time=400 msec", "SentMessages=2001": name, number, optional unit.</summary>
    [GeneratedRegex(@"(?<k>[A-Za-z][A-Za-z ]*?)\s*=\s*(?<v>[-+0-9.eE]+)")]
    private static partial Regex SemicolonField();

    [GeneratedRegex(@"avg-(?<kind>lat|latency|rtt)\s*=\s*(?<mean>[0-9.]+)\s*(?:\((?<fields>[^\n]*)\))?")]
    private static partial Regex Average();

    /// <summary>"std-dev=4.171", "cv=0.360", "99.0% ci=[5.856, 5.892]" inside the average line's brackets.</summary>
    [GeneratedRegex(@"(?<k>[0-9.]+%\s*ci|[A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:\[\s*(?<lo>[-+0-9.eE]+)\s*,\s*(?<hi>[-+0-9.eE]+)\s*\]|(?<v>[-+0-9.eE]+))")]
    private static partial Regex AverageField();

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
        if (string.IsNullOrEmpty(text)) return new SockperfOutput();
        // The collections are filled here and handed out read-only; every other figure is set with `with`.
        var percentiles = new SortedDictionary<double, double>();
        var statistics = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        var warnings = new List<string>();
        var o = new SockperfOutput { Percentiles = percentiles, AverageStatistics = statistics, Warnings = warnings };
        string clean = StripAnsi(text);
        bool inStatistics = false;
        bool secondServer = false;
        bool usage = false;
        bool sawValidDuration = false;
        string? averageName = null;

        foreach (string rawLine in clean.Split('\n'))
        {
            string line = rawLine.TrimEnd('\r');
            string body = line.StartsWith("sockperf:", StringComparison.Ordinal) ? line["sockperf:".Length..].Trim() : line.Trim();
            if (body.Length == 0) continue;
            Match m;

            if (o.Version is null && (m = VersionLine().Match(body)).Success)
            {
                o = o with { Version = m.Groups["v"].Value };
                continue;
            }
            if (o.Protocol is null && (m = TargetLine().Match(body)).Success)
            {
                o = o with
                {
                    Address = m.Groups["ip"].Value,
                    Port = InvariantNumber.Int(m.Groups["port"].Value),
                    Protocol = m.Groups["proto"].Value.ToUpperInvariant(),
                };
                continue;
            }
            if (body.StartsWith("ERROR:", StringComparison.OrdinalIgnoreCase))
            {
                o = SetError(o, body, IsConnectionText(body) ? SockperfErrorKind.Connection : SockperfErrorKind.Other);
                continue;
            }
            if (body.Contains("No messages were received", StringComparison.OrdinalIgnoreCase))
            {
                o = SetError(o, body, SockperfErrorKind.Connection);
                continue;
            }
            if (line.StartsWith("sockperf: '", StringComparison.Ordinal) && body.Contains("Invalid", StringComparison.OrdinalIgnoreCase)
                || body.StartsWith("invalid option", StringComparison.OrdinalIgnoreCase)
                || body.StartsWith("unrecognized option", StringComparison.OrdinalIgnoreCase))
            {
                o = SetError(o, body, SockperfErrorKind.InvalidArgument);
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
                var f = Fields(m.Groups["fields"].Value);
                o = o with { TotalRunTimeSeconds = Dbl(f, "RunTime"), WarmupMilliseconds = Dbl(f, "Warm up time") };
            }
            else if ((m = ValidDuration().Match(body)).Success)
            {
                var f = Fields(m.Groups["fields"].Value);
                sawValidDuration = true;
                o = o with { ValidRunTimeSeconds = Dbl(f, "RunTime"), SentMessages = Long(f, "SentMessages"), ReceivedMessages = Long(f, "ReceivedMessages") };
            }
            else if ((m = Average().Match(body)).Success)
            {
                averageName = "avg-" + m.Groups["kind"].Value;
                o = ReadAverageFields(o with
                {
                    Mean = Dbl(m.Groups["mean"].Value),
                    LatencyKind = m.Groups["kind"].Value == "rtt" ? "RoundTrip" : "OneWay",
                }, statistics, m.Groups["fields"].Value);
            }
            else if ((m = Drops().Match(body)).Success)
            {
                o = o with { Dropped = Long(m.Groups["d"].Value), Duplicated = Long(m.Groups["u"].Value), OutOfOrder = Long(m.Groups["o"].Value) };
            }
            else if ((m = Observations().Match(body)).Success)
            {
                o = o with { Observations = Long(m.Groups["n"].Value) };
            }
            else if ((m = Extreme().Match(body)).Success)
            {
                o = m.Groups["which"].Value == "MAX" ? o with { Max = Dbl(m.Groups["v"].Value) } : o with { Min = Dbl(m.Groups["v"].Value) };
            }
            else if ((m = PercentileLine().Match(body)).Success)
            {
                if (Dbl(m.Groups["p"].Value) is double p && Dbl(m.Groups["v"].Value) is double v && p is >= 0 and <= 100)
                {
                    percentiles[Math.Round(p, 4)] = v;
                }
            }
            else if ((m = Summary().Match(body)).Success)
            {
                o = o with
                {
                    Mean = o.Mean ?? Dbl(m.Groups["v"].Value),
                    LatencyKind = o.LatencyKind ?? (m.Groups["what"].Value == "Latency" ? "OneWay" : "RoundTrip"),
                };
            }
        }

        if (usage && o.ErrorKind == SockperfErrorKind.None && !o.HasResult)
        {
            o = SetError(o, "sockperf rejected its arguments and printed its usage.", SockperfErrorKind.InvalidArgument);
        }
        if (o.HasResult && o.ErrorKind == SockperfErrorKind.None)
        {
            WarnAboutAbsentFields(o, warnings, averageName, sawValidDuration);
        }
        if (o.Dropped > 0 || o.Duplicated > 0 || o.OutOfOrder > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"sockperf counted {o.Dropped} dropped, {o.Duplicated} duplicated and {o.OutOfOrder} out-of-order messages."));
        }
        if (o.HasResult && o.Observations is < 100)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"Only {o.Observations} round trips were observed: the high percentiles are the maximum. Raise -Duration or -Mps."));
        }
        return o;
    }

    private static Dictionary<string, string> Fields(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string part in text.Split(';'))
        {
            Match f = SemicolonField().Match(part);
            if (f.Success) fields.TryAdd(f.Groups["k"].Value.Trim(), f.Groups["v"].Value);
        }
        return fields;
    }

    private static SockperfOutput ReadAverageFields(SockperfOutput o, Dictionary<string, double> statistics, string text)
    {
        foreach (Match f in AverageField().Matches(text))
        {
            string name = f.Groups["k"].Value;
            if (f.Groups["v"].Success)
            {
                if (Dbl(f.Groups["v"].Value) is double v) statistics[name] = v;
            }
            else if (name.EndsWith("ci", StringComparison.OrdinalIgnoreCase)
                     && Dbl(name[..name.IndexOf('%')]) is double level
                     && Dbl(f.Groups["lo"].Value) is double lo && Dbl(f.Groups["hi"].Value) is double hi)
            {
                o = o with { ConfidenceLevel = level, ConfidenceLow = lo, ConfidenceHigh = hi };
            }
        }
        return o with { StdDev = statistics.TryGetValue("std-dev", out double sd) ? sd : null };
    }

    /// <summary>
    /// One warning listing what a result lacks that the module reports, so that an empty column never passes
    /// for "not measured" when the cause is a sockperf version whose output the module does not read.
    /// </summary>
    private static void WarnAboutAbsentFields(SockperfOutput o, List<string> warnings, string? averageName, bool sawValidDuration)
    {
        var absent = new List<string>();
        if (averageName is null) absent.Add(o.Mean is null ? "\"====> avg-…\" line (MeanLatency, StdDevLatency)" : "\"====> avg-…\" line (StdDevLatency)");
        else if (o.StdDev is null) absent.Add($"std-dev in its {averageName} line (StdDevLatency)");
        if (!sawValidDuration) absent.Add("[Valid Duration] line (ElapsedSeconds, TransactionRate)");
        else
        {
            if (o.ValidRunTimeSeconds is null) absent.Add("RunTime in its [Valid Duration] line (ElapsedSeconds, TransactionRate)");
            if (o.ReceivedMessages is null) absent.Add("ReceivedMessages in its [Valid Duration] line (TransactionRate)");
        }
        if (o.Observations is null) absent.Add("\"Total … observations\" count (Observations)");
        if (o.Min is null) absent.Add("<MIN> observation (MinLatency)");
        if (o.Max is null) absent.Add("<MAX> observation (MaxLatency)");
        foreach (double p in ExpectedPercentiles)
        {
            if (!o.Percentiles.ContainsKey(p)) absent.Add(string.Create(CultureInfo.InvariantCulture, $"percentile {p}"));
        }
        if (absent.Count == 0) return;
        string version = o.Version is null ? "(version not shown in its output)" : o.Version;
        warnings.Add($"sockperf {version} printed no {string.Join(", no ", absent)}: those figures are left empty. " +
                       "This sockperf's output differs from the versions OnloadTools reads (3.5 to 3.10).");
    }

    /// <summary>The percentiles sockperf prints (3.5 to 3.10) and the sample carries.</summary>
    private static readonly double[] ExpectedPercentiles = [50, 90, 99, 99.9, 99.99, 99.999];

    /// <summary>Nobody to talk to (as opposed to a connection that broke mid-run, which is a tool error).</summary>
    private static bool IsConnectionText(string s) =>
        s.Contains("t connect", StringComparison.OrdinalIgnoreCase) || s.Contains("refused", StringComparison.OrdinalIgnoreCase)
        || s.Contains("unreachable", StringComparison.OrdinalIgnoreCase) || s.Contains("no route", StringComparison.OrdinalIgnoreCase);

    /// <summary>The first error is the cause: later ones leave it.</summary>
    private static SockperfOutput SetError(SockperfOutput o, string message, SockperfErrorKind kind) =>
        o.ErrorKind != SockperfErrorKind.None ? o : o with { ErrorKind = kind, ErrorMessage = message };

    private static double? Dbl(string s) => InvariantNumber.Double(s);

    private static long? Long(string s) => InvariantNumber.Long(s);

    private static double? Dbl(Dictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out string? s) ? Dbl(s) : null;

    private static long? Long(Dictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out string? s) ? Long(s) : null;
}
