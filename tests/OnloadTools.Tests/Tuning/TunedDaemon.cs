using System.Diagnostics;

namespace OnloadTools.Tests.Tuning;

/// <summary>
/// Makes sure the real tuned daemon runs (starting the system D-Bus and 'tuned -d' when they are absent, as on a
/// fresh CI machine) and puts back the profile that was active before the tests of a class ran.
/// </summary>
public sealed class TunedDaemonFixture : IDisposable
{
    private static readonly object Gate = new();

    public TunedDaemonFixture()
    {
        Available = EnsureRunning(out string why);
        WhyUnavailable = why;
        if (Available) OriginalProfile = ActiveProfile();
    }

    /// <summary>tuned-adm answers (tuned installed, daemon running).</summary>
    public bool Available { get; }
    public string WhyUnavailable { get; }
    public string? OriginalProfile { get; }

    /// <summary>Starts D-Bus and tuned if they are not running (idempotent). False when tuned is not installed.</summary>
    public static bool EnsureRunning(out string why)
    {
        lock (Gate)
        {
            why = "";
            if (Which("tuned-adm") is null || Which("tuned") is null)
            {
                why = "tuned is not installed (apt-get install -y tuned dbus)";
                return false;
            }
            if (Answers()) return true;
            if (!Running("dbus-daemon"))
            {
                Directory.CreateDirectory("/run/dbus");
                if (File.Exists("/run/dbus/pid")) File.Delete("/run/dbus/pid"); // stale from a dead bus
                Run("dbus-daemon", "--system", "--fork");
            }
            if (!Running("tuned")) Run("tuned", "-d");
            var until = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < until)
            {
                if (Answers()) return true;
                Thread.Sleep(300);
            }
            why = "tuned was started but tuned-adm does not answer within 30 s";
            return false;
        }
    }

    public static string? ActiveProfile()
    {
        var (_, stdout, _) = Run("tuned-adm", "active");
        return OnloadTools.Tuning.TunedAdmParser.ParseActive(stdout);
    }

    /// <summary>Puts a profile back (null: tuned-adm off).</summary>
    public static void Restore(string? profile)
    {
        if (profile is null) Run("tuned-adm", "off");
        else Run("tuned-adm", "profile", profile);
    }

    public void Dispose()
    {
        if (Available && ActiveProfile() != OriginalProfile) Restore(OriginalProfile);
    }

    private static bool Answers()
    {
        var (code, stdout, stderr) = Run("tuned-adm", "active");
        return !(stdout + stderr).Contains("Cannot talk to", StringComparison.Ordinal) && (code == 0 || stdout.Contains("No current active profile"));
    }

    private static bool Running(string comm) => Pids(comm).Any();

    /// <summary>Live (not zombie) processes whose /proc/PID/comm is <paramref name="comm"/>.</summary>
    public static IEnumerable<int> Pids(string comm) =>
        Directory.EnumerateDirectories("/proc").Select(d =>
        {
            try
            {
                if (!int.TryParse(Path.GetFileName(d), out int pid) || File.ReadAllText(Path.Combine(d, "comm")).Trim() != comm) return -1;
                string stat = File.ReadAllText(Path.Combine(d, "stat"));
                return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z') ? -1 : pid;   // a zombie is not running
            }
            catch (IOException) { return -1; }
            catch (UnauthorizedAccessException) { return -1; }
        }).Where(p => p > 0).ToList();

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") + ":/usr/sbin:/sbin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    public static (int Code, string Stdout, string Stderr) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(Which(tool) ?? tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        // daemons that fork keep the pipes open: read asynchronously and do not wait for EOF after exit
        var outTask = p.StandardOutput.ReadToEndAsync();
        var errTask = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); }
        p.WaitForExit();
        string o = outTask.Wait(2000) ? outTask.Result : "";
        string e = errTask.Wait(2000) ? errTask.Result : "";
        return (p.ExitCode, o, e);
    }
}
