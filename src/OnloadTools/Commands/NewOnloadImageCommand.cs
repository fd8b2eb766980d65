using System.Management.Automation;
using OnloadTools.Containers;
using OnloadTools.Onload;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

/// <summary>
/// New-OnloadImage: generates a Dockerfile (FROM the base, the Onload and other packages installed with the base's
/// package manager, RUN/OCI/Onload-version labels, CMD onload --profile=latency netserver -D) and builds it.
/// </summary>
[Cmdlet(VerbsCommon.New, "OnloadImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(OnloadImage), typeof(OnloadImageBuildPlan))]
public sealed class NewOnloadImageCommand : ContainerCmdlet
{
    /// <summary>The image to create, repository[:tag] (for example localhost/onload-netperf:8.1.2.26).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Tag { get; set; } = "";

    /// <summary>The image to build FROM (it must have dnf/yum for RPMs or apt for DEBs).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(OnloadImageNameCompleter))]
    public string BaseImage { get; set; } = "";

    /// <summary>Onload package files: paths, or objects with a Path or FullName property (New-OnloadPackage output, Get-Item).</summary>
    [Parameter(ValueFromPipeline = true)]
    [ValidateNotNull]
    public object[] OnloadPackage { get; set; } = Array.Empty<object>();

    /// <summary>Other package files to install (netperf …).</summary>
    [Parameter]
    [ValidateNotNull]
    public string[] Package { get; set; } = Array.Empty<string>();

    /// <summary>The image's command. Default: onload --profile=latency netserver -D.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Command { get; set; } = OnloadImageSpec.DefaultCommand;

    /// <summary>The Onload version label. Default: read from the Onload package.</summary>
    [Parameter]
    [ValidatePattern(@"^v?\d[\w.\-]*$")]
    public string? OnloadVersion { get; set; }

    /// <summary>Keep the generated Dockerfile at this path (it is also the file the build uses).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DockerfilePath { get; set; }

    private readonly List<(string Path, string? Version)> _onloadPackages = new();

    protected override void BeginProcessing()
    {
        // Refuse what the engine would refuse before anything runs.
        ValidateImage(Tag, nameof(Tag), forNewTag: true);
        ValidateImage(BaseImage, nameof(BaseImage));
    }

    protected override void ProcessRecord()
    {
        foreach (object item in OnloadPackage)
        {
            var (path, version) = PackageArgument(item);
            _onloadPackages.Add((path, version));
        }
    }

    protected override void EndProcessing()
    {
        var files = _onloadPackages.Select(p => p.Path).Concat(Package.Select(p => ResolveFile(p))).ToList();
        foreach (string file in files)
        {
            if (!File.Exists(file))
            {
                ThrowTerminatingError(Error(new FileNotFoundException($"Package file '{file}' does not exist.", file), "PackageNotFound", ErrorCategory.ObjectNotFound, file));
            }
        }
        IReadOnlyList<ImagePackage> packages = Array.Empty<ImagePackage>();
        try
        {
            packages = OnloadImageSpec.PlanPackages(files);
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(Error(e, "InvalidPackage", ErrorCategory.InvalidArgument, files));
        }

        ContainerService service = Service;
        // The package file's own header is authoritative; a Version property on a piped object is the fallback.
        string? version = OnloadVersion
            ?? Run(ct => PackageFileProbe.OnloadVersionAsync(Runner, _onloadPackages.Select(p => p.Path), ct), Tag)
            ?? _onloadPackages.Select(p => p.Version).FirstOrDefault(v => v is { Length: > 0 });
        if (version is null)
        {
            WriteWarning("The image gets no Onload version label (org.openonload.version): give -OnloadPackage or -OnloadVersion, " +
                         "or Start-OnloadContainer cannot check the image against the host's Onload.");
        }

        var devices = service.HostOnloadDevices();
        var spec = new OnloadImageSpec
        {
            Tag = Tag,
            BaseImage = BaseImage,
            Packages = packages,
            OnloadVersion = version?.TrimStart('v'),
            Command = Command,
            RunDevices = devices.Count > 0 ? devices : OnloadFacts.RequiredDevices,
        };
        string dockerfile;
        try
        {
            dockerfile = spec.ToDockerfile();
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(Error(e, "InvalidArgument", ErrorCategory.InvalidArgument, Tag));
            return;
        }

        // Before building (and under -WhatIf): an image whose default command cannot run is no use.
        if (spec.CommandWarning() is { } commandWarning) WriteWarning(commandWarning);

        string context = Path.Combine(Path.GetTempPath(), "onloadtools-build-" + Guid.NewGuid().ToString("N")[..12]);
        string? keptPath = DockerfilePath is null ? null : GetUnresolvedProviderPathFromPSPath(DockerfilePath);
        string dockerfilePath = keptPath ?? Path.Combine(context, "Dockerfile");
        ToolCommand build = service.BuildCommand(Tag, dockerfilePath, context);

        WriteVerbose("Generated Dockerfile:\n" + dockerfile);
        if (!ShouldProcess($"Build image '{Tag}' from '{BaseImage}' with: {build.CommandLine}", $"Build image '{Tag}' from '{BaseImage}' with '{build.CommandLine}'?",
                "New-OnloadImage", out ShouldProcessReason reason))
        {
            if (reason == ShouldProcessReason.WhatIf)
            {
                WriteObject(new OnloadImageBuildPlan
                {
                    Tag = Tag,
                    BaseImage = BaseImage,
                    Engine = service.Engine.Name,
                    OnloadVersion = spec.OnloadVersion,
                    Packages = files.ToArray(),
                    Dockerfile = dockerfile,
                    BuildCommandLine = build.CommandLine,
                    RunLabel = spec.RunLabel,
                    DockerfilePath = keptPath,
                });
            }
            return;
        }

        try
        {
            Directory.CreateDirectory(context);
            foreach (var p in packages) File.Copy(p.SourcePath, Path.Combine(context, p.ContextName));
            if (keptPath is not null && Path.GetDirectoryName(keptPath) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
            File.WriteAllText(dockerfilePath, dockerfile);
            if (keptPath is not null) WriteVerbose($"Dockerfile kept at {keptPath}.");

            Build(service, build);

            ImageInspect inspect;
            try
            {
                inspect = Run(ct => service.InspectImageAsync(Tag, ct), Tag);
            }
            catch (Exception e) when (IsReportable(e))
            {
                ThrowTerminatingError(ContainerError(e, Tag));
                return;
            }
            var image = ContainerResults.Image(inspect, service.Engine.Name, HostOnloadVersion);
            try
            {
                var (found, query) = Run(ct => service.QueryPackagesAsync(inspect.Id, ct), Tag);
                image.Packages = PackageListParser.Select(found, ContainerService.DefaultPackagePatterns).Select(p => p.ToString()).ToArray();
                image.PackageQueryCommandLine = query;
            }
            catch (Exception e) when (IsReportable(e))
            {
                // The image is built: report it even when its package list cannot be read.
                WriteWarning($"Image '{Tag}' was built, but its package versions could not be listed: {e.Message}");
            }
            image.Dockerfile = dockerfile;
            image.BuildCommandLine = build.CommandLine;
            WriteObject(image);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(Error(e, e is UnauthorizedAccessException ? "PermissionDenied" : "BuildContextFailed",
                e is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.WriteError, context));
        }
        finally
        {
            try { if (Directory.Exists(context)) Directory.Delete(context, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { WriteDebug($"Could not remove {context}: {e.Message}"); }
        }
    }

    /// <summary>Runs the build, showing its steps as progress and its output as verbose lines as they come.</summary>
    private void Build(ContainerService service, ToolCommand command)
    {
        var progress = new ProgressRecord(2, "New-OnloadImage", $"Building {Tag}") { CurrentOperation = command.CommandLine, PercentComplete = 0 };
        WriteProgress(progress);
        try
        {
            using var build = service.StartBuild(command, Tag);
            void Show(bool final = false)
            {
                foreach (string line in build.NewLines(final)) WriteVerbose(line);
                if (build.LastStep is { } step)
                {
                    progress.StatusDescription = $"Building {Tag}: step {step.Step} of {step.Total}";
                    progress.CurrentOperation = step.Line;
                    progress.PercentComplete = Math.Min(99, 100 * (step.Step - 1) / step.Total);
                }
                else
                {
                    progress.StatusDescription = $"Building {Tag} ({(int)build.Elapsed.TotalSeconds} s)";
                }
                if (!final) WriteProgress(progress);
            }
            Await(build.WaitAsync(Cancellation), () => Show()); // Ctrl+C leaves through the using block, which stops the build
            Show(final: true);
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
            build.ThrowIfFailed();
        }
        catch (Exception e)
        {
            ThrowDomain(e, Tag);
        }
    }

    /// <summary>A path string, FileInfo, or an object (live or deserialized) with Path/FullName; plus its Onload version when it carries one.</summary>
    private (string Path, string? Version) PackageArgument(object item)
    {
        object value = item is PSObject p ? p.BaseObject : item;
        if (value is string s) return (ResolveFile(s), null);
        if (value is FileInfo fi) return (fi.FullName, null);
        var pso = PSObject.AsPSObject(item);
        string? path = pso.Properties["Path"]?.Value?.ToString() ?? pso.Properties["FullName"]?.Value?.ToString();
        if (path is not { Length: > 0 })
        {
            ThrowTerminatingError(Error(new ArgumentException($"'{item}' is neither a package file path nor an object with a Path or FullName property.", nameof(OnloadPackage)),
                "InvalidPackage", ErrorCategory.InvalidArgument, item));
        }
        string? version = (pso.Properties["OnloadVersion"]?.Value ?? pso.Properties["Version"]?.Value)?.ToString();
        return (ResolveFile(path!), version is { Length: > 0 } ? version : null);
    }

    private string ResolveFile(string path) => GetUnresolvedProviderPathFromPSPath(path);
}
