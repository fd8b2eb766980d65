using System.Globalization;
using System.Text.RegularExpressions;

namespace OnloadTools.Latency;

/// <summary>
/// Parses what netperf prints when run as Measure-NetperfLatency runs it (omni output selectors with -- -k): the
/// banner, the KEY=value lines, the confidence warning block and netperf's error messages. Never throws: text it
/// does not understand gives an output without values. netperf's other formats (-o CSV, -O columns, the classic
/// tables) are not read: the module never asks for them.
/// </summary>
internal static partial class NetperfParser
{
    /// <summary>The output selectors Measure-NetperfLatency asks for with -- -k.</summary>
    public static readonly string[] LatencySelectors =
    {
        "MIN_LATENCY", "MEAN_LATENCY", "P50_LATENCY", "P90_LATENCY", "P99_LATENCY", "MAX_LATENCY", "STDDEV_LATENCY",
        "RT_LATENCY", "TRANSACTION_RATE", "THROUGHPUT", "THROUGHPUT_UNITS", "THROUGHPUT_CONFID", "CONFIDENCE_LEVEL",
        "CONFIDENCE_ITERATION", "LOCAL_CPU_BIND", "REMOTE_CPU_BIND", "REQUEST_SIZE", "RESPONSE_SIZE", "ELAPSED_TIME",
        "PROTOCOL",
    };

