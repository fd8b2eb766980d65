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

    private const string InvalidPackage = "InvalidPackage";

    private readonly List<(string Path, string? Version)> _onloadPackages = new();

    protected override void Begin()
    {
        // Refuse what the engine would refuse before anything runs.
        ValidateImage(Tag, nameof(Tag), forNewTag: true);
        ValidateImage(BaseImage, nameof(BaseImage));
    }

    protected override void Process()
    {
        foreach (object item in OnloadPackage) _onloadPackages.Add(PackageArgument(item));
    }

    protected override void End()
    {
        var request = new OnloadImageRequest
        {
            Tag = Tag,
            BaseImage = BaseImage,
            OnloadPackages = _onloadPackages,
            OtherPackages = Package.Select(ResolveFile).ToArray(),
            Command = Command,
            OnloadVersion = OnloadVersion,
            KeptDockerfilePath = DockerfilePath is null ? null : GetUnresolvedProviderPathFromPSPath(DockerfilePath),
        };
        if (OnloadImageBuilder.MissingFile(request) is { } missing)
        {
            ThrowTerminatingError(Error(new FileNotFoundException($"Package file '{missing}' does not exist.", missing), ErrorIds.PackageNotFound, ErrorCategory.ObjectNotFound, missing));
        }
        ContainerService service = Service;
        var design = Run(ct => OnloadImageBuilder.DesignAsync(Runner, service, request, ct), Tag);
        foreach (string w in design.Warnings) WriteWarning(w);
        if (design.Builder is null)
        {
            ThrowTerminatingError(design.Problem == ImageDesignProblem.InvalidPackage
                ? Error(new ArgumentException(design.Message), InvalidPackage, ErrorCategory.InvalidArgument, request.Files)
                : Error(new ArgumentException(design.Message), ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument, Tag));
        }
        using var builder = design.Builder!;
        WriteVerbose("Generated Dockerfile:\n" + builder.Dockerfile);
        string build = builder.BuildCommand.CommandLine;
        if (!ShouldProcess($"Build image '{Tag}' from '{BaseImage}' with: {build}", $"Build image '{Tag}' from '{BaseImage}' with '{build}'?",
                "New-OnloadImage", out ShouldProcessReason reason))
        {
            if (reason == ShouldProcessReason.WhatIf) WriteObject(builder.Plan());
            return;
        }
        try
        {
            builder.WriteContext();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(WriteFailure(e, e is UnauthorizedAccessException ? ErrorIds.PermissionDenied : ErrorIds.BuildContextFailed, builder.Context));
        }
        if (request.KeptDockerfilePath is { } kept) WriteVerbose($"Dockerfile kept at {kept}.");
        Build(builder);
        string? hostOnload = HostOnloadVersion;
        var (image, warning) = Run(ct => builder.DescribeBuiltAsync(hostOnload, ct), Tag);
        if (warning is not null) WriteWarning(warning);
        WriteObject(image);
        if (builder.RemoveContext() is { } notRemoved) WriteDebug(notRemoved);
    }

    /// <summary>Runs the build, showing its steps as progress and its output as verbose lines as they come.</summary>
    private void Build(OnloadImageBuilder builder)
    {
        var progress = new ProgressRecord(2, "New-OnloadImage", $"Building {Tag}") { CurrentOperation = builder.BuildCommand.CommandLine, PercentComplete = 0 };
        WriteProgress(progress);
        ErrorTarget = Tag;
        using var build = builder.StartBuild();
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
                InvalidPackage, ErrorCategory.InvalidArgument, item));
        }
        string? version = (pso.Properties["OnloadVersion"]?.Value ?? pso.Properties["Version"]?.Value)?.ToString();
        return (ResolveFile(path!), version is { Length: > 0 } ? version : null);
    }

    private string ResolveFile(string path) => GetUnresolvedProviderPathFromPSPath(path);
}
