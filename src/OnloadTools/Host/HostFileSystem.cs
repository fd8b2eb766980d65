namespace OnloadTools.Host;

/// <summary>
/// Reads /proc, /sys, /etc and /dev through a root folder. Production uses "/"; tests point it at a fake tree
/// (a two-socket host, a Solarflare adapter) with the ONLOADTOOLS_HOST_ROOT environment variable.
/// </summary>
internal sealed class HostFileSystem
{
    public const string RootVariable = "ONLOADTOOLS_HOST_ROOT";

    public HostFileSystem(string root)
    {
        Root = string.IsNullOrEmpty(root) ? "/" : root;
    }

    /// <summary>The host as the process sees it, or the fake tree named by ONLOADTOOLS_HOST_ROOT.</summary>
    public static HostFileSystem Current =>
        new(System.Environment.GetEnvironmentVariable(RootVariable) is { Length: > 0 } r ? r : "/");

    public string Root { get; }
    public bool IsRealHost => Root == "/";

    /// <summary>Maps an absolute host path (/sys/class/net) into the root.</summary>
    public string Map(string hostPath)
    {
        if (Root == "/") return hostPath;
        return Path.Join(Root, hostPath.TrimStart('/'));
    }

    public bool Exists(string hostPath) => File.Exists(Map(hostPath)) || Directory.Exists(Map(hostPath));
    public bool FileExists(string hostPath) => File.Exists(Map(hostPath));
    public bool DirectoryExists(string hostPath) => Directory.Exists(Map(hostPath));

    /// <summary>The file's text trimmed of trailing white space, or null when it is absent or unreadable.</summary>
    public string? ReadText(string hostPath)
    {
        try
        {
            return File.ReadAllText(Map(hostPath)).TrimEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Names of the entries of a directory (sorted), or empty when it does not exist.</summary>
    public IReadOnlyList<string> List(string hostPath)
    {
        string dir = Map(hostPath);
        if (!Directory.Exists(dir)) return Array.Empty<string>();
        return Directory.EnumerateFileSystemEntries(dir).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Where a symlink points (final path component), e.g. the driver of a network device.</summary>
    public string? LinkTargetName(string hostPath)
    {
        try
        {
            var info = new FileInfo(Map(hostPath));
            string? target = info.LinkTarget ?? new DirectoryInfo(Map(hostPath)).LinkTarget;
            return target is null ? null : Path.GetFileName(target.TrimEnd('/'));
        }
        catch (IOException)
        {
            return null;
        }
    }
}
