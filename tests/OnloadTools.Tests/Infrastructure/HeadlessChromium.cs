using System.Diagnostics;

namespace OnloadTools.Tests;

/// <summary>
/// Debian's chromium, headless, to open generated pages for real: the DOM after the scripts ran, the console
/// messages (stderr logging), and a screenshot. Missing chromium fails the test with the install command: never a skip.
/// </summary>
public static class HeadlessChromium
{
    public static string Executable
    {
        get
        {
            foreach (string candidate in new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" })
            {
                if (File.Exists(candidate)) return candidate;
            }
            string? onPath = OnloadTools.Processes.ToolRunner.Default.Which("chromium");
            Assert.True(onPath is not null, "chromium is not installed: run 'apt-get install -y chromium' (the CI image must have it; these tests never skip).");
            return onPath!;
        }
    }

    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    private static Result Run(string pageOrUrl, params string[] extra)
    {
        string profile = Directory.CreateTempSubdirectory("onloadtools-chromium-").FullName;
        try
        {
            var psi = new ProcessStartInfo(Executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string a in new[]
                     {
                         "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + profile,
                     }.Concat(extra).Append(pageOrUrl))
            {
                psi.ArgumentList.Add(a);
            }
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromSeconds(90)))
            {
                p.Kill(entireProcessTree: true);
                Assert.Fail("chromium did not finish within 90 s");
            }
            return new Result(p.ExitCode, stdout.Result, stderr.Result);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The serialized DOM once the page's scripts have run, and chromium's log with the console messages.</summary>
    public static Result DumpDom(string htmlPath) =>
        Run(new Uri(htmlPath).AbsoluteUri, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom");

    public static Result Screenshot(string htmlPath, string pngPath, int width = 1280, int height = 3600) =>
        Run(new Uri(htmlPath).AbsoluteUri, "--hide-scrollbars", $"--window-size={width},{height}", "--virtual-time-budget=5000", "--screenshot=" + pngPath);

    /// <summary>Console messages chromium logged (lines of its stderr log that come from the page's console).</summary>
    public static string[] ConsoleLines(string stderr) =>
        stderr.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal) || l.Contains("Uncaught", StringComparison.Ordinal)).ToArray();
}
