using System.Management.Automation;
using System.Text.RegularExpressions;
using OnloadTools.Tests.Latency;

namespace OnloadTools.Tests.Reporting;

/// <summary>
/// Export-LatencyReport through the module, on runs measured for real by sockperf and on a synthetic nightly
/// history, then opened in Debian's headless chromium: rendered, charts drawn, no console error, a screenshot.
/// </summary>
[Collection("Environment")]
public class ReportEngineTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("onloadtools-report-").FullName;

    private static void AssertRendersInChromium(string html, int expectedCanvases, string screenshot)
    {
        var dom = HeadlessChromium.DumpDom(html);
        Assert.True(dom.ExitCode == 0, $"chromium exited {dom.ExitCode}: {dom.StandardError}");
        string page = dom.StandardOutput;
        Assert.Contains("data-report=\"rendered\"", page);                 // the renderer ran to the end without an error
        Assert.DoesNotContain("id=\"report-errors\"", page);
        var canvases = Regex.Matches(page, "<canvas[^>]*>").Select(m => m.Value).ToList();
        Assert.Equal(expectedCanvases, canvases.Count);
        Assert.All(canvases, c =>
        {
            Assert.Contains("data-rendered=\"true\"", c);                  // a Chart was built on it
            Assert.Matches("style=\"[^\"]*height: [1-9][0-9]*px", c);     // and Chart.js sized it
        });
        var console = HeadlessChromium.ConsoleLines(dom.StandardError);
        Assert.True(console.Length == 0, "console messages: " + string.Join("\n", console));
        Assert.DoesNotContain("Content Security Policy", dom.StandardError); // nothing tried to reach out

        var shot = HeadlessChromium.Screenshot(html, screenshot);
        Assert.True(File.Exists(screenshot), $"no screenshot: {shot.StandardError}");
        byte[] png = File.ReadAllBytes(screenshot);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.True(png.Length > 30_000, $"the screenshot is {png.Length} bytes: a blank page?");
    }

    [Fact]
    public void Real_sockperf_runs_and_a_nightly_history_render_in_headless_chromium()
    {
        string dir = TempDir();
        try
        {
            using var engine = new PowerShellEngine();
            string html = Path.Combine(dir, "report.html");
            var nights = Enumerable.Range(0, 5).Select(n =>
                SyntheticRuns.Make("nightly", "TCP_RR", n == 4 ? 23 : 20, 0.03, 5, 40 + n, new DateTime(2026, 11, 16 + n, 2, 0, 0, DateTimeKind.Utc))).ToArray();
            var r = engine.Run("""
                $runs = @(
                    Measure-SockperfLatency -Protocol Udp -Iterations 3 -Duration 1 -FullDistribution -Label kernel
                    Measure-SockperfLatency -Protocol Udp -Iterations 3 -Duration 1 -FullDistribution -Label tuned -Mps 20000
                )
                $runs + $nights | Export-LatencyReport -Path $html -ReferenceLabel kernel -Title 'Loopback sockperf and nightly TCP_RR' -PassThru
                """, ("nights", nights), ("html", html));
            Assert.Empty(r.Errors);
            Assert.Null(r.Terminating);
            var file = Assert.IsType<FileInfo>(Assert.Single(r.Output).BaseObject);
            Assert.Equal(html, file.FullName);

            string text = File.ReadAllText(html);
            Assert.Contains("Against kernel, tuned ", text);
            Assert.Matches(@"Against baseline \(2026-11-1[6-9] 02:00:00\), latest \(2026-11-20 02:00:00\) ", text);
            Assert.Contains("full distribution (every round trip)", text);
            // sockperf section: points, intervals, ladder; nightly section: points, intervals, ladder, trend.
            AssertRendersInChromium(html, 7, Path.Combine(dir, "report.png"));
            Directory.CreateDirectory(Path.Combine(TestPaths.RepoRoot, "TestResults"));
            File.Copy(Path.Combine(dir, "report.png"), Path.Combine(TestPaths.RepoRoot, "TestResults", "latency-report.png"), overwrite: true);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Deserialized_runs_render_the_same_report_and_overwriting_asks_ShouldProcess()
    {
        string dir = TempDir();
        try
        {
            using var engine = new PowerShellEngine();
            string html = Path.Combine(dir, "sub", "remoted.html");
            var runs = new[]
            {
                SyntheticRuns.Make("bare-metal", "TCP_RR", 20, 0.02, 8, 1), SyntheticRuns.Make("container", "TCP_RR", 20.2, 0.02, 8, 2),
                SyntheticRuns.Make("bare-metal", "UDP_RR", 18, 0.02, 8, 3), SyntheticRuns.Make("container", "UDP_RR", 22, 0.02, 8, 4),
            };
            var r = engine.Run("""
                $xml = [System.Management.Automation.PSSerializer]::Serialize($runs, 3)
                $remoted = [System.Management.Automation.PSSerializer]::Deserialize($xml)
                $remoted[0].PSObject.TypeNames[0]
                $remoted | Export-LatencyReport -Path $html
                """, ("runs", runs), ("html", html));
            Assert.Empty(r.Errors);
            Assert.Equal("Deserialized.OnloadTools.LatencyRun", r.Output[0].BaseObject);
            Assert.Single(r.Output); // no -PassThru: nothing else
            string text = File.ReadAllText(html);
            Assert.Contains("Against bare-metal, container adds no measurable latency at the mean", text);  // TCP_RR, +1 %
            Assert.Contains("REGRESSION", text);                                                                // UDP_RR, +22 %
            AssertRendersInChromium(html, 6, Path.Combine(dir, "remoted.png"));

            var before = File.GetLastWriteTimeUtc(html);
            var whatIf = engine.Run("$runs | Export-LatencyReport -Path $html -WhatIf", ("runs", runs), ("html", html));
            Assert.Empty(whatIf.Errors);
            Assert.Equal(before, File.GetLastWriteTimeUtc(html));
            Assert.Equal(text, File.ReadAllText(html));

            var overwritten = engine.Run("$runs | Export-LatencyReport -Path $html -Title Second -Confirm:$false -PassThru", ("runs", runs), ("html", html));
            Assert.Empty(overwritten.Errors);
            Assert.Contains("<title>Second</title>", File.ReadAllText(html));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Sockperf_properties_survive_deserialization_into_the_report()
    {
        var run = SyntheticRuns.Make("kernel", "UDP_PINGPONG", 10, 0.02, 3, 7);
        run.Tool = "sockperf";
        run.LatencyKind = "OneWay";
        foreach (var s in run.Samples)
        {
            s.LatencyKind = "OneWay";
            s.DistributionPercentiles = new[] { 0, 50, 99, 99.99, 100 };
            s.DistributionLatencies = new[] { 5.1, 9.7, 14.2, 80.5, 312.25 };
        }
        // Remoting's serializer (depth 3, as Invoke-Command uses) and the binder every cmdlet that takes runs uses.
        object back = System.Management.Automation.PSSerializer.Deserialize(System.Management.Automation.PSSerializer.Serialize(run, 3));
        var bound = OnloadTools.Commands.LatencyRunBinder.Bind(back);
        Assert.Equal("OneWay", bound.LatencyKind);
        Assert.Equal(312.25, bound.Samples[0].DistributionLatencies![4]);
        Assert.Equal(5, bound.Samples[0].DistributionPercentiles!.Length);
    }

    [Fact]
    public void Bad_input_gives_clear_errors()
    {
        string dir = TempDir();
        try
        {
            using var engine = new PowerShellEngine();
            var runs = new[] { SyntheticRuns.Make("a", "TCP_RR", 20, 0.02, 3, 1), SyntheticRuns.Make("b", "TCP_RR", 20, 0.02, 3, 2) };
            string html = Path.Combine(dir, "x.html");

            var missing = engine.Run("$runs | Export-LatencyReport -Path $html -ReferenceLabel nosuch", ("runs", runs), ("html", html));
            Assert.StartsWith("ReferenceLabelNotFound,", missing.SingleError.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.ObjectNotFound, missing.SingleError.CategoryInfo.Category);
            Assert.Contains("'a', 'b'", missing.SingleError.Exception.Message);
            Assert.False(File.Exists(html));

            var notRuns = engine.Run("'hello', 42 | Export-LatencyReport -Path $html", ("html", html));
            var ids = notRuns.Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]).ToArray();
            Assert.Equal(new[] { "NotALatencyRun", "NotALatencyRun", "NoLatencyRuns" }, ids);
            Assert.False(File.Exists(html));

            var toDir = engine.Run("$runs | Export-LatencyReport -Path $dir", ("runs", runs), ("dir", dir));
            Assert.StartsWith("ReportPathIsDirectory,", toDir.SingleError.FullyQualifiedErrorId);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
