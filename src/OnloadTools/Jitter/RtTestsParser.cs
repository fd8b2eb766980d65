using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OnloadTools.Jitter;

/// <summary>What one rt-tests tool measured on one CPU, before it becomes a public result.</summary>
internal sealed class CpuJitter
{
    public int Cpu { get; init; }
    public double Minimum { get; init; }
    public double Average { get; init; }
    public double Maximum { get; init; }
    /// <summary>Loops (oslat) or wake-ups (cyclictest) counted; null when the output does not say.</summary>
    public long? Samples { get; init; }
    /// <summary>Latency bucket in µs → count, in-range buckets only (empty when the tool printed none).</summary>
    public SortedDictionary<int, long> Histogram { get; init; } = new();
    /// <summary>Samples beyond the histogram's last bucket (cyclictest), or counted in oslat's last bucket "including overflows".</summary>
    public long Overflows { get; init; }
    /// <summary>The histogram's range: its last bucket in µs (0 when there is no histogram).</summary>
    public int HistogramLimit { get; init; }
    /// <summary>How long this CPU was measured, in seconds, when the tool says (oslat).</summary>
    public double? DurationSeconds { get; init; }
    /// <summary>oslat: the last bucket counts every loop at or above it. cyclictest: overflows lie outside the histogram.</summary>
    public bool HistogramIsInclusive { get; init; }
}

/// <summary>The figures of one rt-tests run: the tool's version as it reported it and one entry per CPU.</summary>
internal sealed class RtTestsOutput
{
    public string? Version { get; init; }
    public string? CommandLine { get; init; }
    public IReadOnlyList<CpuJitter> Cpus { get; init; } = Array.Empty<CpuJitter>();
}

/// <summary>A tool's output that holds no figures this module can use.</summary>
internal sealed class RtTestsFormatException(string tool, string message) : Exception($"{tool}: {message}")
{
    public string Tool { get; } = tool;
}

/// <summary>
/// oslat and cyclictest (rt-tests) outputs: the --json file of rt-tests 2.x, and the text they print, read by the
/// meaning of each line (its label), not by position, because versions print it differently: oslat 1.x says
/// "CPU Freq:" where 2.x says "Counter Freq:", -z leaves out empty buckets and prints "...", cyclictest prints one
/// "T:" line per thread without -h and "# Min Latencies:" rows with it. Every parser either returns figures or throws
/// <see cref="RtTestsFormatException"/>; nothing else escapes, whatever the text.
/// </summary>
internal static partial class RtTestsParser
{
    public const string Oslat = "oslat";
    public const string Cyclictest = "cyclictest";

