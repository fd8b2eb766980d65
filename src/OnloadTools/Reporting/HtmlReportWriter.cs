using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using OnloadTools.Latency;

namespace OnloadTools.Reporting;

/// <summary>
/// Writes the report as one self-contained HTML file: styles, Chart.js (MIT, embedded verbatim), the data as JSON
/// and the renderer are all inline, and a Content-Security-Policy forbids the page any network access.
/// The verdicts are plain HTML, readable without scripts.
/// </summary>
internal static class HtmlReportWriter
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string ChartJs => Resource("OnloadTools.Reporting.chart.umd.min.js");
    public static string Renderer => Resource("OnloadTools.Reporting.report.js");

    private static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The module is missing its embedded resource {name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static string H(string s) => WebUtility.HtmlEncode(s);

    /// <summary>A script's text made safe to inline: no closing tag inside, no source-map fetch.</summary>
    private static string Inline(string js) =>
        js.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)
          .Replace("//# sourceMappingURL=", "// (source map not embedded) ", StringComparison.Ordinal);

    public static string Write(LatencyReportModel model)
    {
        var sb = new StringBuilder(300_000);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append("<meta name=\"generator\" content=\"OnloadTools Export-LatencyReport\">\n")
          .Append("<title>").Append(H(model.Title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n")
          .Append("<header><h1>").Append(H(model.Title)).Append("</h1>\n<p class=\"meta\">Generated ").Append(H(model.Generated))
          .Append(" by OnloadTools Export-LatencyReport.</p>\n<p class=\"summary\">").Append(H(model.Summary)).Append("</p>\n")
          .Append("<nav><ul>");
        foreach (var s in model.Sections)
        {
            sb.Append("<li><a href=\"#").Append(s.Id).Append("\">").Append(H(s.TestName)).Append("</a></li>");
        }
        foreach (var j in model.JitterSections)
        {
            sb.Append("<li><a href=\"#").Append(j.Id).Append("\">").Append(H(j.Title)).Append("</a></li>");
        }
        sb.Append("</ul></nav></header>\n");

        foreach (var s in model.Sections)
        {
            sb.Append("<section id=\"").Append(s.Id).Append("\">\n<h2>").Append(H(s.TestName))
              .Append(" <small>").Append(H(s.Tool)).Append(" · ").Append(H(s.LatencyKind)).Append("</small></h2>\n");
            if (s.Verdicts.Count > 0)
            {
                sb.Append("<ul class=\"verdicts\">\n");
                foreach (var v in s.Verdicts) VerdictItemHtml(sb, v);
                sb.Append("</ul>\n");
            }
            SideTable(sb, s);
            foreach (string note in s.Notes)
            {
                sb.Append("<p class=\"note\">").Append(H(note)).Append("</p>\n");
            }
            sb.Append("<div class=\"charts\">\n");
            Canvas(sb, s.Id + "-points", "Each point is one iteration's mean latency; the bar is the confidence interval of the mean of the iterations.");
            if (s.Intervals.Count > 0) Canvas(sb, s.Id + "-intervals", "Confidence interval of the relative difference per metric, against the equivalence margin.");
            if (s.Ladder is not null) Canvas(sb, s.Id + "-ladder", "Latency at each percentile, one line per iteration (" + s.Ladder.Source + ").");
            if (s.Trend is not null) Canvas(sb, s.Id + "-trend", "Mean latency of each run over time; " + s.Trend.BaselineDescription + ".");
            sb.Append("</div>\n</section>\n");
        }

        foreach (var j in model.JitterSections) JitterSectionHtml(sb, j);

        sb.Append("<footer><p>Charts drawn with Chart.js (MIT License), embedded in this file; the page makes no network requests.</p></footer>\n");
        sb.Append("<script>\n").Append(Inline(ChartJs)).Append("\n</script>\n");
        sb.Append("<script type=\"application/json\" id=\"report-data\">").Append(JsonSerializer.Serialize(model, Json)).Append("</script>\n");
        sb.Append("<script>\n").Append(Inline(Renderer)).Append("\n</script>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>The sides of a section as a plain table (readable without scripts): runs, mean and whether Onload was there.</summary>
    private static void SideTable(StringBuilder sb, TestSection s)
    {
        if (s.Labels.Count == 0) return;
        bool onload = s.Labels.Any(l => l.Accelerated is not null);
        sb.Append("<table class=\"sides\">\n<thead><tr><th>Runs of</th><th>Runs</th><th>Mean (µs)</th>");
        if (onload) sb.Append("<th>Onload</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var l in s.Labels)
        {
            sb.Append("<tr><td>").Append(H(l.Name)).Append("</td><td>").Append(l.Runs.ToString(System.Globalization.CultureInfo.InvariantCulture))
              .Append("</td><td>").Append(l.Mean is { } m ? m.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) : "–").Append("</td>");
            if (onload)
            {
                string text = l.Accelerated switch
                {
                    AccelerationProbe.True => "accelerated",
                    AccelerationProbe.False => $"NOT accelerated ({l.NotAcceleratedRuns} of {l.OnloadRuns} runs)",
                    AccelerationProbe.Unknown => "not seen",
                    _ => "not asked for",
                };
                string cls = l.Accelerated switch { AccelerationProbe.True => "accelerated", AccelerationProbe.False => "not-accelerated", _ => "unknown" };
                sb.Append("<td class=\"").Append(cls).Append("\">").Append(H(text)).Append("</td>");
            }
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody></table>\n");
    }

    /// <summary>A jitter section: the verdicts in words (readable without scripts), the notes, the per-CPU chart and the trend.</summary>
    /// <summary>One verdict line of a latency or jitter section, with the host facts that differ.</summary>
    private static void VerdictItemHtml(StringBuilder sb, VerdictLine v)
    {
        string cls = (v.IsHeadline ? "headline " : "") + (v.IsRegression ? "regression" : v.Verdict.ToLowerInvariant());
        sb.Append("<li class=\"").Append(cls).Append("\">").Append(H(v.Text));
        if (v.HostDifferences is { Length: > 0 } host)
        {
            sb.Append("<br><span class=\"host-differences\">Host differs: ").Append(H(host)).Append("</span>");
        }
        sb.Append("</li>\n");
    }

    private static void JitterSectionHtml(StringBuilder sb, JitterSection j)
    {
        sb.Append("<section id=\"").Append(j.Id).Append("\" class=\"jitter\">\n<h2>").Append(H(j.Title))
          .Append(" <small>").Append(H(j.Subtitle)).Append("</small></h2>\n<ul class=\"verdicts\">\n");
        foreach (var v in j.Verdicts) VerdictItemHtml(sb, v);
        sb.Append("</ul>\n");
        foreach (string note in j.Notes)
        {
            sb.Append("<p class=\"note\">").Append(H(note)).Append("</p>\n");
        }
        sb.Append("<div class=\"charts\">\n");
        Canvas(sb, j.Id + "-cpus", "Maximum and P99.99 of each CPU in the latest run" + (j.PreviousName is null ? "" : " and the previous one") + ", against the threshold (dashed).");
        if (j.Trend is not null) Canvas(sb, j.Id + "-trend", "The worst maximum of each run over time, against the threshold (dashed).");
        sb.Append("</div>\n</section>\n");
    }

    private static void Canvas(StringBuilder sb, string id, string caption) =>
        sb.Append("<figure><div class=\"chart\"><canvas id=\"").Append(id).Append("\" role=\"img\" aria-label=\"").Append(H(caption))
          .Append("\"></canvas></div><figcaption>").Append(H(caption)).Append("</figcaption></figure>\n");

    private const string Css = """
        body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1em 2em; color: #222; }
        h1 { margin-bottom: 0.2em; } h2 small { font-weight: normal; color: #666; font-size: 0.6em; }
        .meta { color: #666; margin-top: 0; } .summary { font-weight: 600; }
        nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1em; }
        section { border-top: 1px solid #ddd; margin-top: 2em; }
        ul.verdicts { padding-left: 1.2em; } ul.verdicts li { margin: 0.3em 0; }
        li.headline { font-weight: 600; font-size: 1.05em; list-style: none; margin-left: -1.2em; }
        li.equivalent { color: #1d6b1d; } li.slower, li.regression { color: #a31515; } li.faster { color: #174f8a; }
        li.regression { font-weight: 700; }
        .note { color: #7a5c00; background: #fff8e1; padding: 0.4em 0.6em; border-radius: 4px; }
        .host-differences { font-weight: normal; color: #5a3d8a; font-size: 0.9em; }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 1.5em; }
        figure { margin: 0; } .chart { position: relative; height: 340px; }
        figcaption { color: #666; font-size: 0.85em; margin-top: 0.3em; }
        footer { color: #888; font-size: 0.8em; margin-top: 3em; border-top: 1px solid #eee; }
        #report-errors { color: #a31515; }
        table.sides { border-collapse: collapse; margin: 0.5em 0 1em; } table.sides th, table.sides td { padding: 0.2em 0.8em; text-align: left; border-bottom: 1px solid #eee; }
        td.accelerated { color: #1d6b1d; } td.not-accelerated { color: #a31515; font-weight: 700; } td.unknown { color: #7a5c00; }
        @media print { .charts { display: block; } figure { break-inside: avoid; margin-bottom: 1em; } }

        """;
}
