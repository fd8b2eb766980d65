using System.Text.RegularExpressions;
using OnloadTools.Latency;
using OnloadTools.Reporting;
using OnloadTools.Tests.Latency;

namespace OnloadTools.Tests.Reporting;

public class ReportTests
{
    private static List<LatencyRun> BareMetalVersusContainer() => new()
    {
        SyntheticRuns.Make("bare-metal", "TCP_RR", 20, 0.02, 10, 1),
        SyntheticRuns.Make("container", "TCP_RR", 24, 0.02, 10, 2),
        SyntheticRuns.Make("bare-metal", "UDP_RR", 18, 0.02, 10, 3),
        SyntheticRuns.Make("container", "UDP_RR", 18, 0.02, 10, 4),
    };

    [Fact]
    public void Verdicts_are_stated_in_words_per_test_from_the_comparisons()
    {
        var model = LatencyReportBuilder.Build(BareMetalVersusContainer(), new ReportOptions());
        Assert.Equal(new[] { "TCP_RR", "UDP_RR" }, model.Sections.Select(s => s.TestName));

        var tcp = model.Sections[0];
        var head = tcp.Verdicts[0];
        Assert.True(head.IsHeadline);
        Assert.StartsWith("Against bare-metal, container adds ", head.Text);
        Assert.Contains("at the mean", head.Text);
        Assert.True(head.IsRegression, head.Text);                // +20 % is beyond the 5 % threshold
        var mean = tcp.Verdicts.Single(v => v.Text.StartsWith("Mean latency:"));
        Assert.Equal("Slower", mean.Verdict);
        Assert.Matches(@"container is slower than bare-metal by [0-9.]+ µs \(\+[12][0-9]\.[0-9] %\); 95 % CI of the difference \+[0-9.]+ % to \+[0-9.]+ %, p [=<] [0-9.]+", mean.Text);
        Assert.Contains("REGRESSION", mean.Text);

        var udp = model.Sections[1];
        Assert.Contains("adds no measurable latency at the mean (within ±5 %)", udp.Verdicts[0].Text);
        Assert.Equal("Equivalent", udp.Verdicts.Single(v => v.Text.StartsWith("Mean latency:")).Verdict);
        Assert.Matches("12 comparison\\(s\\); [1-6] REGRESSION\\(S\\) beyond 5 %", model.Summary); // only TCP_RR metrics can regress

        // Side by side: the reference first, its per-iteration points and a CI that holds its mean.
        Assert.Equal(new[] { "bare-metal", "container" }, tcp.Labels.Select(l => l.Name));
        Assert.Equal(10, tcp.Labels[0].IterationMeans.Length);
        Assert.True(tcp.Labels[0].CiLow < tcp.Labels[0].Mean && tcp.Labels[0].Mean < tcp.Labels[0].CiHigh);
        Assert.Contains(tcp.Intervals, i => i.Metric == "Mean latency" && i.Low > 5 && i.Verdict == "Slower");
        Assert.NotNull(tcp.Ladder);
        Assert.Equal("summary percentiles", tcp.Ladder!.Source);
        Assert.Null(tcp.Trend); // one run per label: no history
    }

    [Fact]
    public void Each_side_says_whether_netperf_really_had_Onload_and_lost_acceleration_is_a_note()
    {
        var runs = BareMetalVersusContainer();
        var extra = SyntheticRuns.Make("container", "TCP_RR", 24, 0.02, 10, 5);
        runs.Add(extra);
        runs[1].Accelerated = "True";     // container TCP_RR: one run had Onload …
        extra.Accelerated = "False";      // … and one ran without it
        runs[3].Accelerated = "Unknown";  // container UDP_RR: could not be seen
        var model = LatencyReportBuilder.Build(runs, new ReportOptions());

        var tcp = model.Sections[0];
        Assert.Null(tcp.Labels.Single(l => l.Name == "bare-metal").Accelerated);      // never asked for Onload
        var container = tcp.Labels.Single(l => l.Name == "container");
        Assert.Equal(("False", 2, 1), (container.Accelerated, container.OnloadRuns, container.NotAcceleratedRuns));
        Assert.Contains(tcp.Notes, n => n.StartsWith("container: Onload was asked for but netperf ran without it in 1 of 2 run(s)"));
        var udp = model.Sections[1];
        Assert.Equal("Unknown", udp.Labels.Single(l => l.Name == "container").Accelerated);
        Assert.DoesNotContain(udp.Notes, n => n.Contains("ran without it"));

        string html = HtmlReportWriter.Write(model);
        // Readable without scripts: one row per side, the Onload column only where a run asked for Onload.
        Assert.Matches(@"<tr><td>container</td><td>2</td><td>[0-9.]+</td><td class=""not-accelerated"">NOT accelerated \(1 of 2 runs\)</td></tr>", html);
        Assert.Matches(@"<tr><td>bare-metal</td><td>1</td><td>[0-9.]+</td><td class=""unknown"">not asked for</td></tr>", html);
        Assert.Contains("<td class=\"unknown\">not seen</td>", html);

        runs.ForEach(r => r.Accelerated = null);
        string plain = HtmlReportWriter.Write(LatencyReportBuilder.Build(runs, new ReportOptions()));
        Assert.DoesNotContain("<th>Onload</th>", plain);
        Assert.Contains("<th>Runs of</th>", plain);

        // All that asked had it.
        runs[1].Accelerated = "True";
        Assert.Equal("True", LatencyReportBuilder.Build(runs, new ReportOptions()).Sections[0].Labels.Single(l => l.Name == "container").Accelerated);
    }

