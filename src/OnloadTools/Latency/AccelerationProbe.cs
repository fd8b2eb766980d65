using OnloadTools.Host;
using OnloadTools.Processes;

namespace OnloadTools.Latency;

/// <summary>
/// "Was it really accelerated?": while a netperf iteration runs, looks at the netperf process through /proc for an
/// Onload stack serving it. Two facts, both needed: Onload's library (libonload) is mapped (/proc/&lt;pid&gt;/maps), and
/// the process holds an Onload stack (/proc/&lt;pid&gt;/fd). The library alone proves nothing: when libonload cannot open
/// /dev/onload (no driver loaded, a container without the device) it stays mapped and silently hands every socket to
/// the kernel. Onload is lost silently more often than not (a container started without the devices, a profile not
/// found, an image without the onload wrapper, a host whose driver is not loaded): a run that asked for Onload records
/// whether it got it. Looks a moment after netperf starts (every 100 ms until the netperf process is seen, at most 30
/// times; once more after the same delay when the library is there without a stack, as a stack is made at netperf's
/// first socket): nothing polls once it is known.
/// </summary>
/// <remarks>
/// What counts as holding a stack, from Onload's sources (github.com/Xilinx-CNS/onload, read at ef17681d):
/// src/tools/ip/fuser.c (onload_fuser) finds Onload users by the open files in /proc/PID/fd: a descriptor whose device
/// is /dev/onload's or /dev/onload_epoll's, or one on Onload's own pseudo file system (onloadfs).
/// src/lib/transport/common/netif_init.c opens /dev/onload for each stack a process creates and keeps that descriptor
/// as the stack's handle for the stack's life (the driver attaches the new stack to it), so a process with its own
/// stack holds an open /dev/onload. src/driver/linux_onload/onloadfs.c names onloadfs files "onload:[stack:ID]" (a stack
/// attached to later) and "onload:[tcp:ID:N]", "onload:[udp:ID:N]" … (sockets of a stack), which is how their
/// /proc/PID/fd links read. /dev/onload_epoll alone is Onload's epoll, not a stack, so it does not count here.
/// In a container /dev/onload reads the same from the host (the path inside the container's own /dev). Under a fake
/// host root (<see cref="HostFileSystem.RootVariable"/>) the root's /dev/onload is the device, as for the container
/// cmdlets' --device arguments.
/// </remarks>
internal static class AccelerationProbe
{
    /// <summary>What Onload's preloaded library is named (libonload.so).</summary>
    public const string LibraryName = "libonload";
    /// <summary>Onload's device: a process with an Onload stack of its own holds it open.</summary>
    public const string StackDevice = "/dev/onload";
    /// <summary>How the links of files on Onload's pseudo file system (onloadfs: stacks, sockets) begin.</summary>
    public const string OnloadFsPrefix = "onload:[";
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";

    /// <summary>The warning of an iteration that asked for Onload and ran without it.</summary>
    public const string NotAcceleratedWarning =
        "Onload was expected but netperf ran without it (libonload was not mapped in the netperf process). " +
        "Check the container has the Onload devices (--device /dev/onload …), the onload profile exists, and the Onload driver is loaded.";

    /// <summary>The warning of an iteration whose netperf had Onload's library but no Onload stack: it ran on the kernel's stack.</summary>
    public const string NoStackWarning =
        "libonload is loaded but created no Onload stack: netperf ran on the kernel's network stack (it held no open /dev/onload). " +
        "Onload falls back to the kernel silently when it cannot open /dev/onload: check the Onload driver is loaded (onload_tool reload) " +
        "and, in a container, that it was started with the Onload devices (--device /dev/onload …).";

    /// <summary>What a look at the netperf processes found: the state, and the warning that goes with False.</summary>
    internal readonly record struct Finding(string State, string? Warning)
    {
        public static readonly Finding NotSeen = new(Unknown, null);
    }

    /// <summary>What one netperf process had.</summary>
    private enum ProcessOnload { Unreadable, NoLibrary, NoStack, Stack }

    /// <summary>netperf's own arguments in a command (after any prefix: onload, engine exec …); null when netperf is not in it.</summary>
    public static IReadOnlyList<string>? NetperfArguments(ToolCommand command)
    {
        var words = command.Arguments.Prepend(command.Tool).ToList();
        int at = words.FindIndex(w => w == "netperf" || (w.EndsWith("/netperf", StringComparison.Ordinal)));
        return at < 0 ? null : words.Skip(at + 1).ToArray();
    }

