using System.Globalization;
using OnloadTools.Jitter;

namespace OnloadTools.Reporting;

/// <summary>
/// The jitter part of the report: per host and tool, the latest Measure-HostJitter run per CPU (maximum and P99.99
/// tail against the threshold line), compared with the run before it by the rules of Compare-HostJitterRun (its
/// default margins), and the worst maximum of every run over time.
/// </summary>
internal static class JitterReportBuilder
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Adds the jitter sections to <paramref name="model"/> and their sentence to its summary (the whole summary
    /// when there are no latency runs).</summary>
    public static void AddTo(LatencyReportModel model, IReadOnlyList<HostJitterRun> runs, bool latencyRunsToo)
    {
        if (runs.Count == 0) return;
        int exceeded = 0, regressed = 0, cpus = 0;
        var groups = runs.GroupBy(r => (Host: r.HostName.ToUpperInvariant(), Tool: r.Tool.ToUpperInvariant())).ToList();
        for (int g = 0; g < groups.Count; g++)
        {
            var byTime = groups[g].OrderBy(r => r.StartTime).ToList();
            var section = BuildSection(g, byTime, out var comparisons);
            exceeded += comparisons.Count(c => c.IsExceeded);
            regressed += comparisons.Count(c => c.IsRegression && !c.IsExceeded);
            cpus += comparisons.Count;
            model.JitterSections.Add(section);
        }
        string hosts = runs.Select(r => r.HostName).Distinct(StringComparer.OrdinalIgnoreCase).Count().ToString(Inv);
        string sentence = exceeded + regressed == 0
            ? $"Jitter: {runs.Count} run(s) on {hosts} host(s); every CPU of the latest runs ({cpus}) passed."
            : $"Jitter: {runs.Count} run(s) on {hosts} host(s); of {cpus} CPU(s) in the latest runs, {exceeded} EXCEEDED the threshold and {regressed} REGRESSED.";
        model.Summary = latencyRunsToo ? model.Summary + " " + sentence : sentence;
    }

    private static JitterSection BuildSection(int index, List<HostJitterRun> byTime, out IReadOnlyList<HostJitterComparison> comparisons)
    {
        var latest = byTime[^1];
        var previous = byTime.Count > 1 ? byTime[^2] : null;
        var section = new JitterSection
        {
            Id = "jitter-" + index.ToString(Inv),
            Title = $"Jitter: {latest.Tool} on {latest.HostName}",
            Subtitle = $"CPUs {latest.Cpus} · {Num(latest.DurationSeconds)} s · threshold {Num(latest.ThresholdMicroseconds)} µs",
            Threshold = latest.ThresholdMicroseconds,
            LatestName = $"latest ({Time(latest.StartTime)})",
            PreviousName = previous is null ? null : $"previous ({Time(previous.StartTime)})",
        };
        // The previous run as reference: night against night, as Compare-HostJitterRun decides it with its defaults.
        comparisons = JitterComparer.Compare(new[] { previous ?? latest }, new[] { latest }, new JitterComparisonOptions());
        var results = latest.Results.OrderBy(r => r.Cpu).ToList();
        section.Cpus = results.Select(r => r.Cpu < 0 ? "no CPU (hwlat)" : "CPU " + r.Cpu.ToString(Inv)).ToArray();
        section.Maximum = results.Select(r => r.MaximumMicroseconds).ToArray();
        section.Tail = results.Select(r => r.P9999Microseconds).ToArray();
        var byCpu = comparisons.ToDictionary(c => c.Cpu);
        section.CpuVerdicts = results.Select(r => previous is null
            ? (r.MaximumMicroseconds >= latest.ThresholdMicroseconds ? HostJitterComparisonVerdict.Exceeded : HostJitterComparisonVerdict.Passed)
            : byCpu[r.Cpu].Verdict).ToArray();
        if (previous is not null)
        {
            section.PreviousMaximum = results.Select(r => previous.Results.FirstOrDefault(p => p.Cpu == r.Cpu)?.MaximumMicroseconds).ToArray();
            section.PreviousTail = results.Select(r => previous.Results.FirstOrDefault(p => p.Cpu == r.Cpu)?.P9999Microseconds).ToArray();
        }

        int exceeded = section.CpuVerdicts.Count(v => v == HostJitterComparisonVerdict.Exceeded);
        int regressed = section.CpuVerdicts.Count(v => v == HostJitterComparisonVerdict.Regressed);
        string against = previous is null ? "no earlier run to compare with" : $"against the run of {Time(previous.StartTime)}";
        string headline = exceeded + regressed == 0
            ? $"{latest.Tool} on {latest.HostName}: every CPU passed ({results.Count} CPU(s), threshold {Num(latest.ThresholdMicroseconds)} µs; {against})"
            : $"{latest.Tool} on {latest.HostName}: {exceeded} CPU(s) EXCEEDED {Num(latest.ThresholdMicroseconds)} µs, {regressed} REGRESSED ({against})";
        section.Verdicts.Add(new VerdictLine
        {
            Text = headline, IsHeadline = true, IsRegression = exceeded + regressed > 0,
            Verdict = exceeded + regressed > 0 ? "Slower" : "Equivalent",
            HostDifferences = previous is null ? null : comparisons.Select(c => c.HostDifferences).FirstOrDefault(h => h is not null),
        });
        for (int i = 0; i < results.Count; i++)
        {
            var r = results[i];
            string verdict = section.CpuVerdicts[i];
            string tail = r.P9999Microseconds is { } t ? $"{JitterComparer.TailName} {Num(t)} µs" : $"{JitterComparer.TailName} beyond the histogram";
            string text;
            if (previous is not null && byCpu[r.Cpu] is { ReferenceMaximumMicroseconds: { } refMax } c)
            {
                string refTail = c.ReferenceTailMicroseconds is { } rt ? Num(rt) : "–";
                string newTail = c.DifferenceTailMicroseconds is { } dt ? Num(dt) : "–";
                text = $"{section.Cpus[i]}: {verdict}; max {Num(refMax)} → {Num(r.MaximumMicroseconds)} µs ({Signed(c.MaximumChangeMicroseconds ?? 0)} µs), " +
                       $"{JitterComparer.TailName} {refTail} → {newTail} µs";
                if (c.IsRegression) text += $" (regressed: {c.RegressedMetrics}, beyond {Num(c.ResolutionMicroseconds)} µs resolution + {Num(c.AllowanceMicroseconds)} µs)";
            }
            else
            {
                text = $"{section.Cpus[i]}: {verdict}; max {Num(r.MaximumMicroseconds)} µs, {tail}" + (previous is null ? "" : " (not in the previous run)");
            }
            section.Verdicts.Add(new VerdictLine
            {
                Text = text,
                Verdict = verdict == HostJitterComparisonVerdict.Passed ? "Equivalent" : "Slower",
                IsRegression = verdict != HostJitterComparisonVerdict.Passed,
            });
        }
        if (previous is not null)
        {
            section.Notes.Add("One run per side: a maximum is one figure per CPU, so a regression is decided by a rule, not a test: an increase beyond the tool's 1 µs resolution plus " +
                $"{Num(JitterComparer.DefaultMargin)} µs or {Num(JitterComparer.DefaultThresholdPercent)} % of the previous maximum, whichever is larger (Compare-HostJitterRun's defaults).");
            if (comparisons.Select(c => c.Notes).FirstOrDefault(n => n is not null) is { } notes) section.Notes.Add("Also: " + notes + ".");
        }
        if (byTime.Count > 1)
        {
            section.Trend = new JitterTrend
            {
                Times = byTime.Select(r => Time(r.StartTime)).ToArray(),
                WorstMaximum = byTime.Select(r => r.MaximumMicroseconds).ToArray(),
                RunIds = byTime.Select(r => r.RunId).ToArray(),
            };
        }
        return section;
    }

    private static string Time(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", Inv);

    private static string Num(double v) => v.ToString("0.##", Inv);

    private static string Signed(double v) => v.ToString("+0.##;-0.##;0", Inv);
}