    [Fact]
    public void The_mean_interval_is_the_t_interval()
    {
        var (mean, low, high) = LatencyReportBuilder.MeanInterval(new[] { 1.0, 2, 3, 4, 5 }, 0.95);
        Assert.Equal(3, mean);
        // sd = 1.5811, t(0.975, 4) = 2.7764 → half width 1.9632
        Assert.Equal(3 - 1.9632, low!.Value, 3);
        Assert.Equal(3 + 1.9632, high!.Value, 3);
        Assert.Null(LatencyReportBuilder.MeanInterval(new[] { 7.0 }, 0.95).Low);
    }

    [Fact]
    public void A_history_of_one_label_compares_the_latest_night_with_the_baseline_run_and_marks_it()
    {
        var nights = Enumerable.Range(0, 6).Select(n =>
            SyntheticRuns.Make("nightly", "TCP_RR", n == 5 ? 26 : 20 + 0.5 * n, 0.002, 5, 10 + n, new DateTime(2026, 11, 15 + n, 2, 0, 0, DateTimeKind.Utc))).ToList();
        var model = LatencyReportBuilder.Build(nights, new ReportOptions());
        var s = Assert.Single(model.Sections);
        Assert.NotNull(s.Trend);
        Assert.Equal(6, s.Trend!.Times.Length);
        Assert.Equal("2026-11-20 02:00:00", s.Trend.Times[^1]);
        var baseline = LatencyBaseline.Select(nights.Take(5))!;  // the median of the five earlier nights: the third
        Assert.Equal(nights[2].RunId, baseline.RunId);
        Assert.Equal(Math.Round(baseline.MeanLatency!.Value, 3), s.Trend.Baseline);
        Assert.Contains("median run by mean latency of the last 7 completed run(s)", s.Trend.BaselineDescription);
        Assert.Equal(new[] { "baseline", "latest" }, s.Labels.Select(l => l.Role));
        Assert.Equal(5, s.Labels[0].IterationMeans.Length);        // one real run, not the earlier nights pooled
        Assert.StartsWith("Against baseline (2026-11-17 02:00:00), latest (2026-11-20 02:00:00) adds ", s.Verdicts[0].Text);
        Assert.Contains(s.Notes, n => n.Contains(baseline.RunId));
        Assert.Equal("Slower", s.Verdicts[0].Verdict);
        Assert.True(s.Verdicts[0].IsRegression);
    }

    [Fact]
    public void The_report_of_a_history_gives_the_numbers_of_Compare_LatencyRun_against_the_baseline_run()
    {
        // One bad night in the history: pooling the earlier nights and taking the median run give different numbers.
        var nights = new List<LatencyRun>();
        double[] means = { 20, 20.2, 35, 20.1, 19.9, 20.3, 27 };
        for (int n = 0; n < means.Length; n++)
        {
            nights.Add(SyntheticRuns.Make("nightly", "TCP_RR", means[n], 0.02, 5, 40 + n, new DateTime(2026, 11, 1 + n, 2, 0, 0, DateTimeKind.Utc)));
        }
        var options = new ReportOptions { BaselineCount = 5 };
        var section = Assert.Single(LatencyReportBuilder.Build(nights, options).Sections);
        var baseline = LatencyBaseline.Select(nights.Take(6), 5)!;
        var expected = LatencyComparer.Compare(new[] { baseline }, new[] { nights[^1] }, options.Comparison);
        var mean = expected.Single(c => c.Metric == "Mean");
        var shown = section.Intervals.Single(i => i.Metric == "Mean latency");
        Assert.Equal(Math.Round(mean.DeltaPercent, 3), shown.DeltaPercent);
        Assert.Equal(Math.Round(mean.ConfidenceIntervalLow!.Value, 3), shown.Low);
        Assert.Equal(section.Intervals.Count, expected.Count);
    }

    [Fact]
    public void InProgress_and_Partial_runs_are_never_the_baseline()
    {
        var nights = Enumerable.Range(0, 5).Select(n =>
            SyntheticRuns.Make("nightly", "TCP_RR", 20 + n, 0.01, 5, 60 + n, new DateTime(2026, 11, 1 + n, 2, 0, 0, DateTimeKind.Utc))).ToList();
        nights[1].Status = "InProgress";
        nights[2].Status = "Partial";
        // Candidates among the four earlier nights: 20 and 23 → the lower middle, 20.
        var s = Assert.Single(LatencyReportBuilder.Build(nights, new ReportOptions()).Sections);
        Assert.Equal(nights[0].RunId, LatencyBaseline.Select(nights.Take(4))!.RunId);
        Assert.Contains(s.Notes, n => n.Contains(nights[0].RunId));
    }

