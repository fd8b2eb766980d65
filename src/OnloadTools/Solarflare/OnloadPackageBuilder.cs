using OnloadTools.Processes;

namespace OnloadTools.Solarflare;

/// <summary>rpmbuild failed to build the packages.</summary>
internal sealed class RpmbuildFailedException : ToolFailedException
{
    public RpmbuildFailedException(ToolResult result) : base(result) { }
}

/// <summary>rpm could not read the header of a package rpmbuild made.</summary>
internal sealed class RpmQueryFailedException : ToolFailedException
{
    public RpmQueryFailedException(ToolResult result) : base(result) { }
}

/// <summary>rpm printed no header line for a package rpmbuild made.</summary>
internal sealed class RpmQueryUnparsableException(string message) : Exception(message);

/// <summary>
/// New-OnloadPackage's domain: builds the OpenOnload RPMs from the spec file inside the source tarball with
/// `rpmbuild -ta` (as the reference architecture did), then reads each package's name, version and architecture
/// with `rpm -qp --queryformat`.
/// </summary>
internal sealed class OnloadPackageBuilder
{
    public const string QueryFormat = "%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n";

    private readonly IToolRunner _runner;

    public OnloadPackageBuilder(IToolRunner runner)
    {
        _runner = runner;
    }

    public static ToolCommand BuildCommand(string source, string topDir, bool noDependencyCheck)
    {
        var args = new List<string> { "-ta", source, "--define", $"_topdir {topDir}" };
        if (noDependencyCheck) args.Add("--nodeps");
        return new ToolCommand("rpmbuild", args);
    }

    public static ToolCommand QueryCommand(string rpmFile) => new("rpm", "-qp", "--queryformat", QueryFormat, rpmFile);

    /// <summary>UserSpace, KernelModule, Development, Debug or Source, from the package's name and file.</summary>
    public static string KindOf(string name, string fileName)
    {
        if (fileName.EndsWith(".src.rpm", StringComparison.OrdinalIgnoreCase)) return "Source";
        if (name.Contains("kmod", StringComparison.OrdinalIgnoreCase) || name.Contains("kernel-module", StringComparison.OrdinalIgnoreCase)) return "KernelModule";
        if (name.EndsWith("-devel", StringComparison.OrdinalIgnoreCase)) return "Development";
        if (name.Contains("-debuginfo", StringComparison.OrdinalIgnoreCase) || name.Contains("-debugsource", StringComparison.OrdinalIgnoreCase)) return "Debug";
        return "UserSpace";
    }

    /// <summary>Parses one line of rpm -qp --queryformat QueryFormat output.</summary>
    public static (string Name, string Version, string Release, string Arch)? ParseQuery(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        string line = text.Split('\n').FirstOrDefault(l => l.Contains('\t')) ?? "";
        string[] f = line.TrimEnd('\r').Split('\t');
        if (f.Length < 4 || f[0].Length == 0) return null;
        return (f[0], f[1], f[2], f[3]);
    }

    /// <summary>Builds the RPMs into a private rpmbuild tree and moves them to <paramref name="outputDirectory"/>.</summary>
    /// <exception cref="RpmbuildFailedException">rpmbuild failed.</exception>
    /// <exception cref="RpmQueryFailedException">rpm could not read a built package.</exception>
    /// <exception cref="RpmQueryUnparsableException">rpm printed no header for a built package.</exception>
    /// <param name="topDir">An empty scratch folder for rpmbuild's _topdir (deleted by the caller).</param>
    public async Task<(ToolResult Build, List<OnloadPackage> Packages)> BuildAsync(string source, string outputDirectory, string topDir,
        bool includeSource, bool noDependencyCheck, TimeSpan timeout, CancellationToken ct)
    {
        var command = BuildCommand(source, topDir, noDependencyCheck);
        var build = await _runner.RunAsync(command, timeout, ct).ConfigureAwait(false);
        if (!build.Succeeded) throw new RpmbuildFailedException(build);

        Directory.CreateDirectory(outputDirectory);
        var files = new List<string>();
        string rpms = Path.Combine(topDir, "RPMS");
        if (Directory.Exists(rpms)) files.AddRange(Directory.EnumerateFiles(rpms, "*.rpm", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        string srpms = Path.Combine(topDir, "SRPMS");
        if (includeSource && Directory.Exists(srpms)) files.AddRange(Directory.EnumerateFiles(srpms, "*.rpm").Order(StringComparer.Ordinal));

        var packages = new List<OnloadPackage>();
        foreach (string file in files)
        {
            string destination = Path.Combine(outputDirectory, Path.GetFileName(file));
            File.Move(file, destination, overwrite: true);
            var query = await _runner.RunAsync(QueryCommand(destination), TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            if (!query.Succeeded) throw new RpmQueryFailedException(query);
            var parsed = ParseQuery(query.StandardOutput)
                ?? throw new RpmQueryUnparsableException($"'{query.CommandLine}' printed no package header: {query.StandardOutput.Trim()}");
            string fileName = Path.GetFileName(destination);
            bool isSource = fileName.EndsWith(".src.rpm", StringComparison.OrdinalIgnoreCase);
            packages.Add(new OnloadPackage
            {
                Name = parsed.Name,
                Version = parsed.Version,
                Release = parsed.Release,
                Architecture = isSource ? "src" : parsed.Arch,
                Kind = KindOf(parsed.Name, fileName),
                Path = destination,
                FileName = fileName,
                Length = new FileInfo(destination).Length,
                SourceTarball = source,
                CommandLine = build.CommandLine,
            });
        }
        return (build, packages);
    }
}
