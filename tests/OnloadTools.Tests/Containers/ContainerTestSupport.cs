namespace OnloadTools.Tests.Containers;

/// <summary>
/// The environment of a container test: a fake host root with Onload device nodes (symlinks to /dev/null, which
/// podman resolves) and /sys/class/net/lo, the host onload double on PATH, optionally the recording docker double.
/// </summary>
public sealed class ContainerTestEnvironment : IDisposable
{
    public static string DockerDoubles => TestPaths.Fixture("bin-docker");
    public static string HostOnloadDouble => TestPaths.Fixture("containers", "host-bin");

    private readonly DoublesOnPath _doubles;
    private readonly string? _originalPath = Environment.GetEnvironmentVariable("PATH");

    public ContainerTestEnvironment(bool dockerDouble, string[]? devices = null, string? onlyPath = null)
    {
        var extra = new List<string>();
        if (dockerDouble) extra.Add(DockerDoubles);
        extra.Add(HostOnloadDouble);
        _doubles = new DoublesOnPath(null, extra.ToArray());
        if (onlyPath is not null) Environment.SetEnvironmentVariable("PATH", onlyPath);
        HostRoot = Directory.CreateTempSubdirectory("onloadtools-host-").FullName;
        Directory.CreateDirectory(Path.Combine(HostRoot, "dev"));
        Directory.CreateDirectory(Path.Combine(HostRoot, "sys", "class", "net", "lo"));
        foreach (string d in devices ?? new[] { "onload", "onload_epoll", "onload_cplane" })
        {
            File.CreateSymbolicLink(Path.Combine(HostRoot, "dev", d), "/dev/null");
        }
        _doubles.Set("ONLOADTOOLS_HOST_ROOT", HostRoot);
        _doubles.Set("ONLOADTOOLS_DOUBLE_ONLOAD_VERSION", null);
        _doubles.Set("ONLOADTOOLS_DOUBLE_DOCKERD", null);
        // podman needs runc and the VM's limits (DESIGN.md); CI may already point CONTAINERS_CONF somewhere.
        if (Environment.GetEnvironmentVariable("CONTAINERS_CONF") is not { Length: > 0 })
        {
            _doubles.Set("CONTAINERS_CONF", TestPaths.Fixture("containers", "containers.conf"));
        }
    }

    public string HostRoot { get; }
    public string StateDirectory => _doubles.StateDirectory;
    public void Set(string name, string? value) => _doubles.Set(name, value);

    /// <summary>The docker double's invocations, each as its argument list.</summary>
    public IReadOnlyList<string[]> DockerCalls
    {
        get
        {
            string log = Path.Combine(StateDirectory, "docker.log");
            return File.Exists(log) ? File.ReadAllLines(log).Select(l => l.Split('\t')).ToArray() : Array.Empty<string[]>();
        }
    }

    public void Dispose()
    {
        _doubles.Dispose();
        Environment.SetEnvironmentVariable("PATH", _originalPath);
        try { Directory.Delete(HostRoot, recursive: true); } catch (IOException) { }
    }

    /// <summary>
    /// A .deb holding the onload test double as /usr/bin/onload (package "onload", version 8.1.2.26-1), built with
    /// the real dpkg-deb. The file name carries no version, so the version must come from the package header.
    /// </summary>
    public static string BuildOnloadDeb(string directory, string version = "8.1.2.26")
    {
        string root = Path.Combine(directory, "pkgroot");
        Directory.CreateDirectory(Path.Combine(root, "DEBIAN"));
        Directory.CreateDirectory(Path.Combine(root, "usr", "bin"));
        File.WriteAllText(Path.Combine(root, "DEBIAN", "control"),
            $"Package: onload\nVersion: {version}-1\nArchitecture: all\nMaintainer: OnloadTools tests <tests@example.invalid>\n" +
            "Description: test double of OpenOnload's onload wrapper\n");
        string script = File.ReadAllText(Path.Combine(HostOnloadDouble, "onload"))
            .Replace("${ONLOADTOOLS_DOUBLE_ONLOAD_VERSION:-8.1.2.26}", $"${{ONLOADTOOLS_DOUBLE_ONLOAD_VERSION:-{version}}}");
        string onload = Path.Combine(root, "usr", "bin", "onload");
        File.WriteAllText(onload, script);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(onload, (UnixFileMode)0b111_101_101);
        string deb = Path.Combine(directory, "onload-test-double.deb");
        TestProcess.Run("dpkg-deb", "--root-owner-group", "--build", root, deb);
        return deb;
    }
}