    /// <summary>"oslat V 2.40", "cyclictest V 1.10" → "2.40"; null when the text has no version.</summary>
    public static string? Version(string? text)
    {
        if (text is null) return null;
        var m = VersionRegex().Match(text);
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>Whether this version writes --json (rt-tests 2.0 and later); an unknown version is asked to.</summary>
    public static bool SupportsJson(string? version)
    {
        if (version is null) return true;
        string major = version.Split('.')[0];
        return !int.TryParse(major, NumberStyles.None, CultureInfo.InvariantCulture, out int m) || m >= 2;
    }

    // ---- JSON (rt-tests 2.x) ----

    public static RtTestsOutput ParseOslatJson(string json) => ParseJson(Oslat, json);

    public static RtTestsOutput ParseCyclictestJson(string json) => ParseJson(Cyclictest, json);

    private static RtTestsOutput ParseJson(string tool, string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new RtTestsFormatException(tool, "its --json file is not JSON: " + e.Message); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new RtTestsFormatException(tool, "its --json file holds no object.");
            // rt-tests 2.x writes "cmdline:" and "rt_test_version:" with a stray colon in the key; accept both spellings.
            string? version = Str(root, "rt_test_version:") ?? Str(root, "rt_test_version");
            string? cmdline = Str(root, "cmdline:") ?? Str(root, "cmdline");
            if (!root.TryGetProperty("thread", out var threads) || threads.ValueKind != JsonValueKind.Object)
                throw new RtTestsFormatException(tool, "its --json file has no per-thread results ('thread').");
            var cpus = new List<CpuJitter>();
            foreach (var t in threads.EnumerateObject().OrderBy(p => int.TryParse(p.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : int.MaxValue))
            {
                var e = t.Value;
                if (e.ValueKind != JsonValueKind.Object) continue;
                int? cpu = Int(e, "cpu");
                double? min = Num(e, "min"), avg = Num(e, "avg"), max = Num(e, "max");
                if (cpu is null || min is null || avg is null || max is null)
                    throw new RtTestsFormatException(tool, $"thread {t.Name} of its --json file lacks cpu, min, avg or max.");
                var hist = new SortedDictionary<int, long>();
                if (e.TryGetProperty("histogram", out var h) && h.ValueKind == JsonValueKind.Object)
                {
                    foreach (var b in h.EnumerateObject())
                    {
                        if (int.TryParse(b.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int us) && b.Value.ValueKind == JsonValueKind.Number && b.Value.TryGetInt64(out long n))
                            hist[us] = n;
                    }
                }
                long? cycles = Long(e, "cycles");
                if (tool == Oslat)
                {
                    // oslat's last bucket holds every loop at or above it ("including overflows"); its JSON omits empty buckets,
                    // so the limit is the bucket count (32 unless -b) when the last one is present, else the largest seen.
                    long total = hist.Values.Sum();
                    int limit = hist.Count == 0 ? 0 : hist.Keys.Max();
                    cpus.Add(new CpuJitter
                    {
                        Cpu = cpu.Value, Minimum = min.Value, Average = avg.Value, Maximum = max.Value,
                        Samples = hist.Count == 0 ? null : total, Histogram = hist, HistogramLimit = limit,
                        Overflows = limit > 0 && max.Value > limit ? hist[limit] : 0, DurationSeconds = Num(e, "duration"), HistogramIsInclusive = true,
                    });
                }
                else
                {
                    long inRange = hist.Values.Sum();
                    cpus.Add(new CpuJitter
                    {
                        Cpu = cpu.Value, Minimum = min.Value, Average = avg.Value, Maximum = max.Value, Samples = cycles,
                        Histogram = hist, HistogramLimit = hist.Count == 0 ? 0 : hist.Keys.Max(),
                        Overflows = hist.Count > 0 && cycles is long c && c > inRange ? c - inRange : 0,
                    });
                }
            }
            if (cpus.Count == 0) throw new RtTestsFormatException(tool, "its --json file reports no thread.");
            return new RtTestsOutput { Version = version, CommandLine = cmdline, Cpus = cpus };
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double? Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d) ? d : null;

    private static int? Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : null;

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long i) ? i : null;

    // ---- oslat text ----

    /// <summary>oslat's summary table: a "Core:" row naming the CPUs, then one row per label with one column per CPU.</summary>
    public static RtTestsOutput ParseOslatText(string text)
    {
        string[] lines = (text ?? "").Replace("\r", "").Split('\n');
        int[]? cores = null;
        var rows = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        var buckets = new SortedDictionary<int, string[]>();
        foreach (string raw in lines)
        {
            int colon = raw.IndexOf(':');
            if (colon <= 0) continue;
            string label = raw[..colon].Trim();
            string[] words = raw[(colon + 1)..].Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            if (label.Equals("Core", StringComparison.OrdinalIgnoreCase))
            {
                var parsed = words.Select(w => int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out int c) ? c : -1).ToArray();
                if (parsed.Length > 0 && parsed.All(c => c >= 0)) cores = parsed;
                continue;
            }
            if (cores is null) continue;
            var b = BucketLabel().Match(label);
            if (b.Success)
            {
                buckets[int.Parse(b.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture)] = words;
                continue;
            }
            rows[label] = words;
        }
        if (cores is null) throw new RtTestsFormatException(Oslat, "its output has no 'Core:' row (did the test run?).");
        string[] Need(string label) =>
            rows.TryGetValue(label, out var w) && w.Length >= cores.Length ? w
            : throw new RtTestsFormatException(Oslat, $"its output has no '{label}:' figure for each of CPUs {string.Join(',', cores)}.");
        string[] mins = Need("Minimum"), avgs = Need("Average"), maxs = Need("Maximum");
        rows.TryGetValue("Duration", out var durs);
        int last = buckets.Count == 0 ? 0 : buckets.Keys.Max();
        var cpus = new List<CpuJitter>();
        for (int i = 0; i < cores.Length; i++)
        {
            var hist = new SortedDictionary<int, long>();
            foreach (var (us, counts) in buckets)
            {
                if (i < counts.Length && long.TryParse(counts[i], NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0) hist[us] = n;
            }
            double max = Figure(Oslat, maxs[i], "Maximum");
            cpus.Add(new CpuJitter
            {
                Cpu = cores[i], Minimum = Figure(Oslat, mins[i], "Minimum"), Average = Figure(Oslat, avgs[i], "Average"), Maximum = max,
                Samples = hist.Count == 0 ? null : hist.Values.Sum(), Histogram = hist, HistogramLimit = last,
                Overflows = last > 0 && max > last && hist.TryGetValue(last, out long o) ? o : 0,
                DurationSeconds = durs is not null && i < durs.Length && TryFigure(durs[i], out double d) ? d : null, HistogramIsInclusive = true,
            });
        }
        return new RtTestsOutput { Version = Version(text), Cpus = cpus };
    }

    // ---- cyclictest text ----

    /// <summary>
    /// cyclictest's text: the "T:" line of each thread (no -h), or the "# Min Latencies:" rows of its histogram
    /// summary (-h), with the histogram rows themselves. Threads are numbered in the order of
    /// <paramref name="threadCpus"/> (the CPUs given to -a, one thread each), since the text does not name CPUs.
    /// </summary>
    public static RtTestsOutput ParseCyclictestText(string text, IReadOnlyList<int> threadCpus)
    {
        string[] lines = (text ?? "").Replace("\r", "").Split('\n');
        var byThread = new SortedDictionary<int, CpuJitter>();
        foreach (string line in lines)
        {
            var t = ThreadLine().Match(line);
            if (!t.Success) continue;
            int thread = int.Parse(t.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture);
            var fields = KeyValue().Matches(line).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
            if (!fields.TryGetValue("Min", out var min) || !fields.TryGetValue("Avg", out var avg) || !fields.TryGetValue("Max", out var max)) continue;
            byThread[thread] = new CpuJitter
            {
                Cpu = thread < threadCpus.Count ? threadCpus[thread] : -1,
                Minimum = Figure(Cyclictest, min, "Min"), Average = Figure(Cyclictest, avg, "Avg"), Maximum = Figure(Cyclictest, max, "Max"),
                Samples = fields.TryGetValue("C", out var c) && long.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out long cycles) ? cycles : null,
            };
        }
        if (byThread.Count == 0) ParseHistogramSummary(lines, threadCpus, byThread);
        if (byThread.Count == 0) throw new RtTestsFormatException(Cyclictest, "its output has neither 'T:' lines nor '# Min Latencies:' rows (did the test run?).");
        return new RtTestsOutput { Version = Version(text), Cpus = byThread.Values.ToArray() };
    }

