using OnloadTools.Host;
using OnloadTools.Processes;

namespace OnloadTools.Latency;

/// <summary>
/// "Was it really accelerated?": while a netperf iteration runs, looks in /proc/&lt;pid&gt;/maps of the netperf
/// process for Onload's library (libonload). Onload is lost silently more often than not (a container started
/// without the devices, a profile not found, an image without the onload wrapper): a run that asked for Onload
/// records whether it got it. Looks a moment after netperf starts (every 100 ms until the netperf process is
/// seen, at most 30 times): nothing polls once it is known.
/// </summary>
internal static class AccelerationProbe
{
    /// <summary>What Onload's preloaded library is named (libonload.so).</summary>
    public const string LibraryName = "libonload";
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";

    /// <summary>The warning of an iteration that asked for Onload and ran without it.</summary>
    public const string NotAcceleratedWarning =
        "Onload was expected but netperf ran without it (libonload was not mapped in the netperf process). " +
        "Check the container has the Onload devices (--device /dev/onload …), the onload profile exists, and the Onload driver is loaded.";

    /// <summary>netperf's own arguments in a command (after any prefix: onload, engine exec …); null when netperf is not in it.</summary>
    public static IReadOnlyList<string>? NetperfArguments(ToolCommand command)
    {
        var words = command.Arguments.Prepend(command.Tool).ToList();
        int at = words.FindIndex(w => w == "netperf" || (w.EndsWith("/netperf", StringComparison.Ordinal)));
        return at < 0 ? null : words.Skip(at + 1).ToArray();
    }

    /// <summary>
    /// True when every netperf process running <paramref name="command"/> in <paramref name="scope"/> has libonload mapped,
    /// False when none has, else Unknown. The scope keeps out another user's netperf with the same arguments: this
    /// process's descendants for a client on the host, the container's cgroup for one inside a container.
    /// </summary>
    public static string Check(HostFileSystem fs, ToolCommand command, Func<int, bool> scope)
    {
        if (NetperfArguments(command) is not { } args) return Unknown;
        var answers = ProcessInspector.FindByCommandLine(fs, "netperf", args)
            .Where(scope)
            .Select(pid => ProcessInspector.MapsContain(fs, pid, LibraryName))
            .Where(a => a is not null)
            .ToArray();
        if (answers.Length == 0) return Unknown;
        if (answers.All(a => a == true)) return True;
        if (answers.All(a => a == false)) return False;
        return Unknown;
    }

    /// <summary>Runs one iteration, checking it while it runs; the sample comes back with <see cref="LatencySample.Accelerated"/> set.</summary>
    public static async Task<LatencySample> RunCheckedAsync(Func<CancellationToken, Task<LatencySample>> iteration, HostFileSystem fs, ToolCommand command,
        Func<int, bool> scope, TimeSpan delay, CancellationToken ct)
    {
        Task<LatencySample> task = iteration(ct);
        string state = Unknown;
        TimeSpan wait = delay;
        // Until netperf is seen (the wrapper may not have exec'd it yet): a look every 100 ms, then none while it measures.
        for (int attempt = 0; attempt < 30 && state == Unknown; attempt++)
        {
            Task first = await Task.WhenAny(task, Task.Delay(wait, ct)).ConfigureAwait(false);
            if (first == task || task.IsCompleted || ct.IsCancellationRequested) break;
            state = Check(fs, command, scope);
            wait = TimeSpan.FromMilliseconds(100);
        }
        LatencySample sample = await task.ConfigureAwait(false);
        sample.Accelerated = state;
        if (state == False) sample.Warnings = sample.Warnings.Append(NotAcceleratedWarning).ToArray();
        return sample;
    }

    /// <summary>The scope of a client run by this process on the host: its descendants.</summary>
    public static Func<int, bool> ChildrenOfThisProcess(HostFileSystem fs)
    {
        int self = System.Environment.ProcessId;
        return pid => ProcessInspector.DescendsFrom(fs, pid, self);
    }

    /// <summary>The scope of a client inside a container: processes in the container's cgroup (its full id).</summary>
    public static Func<int, bool> InContainer(HostFileSystem fs, string containerId) => pid => ProcessInspector.CgroupContains(fs, pid, containerId);

    /// <summary>When to look: a moment after netperf starts, well inside its run.</summary>
    public static TimeSpan DelayFor(int durationSeconds) => TimeSpan.FromSeconds(Math.Clamp(durationSeconds * 0.1, 0.1, 1));

    /// <summary>A run's state from its samples': False when any iteration ran without Onload, True when all had it, else Unknown.</summary>
    public static string? Combine(IEnumerable<LatencySample> samples) => Combine(samples.Select(s => s.Accelerated));

    /// <summary>One state from several (samples of a run, runs of a side): False when any is False, True when all are
    /// True, else Unknown; null when none was checked.</summary>
    public static string? Combine(IEnumerable<string?> accelerated)
    {
        var states = accelerated.Where(a => !string.IsNullOrEmpty(a)).ToArray();
        if (states.Length == 0) return null;
        if (states.Contains(False)) return False;
        if (states.All(s => s == True)) return True;
        return Unknown;
    }
}