    [Fact]
    public void The_ladder_of_netperf_runs_goes_as_far_as_p99_and_the_maximum()
    {
        var model = LatencyReportBuilder.Build(BareMetalVersusContainer(), new ReportOptions());
        var ladder = model.Sections[0].Ladder!;
        Assert.Equal(new[] { 50.0, 90, 99 }, ladder.MeasuredPercentiles);
        Assert.Equal(99, ladder.TopPercentile);
        Assert.True(ladder.HasMax);
        Assert.All(ladder.Series, l => Assert.DoesNotContain(l.Percentiles, p => p is > 99 and < 100));
    }

    [Fact]
    public void The_ladder_of_sockperf_percentiles_goes_as_far_as_they_were_measured()
    {
        var run = SyntheticRuns.Make("kernel", "UDP_PINGPONG", 10, 0.02, 3, 7);
        foreach (var x in run.Samples) { x.P999Latency = x.MeanLatency * 2; x.P9999Latency = x.MeanLatency * 2.5; x.MaxLatency = null; }
        var ladder = LatencyReportBuilder.Build(new[] { run }, new ReportOptions()).Sections[0].Ladder!;
        Assert.Equal(99.99, ladder.TopPercentile);
        Assert.False(ladder.HasMax);
    }

    [Fact]
    public void Each_sentence_names_each_label_once_and_lower_jitter_is_never_faster()
    {
        var calm = SyntheticRuns.Make("bare-metal", "TCP_RR", 20, 0.02, 10, 1);
        var jumpy = SyntheticRuns.Make("container", "TCP_RR", 20, 0.02, 10, 2);
        foreach (var x in calm.Samples) x.StdDevLatency = x.MeanLatency * 0.3;   // the container has LESS jitter
        var s = LatencyReportBuilder.Build(new[] { calm, jumpy }, new ReportOptions()).Sections[0];
        foreach (var v in s.Verdicts)
        {
            Assert.Single(Regex.Matches(v.Text, "bare-metal"));
            Assert.Single(Regex.Matches(v.Text, "container"));
        }
        var jitter = s.Verdicts.Single(v => v.Text.StartsWith("Jitter"));
        Assert.Equal("Faster", jitter.Verdict);
        Assert.Contains("container has less jitter than bare-metal", jitter.Text);
        Assert.Contains("Less jitter: significantly steadier", jitter.Text);
        Assert.DoesNotContain("faster", jitter.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void One_way_and_round_trip_runs_are_shown_but_not_compared()
    {
        var a = SyntheticRuns.Make("kernel", "UDP_PINGPONG", 10, 0.02, 5, 1);
        var b = SyntheticRuns.Make("onload", "UDP_PINGPONG", 20, 0.02, 5, 2);
        a.LatencyKind = "OneWay";
        var model = LatencyReportBuilder.Build(new[] { a, b }, new ReportOptions());
        var s = Assert.Single(model.Sections);
        Assert.Empty(s.Verdicts);
        Assert.Contains(s.Notes, n => n.Contains("one-way latency and round trips are mixed"));
        Assert.Equal(2, s.Labels.Count);
    }

    [Fact]
    public void The_html_is_self_contained_and_makes_no_requests()
    {
        var runs = BareMetalVersusContainer();
        string html = HtmlReportWriter.Write(LatencyReportBuilder.Build(runs, new ReportOptions { Title = "Bare metal <vs> container" }));

        Assert.Contains("default-src 'none'", html);                        // the browser itself refuses any fetch
        Assert.Contains("<title>Bare metal &lt;vs&gt; container</title>", html);
        Assert.Contains("Chart.js v4.6.1", html);                          // the library, inlined with its licence header
        Assert.Contains("Released under the MIT License", html);
        Assert.DoesNotMatch(new Regex(@"<script[^>]*\ssrc=|<link[^>]*href=|sourceMappingURL=", RegexOptions.IgnoreCase), html);
        // The only addresses are the two in Chart.js's licence comments.
        Assert.DoesNotMatch(new Regex(@"https?://(?!www\.chartjs\.org|github\.com/kurkle/color)", RegexOptions.IgnoreCase), html);
        Assert.Equal(3, Regex.Matches(html, "<script").Count); // Chart.js, the data (JSON), the renderer
        // The verdicts are plain HTML above the charts (readable without scripts).
        int verdict = html.IndexOf("<ul class=\"verdicts\">", StringComparison.Ordinal);
        int canvas = html.IndexOf("<canvas", StringComparison.Ordinal);
        Assert.True(verdict > 0 && verdict < canvas);
        Assert.Contains("Against bare-metal, container adds", html);
    }
}
