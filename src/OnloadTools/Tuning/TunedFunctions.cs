using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;
using OnloadTools.Host;

namespace OnloadTools.Tuning;

/// <summary>
/// tuned's built-in profile functions, ${f:NAME:ARG:ARG…}, evaluated the way tuned's loader does: innermost call
/// first, arguments split at ':' not preceded by '\' (then "\:" becomes ':'), a call escaped as \${f:…} left alone
/// and unescaped at the end. The pure ones and those that only read the host (online CPUs) are evaluated; those
/// that run programs or probe hardware (exec, virt_check, check_net_queue_count, lscpu_check, cpuinfo_check,
/// package2cpus, intel_recommended_pstate …) are left as written, and so is a call tuned would reject (wrong argument count).
/// A failed assertion is recorded: tuned refuses to load such a profile.
/// </summary>
internal sealed partial class TunedFunctions
{
    private readonly HostFileSystem _fs;
    private readonly List<string> _failedAssertions = new();

    public TunedFunctions(HostFileSystem fs) { _fs = fs; }

    /// <summary>Messages of assertions that failed while expanding (tuned aborts loading the profile on each).</summary>
    public IReadOnlyList<string> FailedAssertions => _failedAssertions;

    /// <summary>Expands every ${f:…} call in <paramref name="s"/>; never throws.</summary>
    public string Expand(string s)
    {
        if (string.IsNullOrEmpty(s)) return s;
        string text = s;
        var stack = new Stack<(bool Escaped, int Start)>();
        bool escaped = false;
        int cnt = 0;
        while (cnt < text.Length)
        {
            if (text[cnt] == '}')
            {
                if (!stack.TryPop(out var open)) break;                 // unpaired '}': tuned stops here
                if (!open.Escaped && Call(text[open.Start..cnt]) is { } result)
                {
                    text = text[..open.Start] + result + text[(cnt + 1)..];
                    cnt = Math.Max(0, open.Start + result.Length - 1);   // on the last character of the result
                }
            }
            else if (text[cnt] == '$' && cnt + 1 < text.Length && text[cnt + 1] == '{')
            {
                stack.Push((escaped, cnt));
            }
            escaped = cnt < text.Length && text[cnt] == '\\';
            cnt++;
        }
        return EscapedCall().Replace(text, "$1");
    }

    [GeneratedRegex(@"\\(\$\{f:.*\})", RegexOptions.CultureInvariant)]
    private static partial Regex EscapedCall();

    [GeneratedRegex(@"(?<!\\):", RegexOptions.CultureInvariant)]
    private static partial Regex ArgumentSeparator();

    /// <summary>The value of one call "${f:name:args" (without the closing brace), or null to leave it as written.</summary>
    private string? Call(string body)
    {
        // An inner call left as written (exec, virt_check …): tuned would have its value here; keep the whole call.
        for (int at = body.IndexOf("${f:", 2, StringComparison.Ordinal); at >= 0; at = body.IndexOf("${f:", at + 1, StringComparison.Ordinal))
        {
            if (body[at - 1] != '\\') return null;
        }
        string[] parts = ArgumentSeparator().Split(body).Select(p => p.Replace("\\:", ":")).ToArray();
        if (parts.Length < 2 || parts[0] != "${f" || !Regex.IsMatch(parts[1], @"^\w+$")) return null;
        string[] args = parts[2..];
        try
        {
            return parts[1] switch
            {
                "strip" when args.Length >= 1 => string.Concat(args).Trim(),
                "cpulist_unpack" => Join(Unpack(string.Join(",,", args))),
                "cpulist_pack" => Pack(Unpack(string.Join(",,", args))),
                "cpulist2hex" => ToHex(Unpack(string.Join(",,", args))),
                "cpulist2hex_invert" => ToHex(Online().Except(Unpack(string.Join(",,", args))).Order()),
                "hex2cpulist" when args.Length == 1 => Join(CpuList.ParseMask(args[0])),
                "cpulist_invert" => Join(Online().Except(Unpack(string.Join(",,", args))).Order()),
                "cpulist_online" => Join(Unpack(string.Join(",", args)).Where(Online().Contains)),
                "cpulist_present" => Join(Unpack(string.Join(",,", args)).Where(Present().Contains)),
                "regex_search_ternary" when args.Length == 4 =>
                    Regex.IsMatch(args[0], args[1], RegexOptions.None, TimeSpan.FromSeconds(1)) ? args[2] : args[3],
                "calc_isolated_cores" when args.Length <= 1 => CalcIsolatedCores(args),
                "assertion" when args.Length == 3 => Assert(args[1] == args[2], args[0]),
                "assertion_non_equal" when args.Length == 3 => Assert(args[1] != args[2], args[0]),
                _ => null,
            };
        }
        catch (ArgumentException) { return null; }                   // an invalid regex: tuned logs and keeps the text
        catch (RegexMatchTimeoutException) { return null; }
    }

    /// <summary>tuned's assertions expand to nothing (the call stays as written) and abort loading when false.</summary>
    private string? Assert(bool holds, string message)
    {
        if (!holds) _failedAssertions.Add(message);
        return null;
    }

