using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace OnloadTools.Processes;

/// <summary>
/// Keeps the module's measuring tools and private servers from outliving pwsh, and out of the terminal's process
/// group. Used by <see cref="ToolRunner"/> only, for commands marked <see cref="ToolCommand.Tethered"/>.
/// </summary>
/// <remarks>
/// <para><b>Own process group, same session.</b> A tethered tool is started as
/// <c>setpriv --pdeathsig TERM -- timeout -k 1 0 setpriv --pdeathsig KILL -- TOOL ARGS…</c> (util-linux and coreutils,
/// on RHEL and Debian alike). GNU timeout puts itself in a new process group (setpgid) and forks the tool into it;
/// a duration of 0 never times out. A terminal's Ctrl+C (SIGINT to the foreground group) therefore reaches pwsh
/// only; the module kills the tool itself when the pipeline stops. The tool stays in pwsh's <i>session</i>:
/// <c>setsid</c> would also isolate it, but a new session is a new scheduler autogroup
/// (kernel.sched_autogroup_enabled), which changes how netperf and netserver are scheduled against everything
/// else: measured on this machine, netperf under setsid reported 2–4× the latency of the same netperf beside it.
/// The command line recorded on results stays the tool's own.</para>
/// <para><b>Death of the parent.</b> PR_SET_PDEATHSIG survives execve (of a binary that is not set-user-ID): the
/// outer setpriv makes the kernel send timeout SIGTERM when pwsh dies (even when pwsh is SIGKILLed), and the inner
/// one SIGKILLs the tool when timeout dies. timeout passes the SIGTERM to its whole process group and SIGKILLs the
/// group a second later (<c>-k 1</c>): that group also holds what the tool forked, which no parent-death signal
/// covers (a netserver's per-test child, forked when a connection came in, would otherwise wait for its netperf
/// forever when pwsh died while that netperf was still setting up its test). Linux means the parent
/// <i>thread</i>: the signal is sent when the thread that forked the child exits, even if the process lives on.
/// .NET forks from whichever thread calls Process.Start, often a thread-pool thread that retires after some idle
/// seconds, which would kill a healthy netserver or netperf mid-run. So every tethered process is forked from one
/// dedicated launcher thread that lives as long as the process (it only ever waits for work); timeout is
/// single-threaded. The signal comes exactly when pwsh ends, however it ends.</para>
/// <para><b>SIGTERM and SIGHUP.</b> <see cref="CancelOnTermination"/> registers a cmdlet's stop token; on SIGTERM
/// or SIGHUP the module cancels every registered token (the same path as Ctrl+C: children killed, measured
/// iterations kept and saved), waits a bounded time for those cmdlets to finish their cleanup, then lets the
/// signal take its default course (pwsh ends).</para>
/// <para>Where setpriv or timeout is missing the tool is started directly (no tether; the rest still holds).</para>
/// </remarks>
internal static class ProcessGate
{
    private static readonly BlockingCollection<Action> Work = new();
    private static readonly Thread Launcher = StartLauncher();
    private static readonly (string Setpriv, string Timeout)? Wrappers = FindWrappers();

    /// <summary>True when tethered tools get their own process group and die with this process.</summary>
    public static bool CanTether => Wrappers is not null;

    private static Thread StartLauncher()
    {
        var t = new Thread(() =>
        {
            foreach (var work in Work.GetConsumingEnumerable()) work();
        })
        {
            IsBackground = true,
            Name = "OnloadTools process launcher",
        };
        t.Start();
        return t;
    }

    private static (string, string)? FindWrappers()
    {
        if (!OperatingSystem.IsLinux()) return null;
        // Fixed system locations, not PATH: the wrappers are part of the OS, not something a PATH entry may replace.
        string? Find(string name) => new[] { "/usr/bin", "/bin", "/usr/sbin", "/sbin" }
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
        return Find("setpriv") is { } p && Find("timeout") is { } t ? (p, t) : null;
    }