    /// <summary>
    /// True when every netperf process running <paramref name="command"/> in <paramref name="scope"/> has libonload
    /// mapped and holds an Onload stack, False when none does (no library, or a library without a stack), else Unknown.
    /// The scope keeps out another user's netperf with the same arguments: this process's descendants for a client on
    /// the host, the container's cgroup for one inside a container.
    /// </summary>
    public static string Check(HostFileSystem fs, ToolCommand command, Func<int, bool> scope) => Look(fs, command, scope).State;

    /// <summary><see cref="Check"/> with the reason of a False: <see cref="NotAcceleratedWarning"/> when a netperf had no
    /// libonload, else <see cref="NoStackWarning"/>.</summary>
    internal static Finding Look(HostFileSystem fs, ToolCommand command, Func<int, bool> scope)
    {
        if (NetperfArguments(command) is not { } args) return Finding.NotSeen;
        var answers = ProcessInspector.FindByCommandLine(fs, "netperf", args)
            .Where(scope)
            .Select(pid => Inspect(fs, pid))
            .Where(a => a != ProcessOnload.Unreadable)
            .ToArray();
        if (answers.Length == 0) return Finding.NotSeen;
        if (answers.All(a => a == ProcessOnload.Stack)) return new Finding(True, null);
        if (answers.Contains(ProcessOnload.Stack)) return Finding.NotSeen; // some had it, some not: not one fact
        return new Finding(False, answers.Contains(ProcessOnload.NoLibrary) ? NotAcceleratedWarning : NoStackWarning);
    }

    private static ProcessOnload Inspect(HostFileSystem fs, int pid)
    {
        switch (ProcessInspector.MapsContain(fs, pid, LibraryName))
        {
            case null: return ProcessOnload.Unreadable;
            case false: return ProcessOnload.NoLibrary;
        }
        if (ProcessInspector.OpenFiles(fs, pid) is not { } files) return ProcessOnload.Unreadable;
        return files.Any(f => IsStackFile(fs, f)) ? ProcessOnload.Stack : ProcessOnload.NoStack;
    }

    /// <summary>Whether an open file (a /proc/PID/fd link) is an Onload stack or one of its sockets (see the remarks).</summary>
    internal static bool IsStackFile(HostFileSystem fs, string link) =>
        link == StackDevice
        || (!fs.IsRealHost && link == fs.Map(StackDevice))
        || link.StartsWith(OnloadFsPrefix, StringComparison.Ordinal);

    /// <summary>Runs one iteration, checking it while it runs; the sample comes back with <see cref="LatencySample.Accelerated"/> set,
    /// and with <see cref="NotAcceleratedWarning"/> or <see cref="NoStackWarning"/> among its warnings when it is False.</summary>
    public static async Task<LatencySample> RunCheckedAsync(Func<CancellationToken, Task<LatencySample>> iteration, HostFileSystem fs, ToolCommand command,
        Func<int, bool> scope, TimeSpan delay, CancellationToken ct)
    {
        Task<LatencySample> task = iteration(ct);
        Finding found = Finding.NotSeen;
        int looksAgain = 0;
        TimeSpan wait = delay;
        // Until netperf is seen (the wrapper may not have exec'd it yet): a look every 100 ms, then none while it measures.
        // A False is looked at twice more, at least 200 ms apart, before it stands: a look between exec and the loader's
        // mapping of the preloaded library sees no library, and one between the mapping and netperf's first socket (when
        // Onload makes its stack) sees the library alone. On a loaded host those moments are long enough to be caught.
        for (int attempt = 0; attempt < 30; attempt++)
        {
            Task first = await Task.WhenAny(task, Task.Delay(wait, ct)).ConfigureAwait(false);
            if (first == task || task.IsCompleted || ct.IsCancellationRequested) break;
            Finding now = Look(fs, command, scope);
            if (now.State == Unknown && found.State == Unknown)
            {
                wait = TimeSpan.FromMilliseconds(100);
                continue;
            }
            if (now.State != Unknown) found = now;
            if (found.State == False && looksAgain < 2)
            {
                looksAgain++;
                wait = delay > TimeSpan.FromMilliseconds(200) ? delay : TimeSpan.FromMilliseconds(200);
                continue;
            }
            break;
        }
        LatencySample sample = await task.ConfigureAwait(false);
        sample.Accelerated = found.State;
        if (found.Warning is { } warning) sample.Warnings = sample.Warnings.Append(warning).ToArray();
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
