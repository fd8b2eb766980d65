using System.Runtime.InteropServices;

namespace OnloadTools.Processes;

/// <summary>
/// The process groups below a process we started. A tethered tool runs in a group of its own (ProcessGate), and a
/// server such as netserver forks a child per test into that group; those children carry no parent-death signal, so
/// stopping the server kills its whole group, not only the process CliWrap knows.
/// </summary>
internal static class ProcessGroups
{
    private const int SigKill = 9;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc")]
    private static extern int getpgrp();

    /// <summary>The process groups (other than ours) of every live descendant of <paramref name="root"/>.</summary>
    public static IReadOnlyList<int> OfDescendants(int root)
    {
        if (!OperatingSystem.IsLinux() || root <= 0) return Array.Empty<int>();
        var parents = new Dictionary<int, (int Parent, int Group)>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = (int.Parse(rest[1]), int.Parse(rest[2]));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
            {
                // gone meanwhile, or not readable: not ours
            }
        }
        int own = getpgrp();
        var groups = new HashSet<int>();
        foreach (var (pid, (_, group)) in parents)
        {
            int p = pid;
            for (int depth = 0; depth < 8 && parents.TryGetValue(p, out var entry); depth++)
            {
                if (entry.Parent == root) { if (group != own && group > 1) groups.Add(group); break; }
                p = entry.Parent;
            }
        }
        return groups.ToArray();
    }

    /// <summary>SIGKILL to every process of each group (a group already gone is fine).</summary>
    public static void Kill(IEnumerable<int> groups)
    {
        foreach (int group in groups) _ = kill(-group, SigKill);
    }
}