    /// <summary>The executable and arguments that actually start a tethered <paramref name="executable"/>.</summary>
    internal static (string Executable, IReadOnlyList<string> Arguments) Wrap(string executable, IReadOnlyList<string> arguments)
    {
        if (Wrappers is not { } w) return (executable, arguments);
        var args = new List<string>(arguments.Count + 12)
        {
            "--pdeathsig", "TERM", "--", w.Timeout, "-k", "1", "0", w.Setpriv, "--pdeathsig", "KILL", "--", executable,
        };
        args.AddRange(arguments);
        return (w.Setpriv, args);
    }

    /// <summary>
    /// The tool's own pid under the launcher <paramref name="launcher"/> started (timeout's child), once it has
    /// exec'd past setpriv; the launcher's pid when it cannot be told within a second (or nothing was wrapped).
    /// </summary>
    internal static int ToolProcessId(int launcher)
    {
        if (Wrappers is null) return launcher;
        var end = DateTime.UtcNow + TimeSpan.FromSeconds(1);
        do
        {
            try
            {
                string children = File.ReadAllText($"/proc/{launcher}/task/{launcher}/children").Trim();
                // Freshly forked it is still "timeout", then "setpriv", then the tool.
                if (children.Length > 0 && int.TryParse(children.Split(' ')[0], out int child)
                    && File.ReadAllText($"/proc/{child}/comm").Trim() is not ("timeout" or "setpriv"))
                {
                    return child;
                }
            }
            catch (IOException) { return launcher; }
            catch (UnauthorizedAccessException) { return launcher; }
            Thread.Sleep(2); // only while the tool starts, never while it measures
        }
        while (DateTime.UtcNow < end);
        return launcher;
    }

    /// <summary>Runs <paramref name="start"/> (which forks) on the launcher thread and returns what it returned.</summary>
    internal static T OnLauncherThread<T>(Func<T> start)
    {
        if (Thread.CurrentThread == Launcher) return start();
        using var done = new ManualResetEventSlim();
        T result = default!;
        ExceptionDispatchInfo? error = null;
        Work.Add(() =>
        {
            try { result = start(); }
            catch (Exception e) { error = ExceptionDispatchInfo.Capture(e); }
            finally { done.Set(); }
        });
        done.Wait();
        error?.Throw();
        return result;
    }

    // ---- SIGTERM / SIGHUP -------------------------------------------------------------------------------------

    private static readonly object Gate = new();
    private static readonly HashSet<CancellationTokenSource> Active = new();
    private static List<PosixSignalRegistration>? _registrations;

    /// <summary>How long a SIGTERM or SIGHUP waits for the cmdlets' own cleanup before pwsh ends anyway.</summary>
    public static TimeSpan TerminationGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Cancels <paramref name="stop"/> when this process gets SIGTERM or SIGHUP, until the result is disposed.</summary>
    public static IDisposable CancelOnTermination(CancellationTokenSource stop)
    {
        lock (Gate)
        {
            if (_registrations is null && !OperatingSystem.IsWindows())
            {
                _registrations = new List<PosixSignalRegistration>
                {
                    PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTermination),
                    PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnTermination),
                };
            }
            Active.Add(stop);
        }
        return new Registration(stop);
    }

    private sealed class Registration(CancellationTokenSource stop) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate)
            {
                if (Active.Remove(stop)) Monitor.PulseAll(Gate);
            }
        }
    }

    private static void OnTermination(PosixSignalContext context)
    {
        CancellationTokenSource[] running;
        lock (Gate) running = Active.ToArray();
        if (running.Length == 0) return; // nothing of ours is running: the signal's default course
        foreach (var cts in running)
        {
            try { cts.Cancel(); } catch (ObjectDisposedException) { }
        }
        // The cmdlets kill their tools and save what they measured; once they are done (or the grace is over) the
        // signal takes its default course. The handler runs on its own thread, so waiting here blocks nothing else.
        var deadline = DateTime.UtcNow + TerminationGrace;
        lock (Gate)
        {
            while (running.Any(Active.Contains))
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !Monitor.Wait(Gate, left)) break;
            }
        }
    }
}