    /// <summary>
    /// The message of a netperf that failed: its command line, exit code and what it said on both streams. netperf
    /// prints many of its own errors on stdout: netlib's "netperf: remote error 11" is fprintf(where = stdout) followed
    /// by perror("") on stderr ("Resource temporarily unavailable"), so stderr alone loses the half that says what
    /// failed. The banner and KEY=value result lines are left out; each stream's lines are joined by a space, the
    /// two streams by ": ".
    /// </summary>
    public static string FailureMessage(OnloadTools.Processes.ToolResult result)
    {
        static string Said(string? text, bool isStdout) => string.Join(" ", (text ?? "").Replace("\r\n", "\n").Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !(isStdout && (KeyValueRegex().IsMatch(l) || (l.Contains(" TEST", StringComparison.Ordinal) && BannerRegex().IsMatch(l))))));
        string said = string.Join(": ", new[] { Said(result.StandardOutput, true), Said(result.StandardError, false) }.Where(s => s.Length > 0));
        if (said.Length > 2000) said = said[..2000] + " …";
        return $"netperf failed: '{result.CommandLine}' exited with code {result.ExitCode}" + (said.Length > 0 ? $": {said}" : ".");
    }

    public static NetperfOutput Parse(string? stdout, string? stderr = null)
    {
        try
        {
            return ParseCore((stdout ?? "") + (string.IsNullOrEmpty(stderr) ? "" : "\n" + stderr));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Defensive: a parser bug must never turn into a stack trace for the user.
            return new NetperfOutput { ErrorKind = NetperfErrorKind.Other, ErrorMessage = "netperf output could not be parsed: " + e.Message };
        }
    }

    private static NetperfOutput ParseCore(string text)
    {
        string[] lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        var warnings = new List<string>();

        NetperfBanner? banner = FindBanner(lines);
        var (confidenceAchieved, reportedInterval) = ParseConfidenceWarning(lines, warnings);
        var (errorKind, errorMessage) = FindError(lines);

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        ParseKeyValue(lines, values);

        // An error line printed next to a result (for example a warning from a remote netserver) is a warning, not a failure.
        if (values.Count > 0 && errorKind == NetperfErrorKind.Other)
        {
            warnings.Add(errorMessage!);
            errorKind = NetperfErrorKind.None;
            errorMessage = null;
        }
        if (values.Count > 0 && errorKind == NetperfErrorKind.Connection)
        {
            // netperf never prints a result after failing to establish control; trust the error.
            values.Clear();
        }

        return new NetperfOutput
        {
            Banner = banner,
            Values = values,
            Warnings = warnings,
            ConfidenceAchieved = confidenceAchieved,
            ReportedConfidenceInterval = reportedInterval,
            ErrorKind = errorKind,
            ErrorMessage = errorMessage,
        };
    }

    // ------------------------------------------------------------------ banner

    [GeneratedRegex(@"^(?<migrated>MIGRATED\s+)?(?<name>.+?)\s+TEST\b(?:\s+from\s+.*?\bto\s+(?<host>\S+))?", RegexOptions.CultureInvariant)]
    private static partial Regex BannerRegex();

    [GeneratedRegex(@"\+/-(?<width>[0-9.]+)%\s*@\s*(?<level>[0-9.]+)%\s*conf", RegexOptions.CultureInvariant)]
    private static partial Regex BannerConfidenceRegex();

    [GeneratedRegex(@"\b(AF_INET6|AF_INET|AF_UNSPEC)\b", RegexOptions.CultureInvariant)]
    private static partial Regex FamilyRegex();

    private static NetperfBanner? FindBanner(string[] lines)
    {
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (!line.Contains(" TEST", StringComparison.Ordinal) || line.Contains('=')) continue;
            var m = BannerRegex().Match(line);
            if (!m.Success) continue;
            // A wrapped banner (some captures hard-wrap at 80 columns) continues until the AF_ family appears.
            string full = line;
            int end = i;
            while (end + 1 < lines.Length && end - i < 2 && lines[end + 1].Trim().Length > 0
                   && (!FamilyRegex().IsMatch(full) || full.EndsWith(" to", StringComparison.Ordinal)))
            {
                end++;
                full += " " + lines[end].Trim();
            }
            if (!FamilyRegex().IsMatch(full))
            {
                full = line;
                end = i;
            }
            m = BannerRegex().Match(full);
            string name = m.Groups["name"].Value.Trim();
            string? host = m.Groups["host"].Success ? m.Groups["host"].Value : null;
            var conf = BannerConfidenceRegex().Match(full);
            string[] tail = full.Split(" : ", StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            return new NetperfBanner
            {
                Text = full,
                Migrated = m.Groups["migrated"].Success,
                TestName = TestNameFromBanner(name),
                RemoteHost = host,
                AddressFamily = FamilyRegex().Match(full) is { Success: true } f ? f.Value : null,
                ConfidenceLevel = conf.Success ? InvariantNumber.Double(conf.Groups["level"].Value) : null,
                ConfidenceWidth = conf.Success ? InvariantNumber.Double(conf.Groups["width"].Value) * 2 : null,
                Flags = tail.Skip(1).ToArray(),
            };
        }
        return null;
    }

    /// <summary>
    /// Null when the banner names <paramref name="requestedTest"/> (or names no test this module knows); else why the
    /// output is not a result of that test: a netperf that ran TCP_STREAM when TCP_RR was asked would otherwise
    /// be read as a request/response result (its TRANSACTION_RATE=1 becomes a one-second round trip).
    /// </summary>
    public static string? TestMismatch(NetperfOutput output, string requestedTest)
    {
        string? ran = output.Banner?.TestName;
        if (ran is null || ran == "OMNI" || string.Equals(ran, requestedTest, StringComparison.OrdinalIgnoreCase)) return null;
        return $"netperf was asked for {requestedTest.ToUpperInvariant()} but its banner says it ran {ran} (\"{output.Banner!.Text}\"): its figures are not {requestedTest.ToUpperInvariant()} latencies and were not stored.";
    }

    private static string? TestNameFromBanner(string name)
    {
        string n = Regex.Replace(name.ToUpperInvariant(), @"\s+", " ");
        return n switch
        {
            "TCP REQUEST/RESPONSE" => NetperfRequest.TcpRr,
            "UDP REQUEST/RESPONSE" => NetperfRequest.UdpRr,
            "TCP CONNECT/REQUEST/RESPONSE" => NetperfRequest.TcpCrr,
            "TCP TRANSACTION/RESPONSE" => "TCP_TRR",
            "TCP STREAM" => "TCP_STREAM",
            "TCP MAERTS" => "TCP_MAERTS",
            "TCP SENDFILE" => "TCP_SENDFILE",
            "UDP UNIDIRECTIONAL SEND" or "UDP STREAM" => "UDP_STREAM",
            "OMNI" => "OMNI",
            _ => null,
        };
    }

    // ------------------------------------------------------------------ warnings and errors

    [GeneratedRegex(@"Confidence intervals:\s*Throughput\s*:\s*(?<v>[0-9.]+)%", RegexOptions.CultureInvariant)]
    private static partial Regex ConfidenceIntervalRegex();

    private static (bool?, double?) ParseConfidenceWarning(string[] lines, List<string> warnings)
    {
        bool inBlock = false;
        bool? achieved = null;
        double? interval = null;
        foreach (string raw in lines)
        {
            string line = raw.Trim();
            if (!line.StartsWith("!!!", StringComparison.Ordinal)) { inBlock = false; continue; }
            inBlock = true;
            if (line.Contains("confidence was not achieved", StringComparison.OrdinalIgnoreCase)) achieved = false;
            var m = ConfidenceIntervalRegex().Match(line);
            if (m.Success && InvariantNumber.Double(m.Groups["v"].Value) is double v) interval = v;
        }
        _ = inBlock;
        if (achieved == false)
        {
            warnings.Add("Desired confidence was not achieved within the specified iterations" +
                         (interval is null ? "." : $" (throughput confidence interval {interval.Value.ToString(CultureInfo.InvariantCulture)}%)."));
        }
        return (achieved, interval);
    }

    [GeneratedRegex(@"The test you requested \((?<t>[^)]*)\) is unknown", RegexOptions.CultureInvariant)]
    private static partial Regex UnknownTestRegex();

    [GeneratedRegex(@"(\berror\b|could not|cannot|unable to|too small|failed|refused|no route|unknown host|not resolve|bad )", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ErrorWordRegex();

    private static (NetperfErrorKind, string?) FindError(string[] lines)
    {
        string all = string.Join("\n", lines);
        var unknown = UnknownTestRegex().Match(all);
        if (unknown.Success)
        {
            return (NetperfErrorKind.UnknownTest, $"The test '{unknown.Groups["t"].Value}' is unknown to this netperf.");
        }
        var connection = lines.Where(l => l.Contains("establish control", StringComparison.Ordinal)
                                          || l.Contains("establish_control", StringComparison.Ordinal)
                                          || l.Contains("are you sure there is a netserver", StringComparison.Ordinal)
                                          || l.Contains("could not resolve", StringComparison.OrdinalIgnoreCase)
                                          || l.Contains("getaddrinfo", StringComparison.Ordinal))
                              .Select(l => l.Trim()).ToArray();
        if (connection.Length > 0)
        {
            return (NetperfErrorKind.Connection, string.Join(" ", connection));
        }
        var other = lines.Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith("!!!", StringComparison.Ordinal) && !l.Contains('=')
                        && !l.StartsWith("oo:", StringComparison.Ordinal) && !l.StartsWith("onload:", StringComparison.Ordinal)
                        && !l.Contains(" TEST from ", StringComparison.Ordinal)
                        && ErrorWordRegex().IsMatch(l))
            .ToArray();
        return other.Length > 0 ? (NetperfErrorKind.Other, string.Join(" ", other)) : (NetperfErrorKind.None, null);
    }

    // ------------------------------------------------------------------ -k KEY=value

    [GeneratedRegex(@"^(?<k>[A-Z][A-Z0-9_]*(?:\[\d+\])?)=(?<v>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyValueRegex();

    private static void ParseKeyValue(string[] lines, Dictionary<string, string> values)
    {
        foreach (string raw in lines)
        {
            var m = KeyValueRegex().Match(raw.Trim());
            if (!m.Success) continue;
            string v = m.Groups["v"].Value.Trim();
            if (v.Length >= 2 && v[0] == '"' && v[^1] == '"') v = v[1..^1];
            values[m.Groups["k"].Value] = v;
        }
    }
}
