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
    [ArgumentCompleter(typeof(HostInterfaceNameCompleter))]
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

    protected override void BeginProcessing()
    {
        if (Name is not null) ValidateContainerName(Name, nameof(Name));
        if (InterfaceName is not null && !HostFs.DirectoryExists("/sys/class/net/" + InterfaceName))
        {
            ThrowTerminatingError(Error(new ItemNotFoundException($"This host has no network interface '{InterfaceName}' (/sys/class/net/{InterfaceName})."),
                "InterfaceNotFound", ErrorCategory.ObjectNotFound, InterfaceName));
        }
    }

    protected override void ProcessRecord()
    {
        ValidateImage(Image, nameof(Image));
        ContainerService service = Service;

        ImageInspect image;
        try
        {
            image = Run(ct => service.InspectImageAsync(Image, ct), Image);
        }
        catch (Exception e) when (IsReportable(e))
        {
            WriteError(ContainerError(e, Image));
            return;
        }

        // Onload in the image must match the host's kernel module.
        var onload = OnloadVersionCheck.Of(Image, image.Labels, HostOnloadVersion);
        if (onload.Agreement == OnloadVersionAgreement.Mismatch)
        {
            var mismatch = onload.Mismatch();
            if (!Force)
            {
                WriteError(ContainerError(mismatch, Image));
                return;
            }
            WriteWarning(mismatch.Summary + " Starting anyway (-Force).");
        }
        else if (onload.Warning is { } warning)
        {
            WriteWarning(warning);
        }

        var devices = service.HostOnloadDevices();
        if (devices.Count == 0)
        {
            WriteWarning($"This host has none of the Onload device nodes ({string.Join(", ", OnloadFacts.DeviceNodes)}): " +
                         "the container starts without Onload acceleration. Load the Onload driver (onload_tool reload) first.");
        }
        if (Privileged)
        {
            WriteWarning("-Privileged disables SELinux separation and the capability checks of the container: it gets full access to the host's devices. " +
                         "Onload needs only its device nodes, which are passed with --device.");
        }

        IReadOnlyList<string>? command = Command;
        if (InterfaceName is not null || MyInvocation.BoundParameters.ContainsKey(nameof(Port)))
        {
            string? address = null;
            if (InterfaceName is not null)
            {
                try
                {
                    address = Run(ct => service.InterfaceAddressAsync(InterfaceName, ct), InterfaceName);
                }
                catch (Exception e) when (IsReportable(e))
                {
                    ThrowTerminatingError(ContainerError(e, InterfaceName));
                }
                if (address is null)
                {
                    ThrowTerminatingError(Error(new ItemNotFoundException($"Interface '{InterfaceName}' has no IPv4 address for netserver to listen on."),
                        "InterfaceHasNoAddress", ErrorCategory.ObjectNotFound, InterfaceName));
                }
            }
            int? port = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : null;
            IReadOnlyList<string> baseCommand = Command ?? image.Cmd;
            command = ContainerRunSpec.NetserverCommand(baseCommand, address, port);
            if (command is null)
            {
                ThrowTerminatingError(Error(new ArgumentException(
                    $"-InterfaceName and -Port set netserver's options, but the command ({ShellQuoting.Join(baseCommand)}) does not run netserver."),
                    "ImageCommandNotNetserver", ErrorCategory.InvalidArgument, Image));
            }
        }

        var spec = new ContainerRunSpec
        {
            Image = Image,
            Name = Name,
            DeviceArguments = devices.Select(service.DeviceArgument).ToArray(),
            Network = Network,
            Privileged = Privileged,
            ReadOnly = ReadOnly,
            Command = command,
        };
        ToolCommand run = spec.ToCommand(service.Engine);
        string target = Name ?? Image;
        if (!ShouldProcess($"Start container '{target}' with: {run.CommandLine}", $"Start container '{target}' with '{run.CommandLine}'?", "Start-OnloadContainer"))
        {
            return;
        }

        try
        {
            string id = Run(ct => service.RunContainerAsync(run, ct), target);
            WriteVerbose($"Started container {id} with: {run.CommandLine}");
            ContainerInspect started = Run(ct => service.InspectContainerAsync(id, ct), id);
            WriteObject(ContainerResults.Container(started, service.Engine.Name, run.CommandLine));
        }
        catch (Exception e) when (IsReportable(e))
        {
            WriteError(ContainerError(e, target));
        }
    }
}