    /// <summary>Every CPU but the first N (default 1) of each socket, by /sys/devices/system/cpu/cpu*/topology/physical_package_id.</summary>
    private string? CalcIsolatedCores(string[] args)
    {
        int reserve = 1;
        if (args.Length == 1 && (!args[0].All(char.IsAsciiDigit) || args[0].Length == 0 || !int.TryParse(args[0], out reserve))) return null;
        var sockets = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (string entry in _fs.List("/sys/devices/system/cpu"))
        {
            if (entry.Length < 4 || !entry.StartsWith("cpu", StringComparison.Ordinal) || !entry[3..].All(char.IsAsciiDigit)) continue;
            if (!int.TryParse(entry[3..], NumberStyles.None, CultureInfo.InvariantCulture, out int cpu)) continue;
            string? socket = _fs.ReadText($"/sys/devices/system/cpu/{entry}/topology/physical_package_id")?.Trim();
            if (socket is null || socket.Length == 0 || !socket.All(char.IsAsciiDigit)) continue;   // offline CPU
            if (!sockets.TryGetValue(socket, out var list)) sockets[socket] = list = new List<int>();
            list.Add(cpu);
        }
        var isolated = sockets.Values.SelectMany(l => l.Order().Skip(reserve)).Order().ToArray();
        return Pack(isolated);
    }

    private int[] Online() => Unpack(_fs.ReadText("/sys/devices/system/cpu/online")?.Trim() ?? "");

    private int[] Present() => Unpack(_fs.ReadText("/sys/devices/system/cpu/present")?.Trim() ?? "");

    private static string Join(IEnumerable<int> cpus) => string.Join(',', cpus.Select(c => c.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// tuned's CPU list syntax: "1-3,5", hex masks prefixed by 0x whose own commas are kept until a ",," ends them,
    /// "^N"/"!N" (or ranges) removed after expansion, surrounding quotes stripped. Anything invalid: an empty list.
    /// </summary>
    public static int[] Unpack(string list)
    {
        string[] items = list.Trim('\'', '"').Split(',');
        var values = new List<string>();
        var negated = new List<int>();
        bool inMask = false;
        var mask = new StringBuilder();
        foreach (string item in items)
        {
            if (inMask)
            {
                if (item.Length == 0) { inMask = false; values.Add(mask.ToString()); mask.Clear(); }
                else mask.Append(item);
            }
            else if (item.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            {
                inMask = true;
                mask.Append(item);
            }
            else if (item.Length > 0 && (item[0] == '^' || item[0] == '!'))
            {
                if (!TryRange(item[1..], out int lo, out int hi)) return Array.Empty<int>();
                for (int c = lo; c <= hi; c++) negated.Add(c);
            }
            else if (item.Length > 0)
            {
                values.Add(item);
            }
        }
        if (mask.Length > 0) values.Add(mask.ToString());

        var cpus = new SortedSet<int>();
        foreach (string v in values)
        {
            if (v.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            {
                cpus.UnionWith(CpuList.ParseMask(v));
                continue;
            }
            if (!TryRange(v, out int lo, out int hi)) return Array.Empty<int>();
            for (int c = lo; c <= hi; c++) cpus.Add(c);
        }
        cpus.ExceptWith(negated);
        return cpus.ToArray();
    }

    private static bool TryRange(string s, out int lo, out int hi)
    {
        string[] ends = s.Split('-');
        lo = hi = 0;
        if (ends.Length > 2 || !int.TryParse(ends[0].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out lo)) return false;
        if (ends.Length == 1) { hi = lo; return lo is >= 0 and <= 8191; }
        return int.TryParse(ends[1].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out hi)
            && lo >= 0 && hi <= 8191;
    }

    /// <summary>"0-3,5" packs to "0-3,5"; an empty list stays empty.</summary>
    public static string Pack(IReadOnlyList<int> cpus)
    {
        var parts = new List<string>();
        for (int i = 0; i < cpus.Count;)
        {
            int j = i;
            while (j + 1 < cpus.Count && cpus[j + 1] - cpus[j] == 1) j++;
            parts.Add(j > i ? $"{cpus[i]}-{cpus[j]}" : cpus[i].ToString(CultureInfo.InvariantCulture));
            i = j + 1;
        }
        return string.Join(',', parts);
    }

    /// <summary>A CPU mask as tuned writes it: lowercase hex, zero-padded to 32-bit words joined by commas.</summary>
    public static string ToHex(IEnumerable<int> cpus)
    {
        BigInteger m = BigInteger.Zero;
        foreach (int c in cpus) m |= BigInteger.One << c;
        string hex = m.ToString("x", CultureInfo.InvariantCulture).TrimStart('0');   // BigInteger may lead with a 0
        if (hex.Length == 0) hex = "0";
        int width = (hex.Length + 7) / 8 * 8;
        hex = hex.PadLeft(width, '0');
        return string.Join(',', Enumerable.Range(0, width / 8).Select(w => hex.Substring(w * 8, 8)));
    }
}