    private static void ParseHistogramSummary(string[] lines, IReadOnlyList<int> threadCpus, SortedDictionary<int, CpuJitter> byThread)
    {
        var rows = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        var hist = new SortedDictionary<int, string[]>();
        foreach (string line in lines)
        {
            if (line.StartsWith('#'))
            {
                int colon = line.IndexOf(':');
                if (colon < 0) continue;
                rows[line[1..colon].Trim()] = line[(colon + 1)..].Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                continue;
            }
            string[] words = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length >= 2 && int.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out int us)) hist[us] = words[1..];
        }
        if (!rows.TryGetValue("Min Latencies", out var mins) || !rows.TryGetValue("Avg Latencies", out var avgs) || !rows.TryGetValue("Max Latencies", out var maxs)) return;
        rows.TryGetValue("Histogram Overflows", out var overflows);
        int n = new[] { mins.Length, avgs.Length, maxs.Length }.Min();
        int limit = hist.Count == 0 ? 0 : hist.Keys.Max();
        for (int i = 0; i < n; i++)
        {
            var h = new SortedDictionary<int, long>();
            foreach (var (us, counts) in hist)
            {
                if (i < counts.Length && long.TryParse(counts[i], NumberStyles.None, CultureInfo.InvariantCulture, out long c) && c > 0) h[us] = c;
            }
            long over = overflows is not null && i < overflows.Length && long.TryParse(overflows[i], NumberStyles.None, CultureInfo.InvariantCulture, out long o) ? o : 0;
            byThread[i] = new CpuJitter
            {
                Cpu = i < threadCpus.Count ? threadCpus[i] : -1,
                Minimum = Figure(Cyclictest, mins[i], "Min Latencies"), Average = Figure(Cyclictest, avgs[i], "Avg Latencies"), Maximum = Figure(Cyclictest, maxs[i], "Max Latencies"),
                Samples = h.Values.Sum() + over, Histogram = h, HistogramLimit = limit, Overflows = over,
            };
        }
    }

    private static bool TryFigure(string word, out double value) =>
        double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    private static double Figure(string tool, string word, string label) =>
        TryFigure(word, out double v) ? v : throw new RtTestsFormatException(tool, $"'{label}' is '{word}', not a number.");

    [GeneratedRegex(@"\bV\s*(\d+\.\d+(?:\.\d+)?)")]
    private static partial Regex VersionRegex();

    [GeneratedRegex(@"^0*(\d+)\s*\(us\)$")]
    private static partial Regex BucketLabel();

    [GeneratedRegex(@"^\s*T:\s*(\d+)\s")]
    private static partial Regex ThreadLine();

    [GeneratedRegex(@"\b(C|Min|Act|Avg|Max|I|P):\s*(-?\d+(?:\.\d+)?)")]
    private static partial Regex KeyValue();
}
