using System.Globalization;
using System.Text.RegularExpressions;

namespace OnloadTools.Latency;

/// <summary>
/// Parses what netperf prints: the banner, -k KEY=value, -o CSV, -O columns, the classic tables, the
/// confidence warning block and netperf's error messages. Never throws: text it does not understand
/// gives <see cref="NetperfOutputFormat.Unknown"/>.
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

    public static NetperfOutput Parse(string? stdout, string? stderr = null)
    {
        try
        {
            return ParseCore((stdout ?? "") + (string.IsNullOrEmpty(stderr) ? "" : "\n" + stderr));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Defensive: a parser bug must never turn into a stack trace for the user.
            return new NetperfOutput { Format = NetperfOutputFormat.Unknown, ErrorKind = NetperfErrorKind.Other, ErrorMessage = "netperf output could not be parsed: " + e.Message };
        }
    }

    private static NetperfOutput ParseCore(string text)
    {
        string[] lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        var warnings = new List<string>();

        NetperfBanner? banner = FindBanner(lines, out int bannerEnd);
        var (confidenceAchieved, reportedInterval) = ParseConfidenceWarning(lines, warnings);
        var (errorKind, errorMessage) = FindError(lines);

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var format = NetperfOutputFormat.Unknown;

        if (ParseKeyValue(lines, values))
        {
            format = NetperfOutputFormat.KeyValue;
        }
        else if (ParseCsv(lines, bannerEnd, values))
        {
            format = NetperfOutputFormat.Csv;
        }
        else if (ParseClassic(lines, bannerEnd, banner, values))
        {
            format = NetperfOutputFormat.Classic;
        }
        else if (ParseColumns(lines, bannerEnd, values))
        {
            format = NetperfOutputFormat.Columns;
        }
        else if (ParseBrief(lines, bannerEnd, values))
        {
            format = NetperfOutputFormat.Classic;
        }

        ParseHistogramTotal(lines, values);

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
            format = NetperfOutputFormat.Unknown;
        }

        return new NetperfOutput
        {
            Format = format,
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

    private static NetperfBanner? FindBanner(string[] lines, out int bannerEnd)
    {
        bannerEnd = -1;
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
            bannerEnd = end;
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
                ConfidenceLevel = conf.Success && TryNumber(conf.Groups["level"].Value, out double lvl) ? lvl : null,
                ConfidenceWidth = conf.Success && TryNumber(conf.Groups["width"].Value, out double w) ? w * 2 : null,
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
            "TCP REQUEST/RESPONSE" => "TCP_RR",
            "UDP REQUEST/RESPONSE" => "UDP_RR",
            "TCP CONNECT/REQUEST/RESPONSE" => "TCP_CRR",
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
            if (m.Success && TryNumber(m.Groups["v"].Value, out double v)) interval = v;
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

    private static bool ParseKeyValue(string[] lines, Dictionary<string, string> values)
    {
        bool any = false;
        foreach (string raw in lines)
        {
            var m = KeyValueRegex().Match(raw.Trim());
            if (!m.Success) continue;
            string v = m.Groups["v"].Value.Trim();
            if (v.Length >= 2 && v[0] == '"' && v[^1] == '"') v = v[1..^1];
            values[m.Groups["k"].Value] = v;
            any = true;
        }
        return any;
    }

    // ------------------------------------------------------------------ -o CSV

    private static bool ParseCsv(string[] lines, int bannerEnd, Dictionary<string, string> values)
    {
        for (int i = Math.Max(0, bannerEnd + 1); i < lines.Length; i++)
        {
            string row = lines[i].Trim();
            if (!row.Contains(',')) continue;
            string[] cells = row.Split(',');
            if (cells.Length < 2 || !TryNumber(cells[0].Trim(), out _)) continue;
            if (cells.Count(c => TryNumber(c.Trim(), out _)) < (cells.Length + 1) / 2) continue;

            // Header: the line(s) just above, joined when a capture hard-wrapped them.
            string header = "";
            for (int j = i - 1; j > bannerEnd && j >= 0; j--)
            {
                string h = lines[j].Trim();
                if (h.Length == 0) break;
                if (j - 1 <= bannerEnd || lines[j - 1].Trim().Length == 0)
                {
                    // The header cannot grow further. netperf 2.6 sometimes prints one value more than titles
                    // (a trailing MSS): keep the titled ones, name the rest by position.
                    string whole = h + (header.Length == 0 ? "" : (h.EndsWith(',') ? "" : " ") + header);
                    string[] titles = whole.Split(',');
                    if (titles.Length >= 2 && titles.Length <= cells.Length && !TryNumber(titles[0].Trim(), out _))
                    {
                        for (int c = 0; c < cells.Length; c++)
                        {
                            string key = c < titles.Length ? SelectorFromTitle(titles[c]) : "COLUMN_" + (c + 1).ToString(CultureInfo.InvariantCulture);
                            values[key] = cells[c].Trim();
                        }
                        return true;
                    }
                }
                header = header.Length == 0 ? h : h + (h.EndsWith(',') ? "" : " ") + header;
                string[] names = header.Split(',');
                if (names.Length == cells.Length && !TryNumber(names[0].Trim(), out _))
                {
                    for (int c = 0; c < cells.Length; c++)
                    {
                        values[SelectorFromTitle(names[c])] = cells[c].Trim();
                    }
                    return true;
                }
                if (names.Length > cells.Length) break;
            }
        }
        return false;
    }

    /// <summary>Maps netperf's human titles ("99th Percentile Latency Microseconds") to selector names (P99_LATENCY).</summary>
    public static string SelectorFromTitle(string title)
    {
        string t = Regex.Replace(title.ToLowerInvariant(), @"\s+", " ").Trim();
        var pct = Regex.Match(t, @"(\d+(?:\.\d+)?)(st|nd|rd|th) percentile");
        if (pct.Success) return "P" + pct.Groups[1].Value.Replace(".", "") + "_LATENCY";
        if (t.Contains("minimum") && t.Contains("latency")) return "MIN_LATENCY";
        if (t.Contains("maximum") && t.Contains("latency")) return "MAX_LATENCY";
        if (t.Contains("stddev") && t.Contains("latency")) return "STDDEV_LATENCY";
        if (t.Contains("mean") && t.Contains("latency")) return "MEAN_LATENCY";
        if (t.Contains("round trip latency") || t.Contains("roundtrip latency")) return "RT_LATENCY";
        if (t.Contains("transaction rate")) return "TRANSACTION_RATE";
        if (t.Contains("throughput units")) return "THROUGHPUT_UNITS";
        if (t.Contains("confidence width")) return "THROUGHPUT_CONFID";
        if (t.Contains("confidence iterations")) return "CONFIDENCE_ITERATION";
        if (t.Contains("confidence level")) return "CONFIDENCE_LEVEL";
        if (t.StartsWith("throughput")) return "THROUGHPUT";
        if (t.Contains("local transport retransmissions")) return "LOCAL_TRANSPORT_RETRANS";
        if (t.Contains("remote transport retransmissions")) return "REMOTE_TRANSPORT_RETRANS";
        if (t.Contains("transport mss")) return "TRANSPORT_MSS";
        if (t.Contains("request size")) return "REQUEST_SIZE";
        if (t.Contains("response size")) return "RESPONSE_SIZE";
        if (t.Contains("elapsed time")) return "ELAPSED_TIME";
        return Regex.Replace(t.ToUpperInvariant(), @"[^A-Z0-9]+", "_").Trim('_');
    }

    // ------------------------------------------------------------------ -O columns

    private static bool ParseColumns(string[] lines, int bannerEnd, Dictionary<string, string> values)
    {
        // The value row is the first line after the header block whose tokens are all numbers (or unit words).
        int start = Math.Max(0, bannerEnd + 1);
        for (int i = start; i < lines.Length; i++)
        {
            string row = lines[i].TrimEnd();
            var tokens = Tokens(row);
            if (tokens.Count == 0 || !tokens.All(t => TryNumber(t.Text, out _) || IsUnitWord(t.Text))) continue;
            if (!TryNumber(tokens[0].Text, out _)) continue;
            var headerLines = lines.Skip(start).Take(i - start).Where(l => l.Trim().Length > 0).ToArray();
            if (headerLines.Length == 0) return false;

            var titles = new string[tokens.Count];
            for (int c = 0; c < titles.Length; c++) titles[c] = "";
            foreach (string h in headerLines)
            {
                foreach (var word in Tokens(h))
                {
                    int col = 0;
                    for (int c = 0; c < tokens.Count; c++)
                    {
                        if (tokens[c].Start <= word.Start + 1) col = c;
                    }
                    titles[col] = (titles[col] + " " + word.Text).Trim();
                }
            }
            if (titles.Any(t => t.Length == 0)) return false;
            for (int c = 0; c < tokens.Count; c++)
            {
                values[SelectorFromTitle(titles[c])] = tokens[c].Text;
            }
            return true;
        }
        return false;
    }

    private static bool IsUnitWord(string s) => s is "Trans/s" or "Tran/s" or "10^6bits/s" or "10^9bits/s" or "10^3bits/s" or "MBytes/s" or "KBytes/s" or "GBytes/s";

    private readonly record struct Token(int Start, string Text);

    private static List<Token> Tokens(string line)
    {
        var list = new List<Token>();
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            int s = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i])) i++;
            if (i > s) list.Add(new Token(s, line[s..i]));
        }
        return list;
    }

    // ------------------------------------------------------------------ classic tables

    private static bool ParseClassic(string[] lines, int bannerEnd, NetperfBanner? banner, Dictionary<string, string> values)
    {
        if (banner?.TestName is null) return false;
        bool rr = banner.TestName is "TCP_RR" or "UDP_RR" or "TCP_CRR" or "TCP_TRR";
        int i = Math.Max(0, bannerEnd + 1);
        string headerBlock = "";
        for (; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            bool numeric = tokens.Length >= 4 && tokens.All(t => TryNumber(t, out _));
            if (!numeric)
            {
                if (line.StartsWith("Alignment", StringComparison.Ordinal)) break;
                if (!line.StartsWith("!!!", StringComparison.Ordinal)) headerBlock += " " + line;
                continue;
            }
            if (!headerBlock.Contains("Elapsed", StringComparison.Ordinal)) return false;
            if (rr && tokens.Length >= 6)
            {
                values["REQUEST_SIZE"] = tokens[2];
                values["RESPONSE_SIZE"] = tokens[3];
                values["ELAPSED_TIME"] = tokens[4];
                if (headerBlock.Contains("Trans.", StringComparison.Ordinal)) values["TRANSACTION_RATE"] = tokens[5];
                else
                {
                    values["THROUGHPUT"] = tokens[5];
                    var unit = Regex.Match(headerBlock, @"(10\^\d+bits/sec|[KMG]Bytes/sec)");
                    if (unit.Success) values["THROUGHPUT_UNITS"] = unit.Value.Replace("/sec", "/s");
                }
                if (tokens.Length >= 8 && headerBlock.Contains("CPU", StringComparison.Ordinal))
                {
                    values["LOCAL_CPU_UTIL"] = tokens[6];
                    values["REMOTE_CPU_UTIL"] = tokens[7];
                    if (tokens.Length >= 10)
                    {
                        values["LOCAL_SD"] = tokens[8];
                        values["REMOTE_SD"] = tokens[9];
                    }
                }
                ParseVerboseRoundTrip(lines, i + 1, values);
                return true;
            }
            if (!rr && tokens.Length >= 4)
            {
                string? elapsed = tokens.FirstOrDefault(t => t.Contains('.'));
                if (elapsed is not null) values["ELAPSED_TIME"] = elapsed;
                values["THROUGHPUT"] = tokens[^1];
                var unit = Regex.Match(headerBlock, @"(10\^\d+bits/sec|[KMG]Bytes/sec)");
                if (unit.Success) values["THROUGHPUT_UNITS"] = unit.Value.Replace("/sec", "/s");
                return true;
            }
            return false;
        }
        return false;
    }

    /// <summary>-v 2 adds a "RoundTrip Latency usec/Tran" table after the main one.</summary>
    private static void ParseVerboseRoundTrip(string[] lines, int from, Dictionary<string, string> values)
    {
        bool header = false;
        for (int i = from; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Contains("RoundTrip", StringComparison.Ordinal)) { header = true; continue; }
            if (!header) continue;
            var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length >= 6 && tokens.All(t => TryNumber(t, out _)))
            {
                values["RT_LATENCY"] = tokens[4];
                values["TRANSACTION_RATE"] = tokens[5];
                return;
            }
        }
    }

    // ------------------------------------------------------------------ -P 0 / -v 0 brief lines

    private static bool ParseBrief(string[] lines, int bannerEnd, Dictionary<string, string> values)
    {
        // "-v 0 -P 0" prints one number per run, optionally followed by the -B brand string.
        foreach (string raw in lines.Skip(Math.Max(0, bannerEnd + 1)))
        {
            string line = raw.Trim();
            if (line.Length == 0) continue;
            var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length >= 1 && TryNumber(tokens[0], out _) && (tokens.Length == 1 || !TryNumber(tokens[1], out _)))
            {
                values["THROUGHPUT"] = tokens[0];
                if (tokens.Length > 1) values["BRAND"] = string.Join(" ", tokens.Skip(1));
                return true;
            }
            return false;
        }
        return false;
    }

    // ------------------------------------------------------------------ histogram

    private static void ParseHistogramTotal(string[] lines, Dictionary<string, string> values)
    {
        foreach (string raw in lines)
        {
            string line = raw.Trim();
            if (line.StartsWith("HIST_TOTAL:", StringComparison.Ordinal))
            {
                values["HIST_TOTAL"] = line["HIST_TOTAL:".Length..].Trim();
            }
        }
    }

    // ------------------------------------------------------------------ numbers

    public static bool TryNumber(string? s, out double value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(s)) return false;
        s = s.Trim();
        if (s.Length > 64) return false;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return false;
        return !double.IsNaN(value) && !double.IsInfinity(value);
    }
}
