namespace OnloadTools.Host;

/// <summary>Reads other processes through /proc: which process runs a given command line, what it has mapped, and what it holds open.</summary>
internal static class ProcessInspector
{
    /// <summary>
    /// Pids of the live processes whose executable name (argv[0]'s last path component) is <paramref name="executable"/>
    /// and whose remaining arguments are exactly <paramref name="arguments"/>. Processes of containers are seen too
    /// (they are processes of this host). Commas count as argument separators on both sides: netperf (strtok) writes
    /// NULs over the commas of its own arguments ("-r 1,1" reads back as "-r 1 1").
    /// </summary>
    public static IReadOnlyList<int> FindByCommandLine(HostFileSystem fs, string executable, IReadOnlyList<string> arguments)
    {
        var found = new List<int>();
        string expected = Normalize(arguments);
        foreach (string entry in fs.List("/proc"))
        {
            if (!int.TryParse(entry, out int pid)) continue;
            string? cmdline = ReadRaw(fs, $"/proc/{pid}/cmdline");
            if (cmdline is null || cmdline.Length == 0) continue;
            string[] argv = cmdline.TrimEnd('\0').Split('\0');
            if (!string.Equals(Path.GetFileName(argv[0]), executable, StringComparison.Ordinal)) continue;
            if (string.Equals(Normalize(argv.Skip(1)), expected, StringComparison.Ordinal)) found.Add(pid);
        }
        return found;
    }

    /// <summary>The parent pid (from /proc/&lt;pid&gt;/stat), or null when the process is gone.</summary>
    public static int? ParentOf(HostFileSystem fs, int pid)
    {
        string? stat = ReadRaw(fs, $"/proc/{pid}/stat");
        if (stat is null) return null;
        int close = stat.LastIndexOf(')');
        if (close < 0) return null;
        string[] fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && int.TryParse(fields[1], out int ppid) ? ppid : null;
    }

    /// <summary>True when <paramref name="pid"/> is <paramref name="ancestor"/> or one of its descendants.</summary>
    public static bool DescendsFrom(HostFileSystem fs, int pid, int ancestor)
    {
        for (int depth = 0, p = pid; depth < 32 && p > 1; depth++)
        {
            if (p == ancestor) return true;
            if (ParentOf(fs, p) is not { } parent) return false;
            p = parent;
        }
        return false;
    }

    /// <summary>True when the process's /proc/&lt;pid&gt;/cgroup mentions <paramref name="fragment"/> (a container's id).</summary>
    public static bool CgroupContains(HostFileSystem fs, int pid, string fragment) =>
        ReadRaw(fs, $"/proc/{pid}/cgroup") is { } cg && cg.Contains(fragment, StringComparison.Ordinal);

    /// <summary>True when a mapping of the process names a file containing <paramref name="fragment"/>; null when its maps cannot be read (gone, or not permitted).</summary>
    public static bool? MapsContain(HostFileSystem fs, int pid, string fragment)
    {
        string? maps = ReadRaw(fs, $"/proc/{pid}/maps");
        if (maps is null || maps.Length == 0) return null;
        foreach (string line in maps.Split('\n'))
        {
            int slash = line.IndexOf('/');
            if (slash >= 0 && Path.GetFileName(line[slash..].TrimEnd()).Contains(fragment, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>
    /// What each open file descriptor of the process refers to (in descriptor order), as /proc/&lt;pid&gt;/fd/N's link reads: a path
    /// ("/dev/onload", "/dev/pts/0"), or a pseudo-file's name ("socket:[123]", "pipe:[456]", "onload:[tcp:1:2]").
    /// Null when the process's fd folder cannot be read (gone, or not permitted); a descriptor closed while it is read is skipped.
    /// </summary>
    public static IReadOnlyList<string>? OpenFiles(HostFileSystem fs, int pid)
    {
        string dir = fs.Map($"/proc/{pid}/fd");
        try
        {
            var targets = new List<string>();
            var entries = Directory.EnumerateFileSystemEntries(dir)
                .OrderBy(e => int.TryParse(Path.GetFileName(e), out int fd) ? fd : int.MaxValue);
            foreach (string entry in entries)
            {
                try
                {
                    if (new FileInfo(entry).LinkTarget is { } target) targets.Add(target);
                }
                catch (IOException)
                {
                    // closed between the listing and the read
                }
            }
            return targets;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Normalize(IEnumerable<string> args) => string.Join('\0', args).Replace(',', '\0');

    private static string? ReadRaw(HostFileSystem fs, string path)
    {
        try
        {
            return File.ReadAllText(fs.Map(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
