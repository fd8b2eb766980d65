using OnloadTools.Onload;
using OnloadTools.Processes;

namespace OnloadTools.Containers;

/// <summary>What New-OnloadImage was asked for: the image, its base, the package files and the command.</summary>
internal sealed class OnloadImageRequest
{
    public required string Tag { get; init; }
    public required string BaseImage { get; init; }
    /// <summary>Onload package files, each with the version its piped object carried (the fallback of the file's own).</summary>
    public IReadOnlyList<(string Path, string? Version)> OnloadPackages { get; init; } = Array.Empty<(string, string?)>();
    /// <summary>Other package files to install (netperf …).</summary>
    public IReadOnlyList<string> OtherPackages { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Command { get; init; } = OnloadImageSpec.DefaultCommand;
    /// <summary>-OnloadVersion: the version label asked for, before any read from the packages.</summary>
    public string? OnloadVersion { get; init; }
    /// <summary>-DockerfilePath resolved: where the Dockerfile is kept (and built from); null for the build folder's own.</summary>
    public string? KeptDockerfilePath { get; init; }

    /// <summary>Every package file, Onload's first.</summary>
    public IReadOnlyList<string> Files => OnloadPackages.Select(p => p.Path).Concat(OtherPackages).ToArray();
}

/// <summary>An image designed (<see cref="Builder"/>), or the problem that stops it; warnings in the order an admin reads them.</summary>
internal sealed record ImageDesign(OnloadImageBuilder? Builder, ImageDesignProblem? Problem, string? Message, IReadOnlyList<string> Warnings);

/// <summary>Why an image cannot be designed from what was asked.</summary>
internal enum ImageDesignProblem
{
    /// <summary>A package file is not .rpm/.deb, or RPMs and DEBs are mixed.</summary>
    InvalidPackage,
    /// <summary>A value a Dockerfile cannot hold (a line break, an empty command).</summary>
    InvalidArgument,
}

/// <summary>
/// New-OnloadImage's work besides binding, ShouldProcess and showing the build: the Onload version the image is labelled
/// with, the Dockerfile, the build folder, the build command, and the image as built (inspected, its packages listed).
/// Disposing it removes the build folder.
/// </summary>
internal sealed class OnloadImageBuilder : IDisposable
{
    private readonly ContainerService _service;
    private readonly OnloadImageRequest _request;

    private OnloadImageBuilder(ContainerService service, OnloadImageRequest request)
    {
        _service = service;
        _request = request;
        Context = Path.Combine(Path.GetTempPath(), "onloadtools-build-" + Guid.NewGuid().ToString("N")[..12]);
        DockerfilePath = request.KeptDockerfilePath ?? Path.Combine(Context, "Dockerfile");
        BuildCommand = service.BuildCommand(request.Tag, DockerfilePath, Context);
    }

    /// <summary>The first package file that does not exist, or null.</summary>
    public static string? MissingFile(OnloadImageRequest request) => request.Files.FirstOrDefault(f => !File.Exists(f));

    /// <summary>
    /// Designs the image: the packages' build-folder names, the Onload version (-OnloadVersion, else the Onload package
    /// file's own header, else the version its piped object carried), the spec and its Dockerfile. Warnings (no version
    /// label, a command that cannot run) come with it.
    /// </summary>
    public static async Task<ImageDesign> DesignAsync(IToolRunner runner, ContainerService service, OnloadImageRequest request, CancellationToken ct)
    {
        var warnings = new List<string>();
        IReadOnlyList<ImagePackage> packages;
        try
        {
            packages = OnloadImageSpec.PlanPackages(request.Files);
        }
        catch (ArgumentException e)
        {
            return new ImageDesign(null, ImageDesignProblem.InvalidPackage, e.Message, warnings);
        }

        // The package file's own header is authoritative; a Version property on a piped object is the fallback.
        string? version = request.OnloadVersion
            ?? await PackageFileProbe.OnloadVersionAsync(runner, request.OnloadPackages.Select(p => p.Path), ct).ConfigureAwait(false)
            ?? request.OnloadPackages.Select(p => p.Version).FirstOrDefault(v => v is { Length: > 0 });
        if (version is null)
        {
            warnings.Add($"The image gets no Onload version label ({OnloadFacts.VersionLabel}): give -OnloadPackage or -OnloadVersion, " +
                 "or Start-OnloadContainer cannot check the image against the host's Onload.");
        }

        var devices = service.HostOnloadDevices();
        var builder = new OnloadImageBuilder(service, request)
        {
            Spec = new OnloadImageSpec
            {
                Tag = request.Tag,
                BaseImage = request.BaseImage,
                Packages = packages,
                OnloadVersion = version?.TrimStart('v'),
                Command = request.Command,
                RunDevices = devices.Count > 0 ? devices : OnloadFacts.RequiredDevices,
            },
        };
        try
        {
            builder.Dockerfile = builder.Spec.ToDockerfile();
        }
        catch (ArgumentException e)
        {
            return new ImageDesign(null, ImageDesignProblem.InvalidArgument, e.Message, warnings);
        }
        // Before building (and under -WhatIf): an image whose default command cannot run is no use.
        if (builder.Spec.CommandWarning() is { } commandWarning) warnings.Add(commandWarning);
        return new ImageDesign(builder, null, null, warnings);
    }

