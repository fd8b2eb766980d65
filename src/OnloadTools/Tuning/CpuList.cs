using System.Globalization;
using System.Text;

namespace OnloadTools.Tuning;

// Public: the NicCpuAffinity table view formats CPU lists with it.
/// <summary>Linux CPU lists ("0-3,8,10-11") and hex masks ("00000000,0000ff00") as sorted CPU numbers.</summary>
public static class CpuList
{
    /// <summary>Parses a CPU list; invalid parts are skipped (never throws). Ranges with strides ("0-7:2") are understood.</summary>
    public static int[] Parse(string? text)
    {
        var cpus = new SortedSet<int>();
        if (string.IsNullOrWhiteSpace(text)) return Array.Empty<int>();
        foreach (string raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string part = raw;
            int stride = 1;
            int colon = part.IndexOf(':');
            if (colon >= 0)
            {
                // "0-7:2" (every 2nd) or the kernel's "0-7:1/2" group form: keep the first number only.
                string s = part[(colon + 1)..];
                int slash = s.IndexOf('/');
                if (slash >= 0) s = s[..slash];
                if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out stride) || stride < 1) continue;
                part = part[..colon];
            }
            int dash = part.IndexOf('-');
            if (dash < 0)
            {
                if (TryCpu(part, out int one)) cpus.Add(one);
                continue;
            }
            if (!TryCpu(part[..dash], out int lo) || !TryCpu(part[(dash + 1)..], out int hi) || hi < lo) continue;
            for (int c = lo; c <= hi; c += stride) cpus.Add(c);
        }
        return cpus.ToArray();
    }

    private static bool TryCpu(string s, out int cpu) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out cpu) && cpu <= 8191;

    /// <summary>Formats CPUs as a compact list: 0-3,8,10-11.</summary>
    public static string Format(IEnumerable<int> cpus)
    {
        var sorted = cpus.Distinct().Order().ToArray();
        var sb = new StringBuilder();
        for (int i = 0; i < sorted.Length;)
        {
            int j = i;
            while (j + 1 < sorted.Length && sorted[j + 1] == sorted[j] + 1) j++;
            if (sb.Length > 0) sb.Append(',');
            sb.Append(sorted[i].ToString(CultureInfo.InvariantCulture));
            if (j > i) sb.Append(j == i + 1 ? ',' : '-').Append(sorted[j].ToString(CultureInfo.InvariantCulture));
            i = j + 1;
        }
        return sb.ToString();
    }

    /// <summary>Parses a CPU mask ("ff", "0xff", "00000000,0000000f"); the rightmost word holds CPUs 0-31. Invalid: none.</summary>
    public static int[] ParseMask(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Array.Empty<int>();
        var cpus = new List<int>();
        string hex = text.Trim().Replace(",", "");
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) hex = hex[2..];
        for (int i = 0; i < hex.Length; i++)
        {
            char ch = hex[hex.Length - 1 - i];
            if (!Uri.IsHexDigit(ch)) return Array.Empty<int>();
            int nibble = Convert.ToInt32(ch.ToString(), 16);
            for (int b = 0; b < 4; b++)
            {
                if ((nibble & (1 << b)) != 0) cpus.Add(i * 4 + b);
            }
        }
        return cpus.ToArray();
    }
}
