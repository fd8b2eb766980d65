using OnloadTools.Host;

namespace OnloadTools.Tests.Tuning;

/// <summary>The fake host roots in tests/fixtures/hosts, and writable copies of them for tests that alter one.</summary>
public static class FakeHost
{
    public const string TwoSocket = "two-socket-sfc-node1";

    public static string Root(string name) => TestPaths.Fixture("hosts", name);

    internal static HostFileSystem Fs(string name) => new(Root(name));

    /// <summary>Copies a fake root (symlinks kept as links) to a temp folder the test may change.</summary>
    public static string Copy(string name)
    {
        string target = Directory.CreateTempSubdirectory("onloadtools-host-").FullName;
        CopyDirectory(Root(name), target);
        return target;
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            string dest = Path.Combine(target, entry.Name);
            if (entry.LinkTarget is { } link)
            {
                if (entry is DirectoryInfo) Directory.CreateSymbolicLink(dest, link);
                else File.CreateSymbolicLink(dest, link);
            }
            else if (entry is DirectoryInfo d) CopyDirectory(d.FullName, dest);
            else File.Copy(entry.FullName, dest);
        }
    }
}