    public OnloadImageSpec Spec { get; private init; } = null!;
    public string Dockerfile { get; private set; } = "";
    /// <summary>The build folder (a fresh folder under the temporary directory).</summary>
    public string Context { get; }
    /// <summary>The Dockerfile the build uses: the kept one, or the build folder's.</summary>
    public string DockerfilePath { get; }
    public ToolCommand BuildCommand { get; }

    /// <summary>What -WhatIf shows: the build that would run.</summary>
    public OnloadImageBuildPlan Plan() => new()
    {
        Tag = _request.Tag,
        BaseImage = _request.BaseImage,
        Engine = _service.Engine.Name,
        OnloadVersion = Spec.OnloadVersion,
        Packages = _request.Files.ToArray(),
        Dockerfile = Dockerfile,
        BuildCommandLine = BuildCommand.CommandLine,
        RunLabel = Spec.RunLabel,
        DockerfilePath = _request.KeptDockerfilePath,
    };

    /// <summary>Fills the build folder: the package files under their safe names, and the Dockerfile (kept where asked).</summary>
    /// <exception cref="IOException">The folder or a file could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder or a file may not be written.</exception>
    public void WriteContext()
    {
        Directory.CreateDirectory(Context);
        foreach (var p in Spec.Packages) File.Copy(p.SourcePath, Path.Combine(Context, p.ContextName));
        if (_request.KeptDockerfilePath is not null && Path.GetDirectoryName(_request.KeptDockerfilePath) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        File.WriteAllText(DockerfilePath, Dockerfile);
    }

    /// <summary>Starts the build; the caller shows its progress and disposes it.</summary>
    public ImageBuild StartBuild() => _service.StartBuild(BuildCommand, _request.Tag);

    /// <summary>
    /// The image as built: inspected, with its Dockerfile, build command and package versions. The image exists once
    /// built, so packages that cannot be listed are a warning, not a failure.
    /// </summary>
    public async Task<(OnloadImage Image, string? Warning)> DescribeBuiltAsync(string? hostOnloadVersion, CancellationToken ct)
    {
        string? warning = null;
        string tag = _request.Tag;
        ImageInspect inspect = await _service.InspectImageAsync(tag, ct).ConfigureAwait(false);
        var image = ContainerResults.Image(inspect, _service.Engine.Name, hostOnloadVersion);
        try
        {
            var (found, query) = await _service.QueryPackagesAsync(inspect.Id, ct).ConfigureAwait(false);
            image.Packages = PackageListParser.Select(found, ContainerService.DefaultPackagePatterns).Select(p => p.ToString()).ToArray();
            image.PackageQueryCommandLine = query;
        }
        catch (Exception e) when (e is ToolFailedException or ToolTimeoutException or ContainerEngineUnavailableException or ContainerObjectNotFoundException or IOException)
        {
            warning = ($"Image '{tag}' was built, but its package versions could not be listed: {e.Message}");
        }
        image.Dockerfile = Dockerfile;
        image.BuildCommandLine = BuildCommand.CommandLine;
        return (image, warning);
    }

    /// <summary>Removes the build folder; returns why it could not be, or null.</summary>
    public string? RemoveContext()
    {
        try
        {
            if (Directory.Exists(Context)) Directory.Delete(Context, recursive: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"Could not remove {Context}: {e.Message}";
        }
    }

    public void Dispose() => RemoveContext();
}
