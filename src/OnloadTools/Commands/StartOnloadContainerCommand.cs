using System.Globalization;
using System.Management.Automation;
using OnloadTools.Containers;
using OnloadTools.Onload;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

/// <summary>
/// Start-OnloadContainer: runs an Onload image detached, with --device for each Onload device node the host has,
/// --net=host and --init; refuses when the image's Onload differs from the host's unless -Force.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "OnloadContainer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(OnloadContainer))]
public sealed class StartOnloadContainerCommand : ContainerCmdlet
{
    /// <summary>The image (name, tag or id), or an OnloadImage from Get-OnloadImage/New-OnloadImage.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ImageReferenceTransformation]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(OnloadImageFirstCompleter))]
    public string Image { get; set; } = "";

    /// <summary>The container's name. Default: the engine picks one.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>The container's network: host (default, as Onload needs), or another engine network mode.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Network { get; set; } = "host";

    /// <summary>netserver in the container listens only on this host interface's IPv4 address (netserver -L).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    public string? InterfaceName { get; set; }

    /// <summary>netserver's control port in the container (netserver -p). Default: the image's (12865).</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>The command to run instead of the image's CMD.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Command { get; set; }

    /// <summary>Runs the container privileged (disables SELinux separation and capability checks). Only when asked.</summary>
    [Parameter]
    public SwitchParameter Privileged { get; set; }

    /// <summary>A read-only root file system, with tmpfs on /tmp and /run.</summary>
    [Parameter]
    public SwitchParameter ReadOnly { get; set; }

    /// <summary>Starts even when the image's Onload version differs from the host's.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Begin()
    {
        if (Name is not null) ValidateContainerName(Name, nameof(Name));
        if (InterfaceName is not null && !HostFs.DirectoryExists("/sys/class/net/" + InterfaceName))
        {
            ThrowTerminatingError(Error(new ItemNotFoundException($"This host has no network interface '{InterfaceName}' (/sys/class/net/{InterfaceName})."),
                ErrorIds.InterfaceNotFound, ErrorCategory.ObjectNotFound, InterfaceName));
        }
    }

    protected override void Process()
    {
        ValidateImage(Image, nameof(Image));
        ContainerService service = Service;
        if (!TryItem(() => Run(ct => service.InspectImageAsync(Image, ct), Image), Image, out ImageInspect? image)) return;
        var launch = new ContainerLaunch(service, Image, image!);

        // Onload in the image must match the host's kernel module.
        var onload = launch.OnloadCheck(HostOnloadVersion);
        if (onload.Agreement == OnloadVersionAgreement.Mismatch)
        {
            var mismatch = onload.Mismatch();
            if (!Force)
            {
                WriteError(DomainError(mismatch, Image)!);
                return;
            }
            WriteWarning(mismatch.Summary + " Starting anyway (-Force).");
        }
        else if (onload.Warning is { } warning)
        {
            WriteWarning(warning);
        }
        foreach (string w in launch.Warnings(Privileged)) WriteWarning(w);

        int? port = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : null;
        var command = Run(ct => launch.CommandAsync(Command, InterfaceName, port, ct), InterfaceName ?? Image);
        if (command.Problem is { } problem)
        {
            ThrowTerminatingError(problem == LaunchProblem.InterfaceHasNoAddress
                ? Error(new ItemNotFoundException(command.Message), "InterfaceHasNoAddress", ErrorCategory.ObjectNotFound, InterfaceName)
                : Error(new ArgumentException(command.Message), "ImageCommandNotNetserver", ErrorCategory.InvalidArgument, Image));
        }

        ToolCommand run = launch.RunCommand(Name, Network, Privileged, ReadOnly, command.Command);
        string target = Name ?? Image;
        if (!ShouldProcess($"Start container '{target}' with: {run.CommandLine}", $"Start container '{target}' with '{run.CommandLine}'?", "Start-OnloadContainer"))
        {
            return;
        }
        if (TryItem(() => Run(ct => launch.StartAsync(run, ct), target), target, out OnloadContainer? started))
        {
            WriteVerbose($"Started container {started!.Id} with: {run.CommandLine}");
            WriteObject(started);
        }
    }
}
