using OnloadTools.Onload;

namespace OnloadTools.Containers;

/// <summary>Why Start-OnloadContainer cannot apply -InterfaceName or -Port.</summary>
internal enum LaunchProblem
{
    /// <summary>The interface has no IPv4 address for netserver -L.</summary>
    InterfaceHasNoAddress,
    /// <summary>The command does not run netserver, so there is no -L or -p to set.</summary>
    CommandNotNetserver,
}

/// <summary>The command a container runs (null: the image's own), or why it cannot be made.</summary>
internal sealed record LaunchCommand(IReadOnlyList<string>? Command, LaunchProblem? Problem = null, string? Message = null);

/// <summary>
/// What Start-OnloadContainer decides before it starts a container of an inspected image: whether the image's Onload
/// may run on this host, what the admin is warned of, and the command with netserver told where to listen. The cmdlet
/// binds, asks ShouldProcess and reports; <see cref="ContainerService"/> runs.
/// </summary>
internal sealed class ContainerLaunch(ContainerService service, string image, ImageInspect inspect)
{
    public string Image { get; } = image;
    public ImageInspect Inspect { get; } = inspect;

    /// <summary>The image's Onload against the host's: a mismatch is refused unless forced.</summary>
    public OnloadVersionCheck OnloadCheck(string? hostOnloadVersion) => OnloadVersionCheck.Of(Image, Inspect.Labels, hostOnloadVersion);

    /// <summary>The host's Onload device nodes, each passed with --device.</summary>
    public IReadOnlyList<string> Devices { get; } = service.HostOnloadDevices();

    /// <summary>What the admin is told before the start: no Onload devices on this host, a privileged container.</summary>
    public IEnumerable<string> Warnings(bool privileged)
    {
        if (Devices.Count == 0)
        {
            yield return $"This host has none of the Onload device nodes ({string.Join(", ", OnloadFacts.DeviceNodes)}): " +
                         "the container starts without Onload acceleration. Load the Onload driver (onload_tool reload) first.";
        }
        if (privileged)
        {
            yield return "-Privileged disables SELinux separation and the capability checks of the container: it gets full access to the host's devices. " +
                         "Onload needs only its device nodes, which are passed with --device.";
        }
    }

    /// <summary>
    /// The container's command: <paramref name="command"/> as given (null: the image's CMD), or, when netserver is told
    /// where to listen (<paramref name="interfaceName"/>'s IPv4 address, <paramref name="port"/>), that command (or the
    /// image's) with netserver's -L and -p replaced (<see cref="ContainerRunSpec.NetserverCommand"/>).
    /// </summary>
    public async Task<LaunchCommand> CommandAsync(IReadOnlyList<string>? command, string? interfaceName, int? port, CancellationToken ct)
    {
        if (interfaceName is null && port is null) return new LaunchCommand(command);
        string? address = null;
        if (interfaceName is not null)
        {
            address = await service.InterfaceAddressAsync(interfaceName, ct).ConfigureAwait(false);
            if (address is null)
            {
                return new LaunchCommand(null, LaunchProblem.InterfaceHasNoAddress, $"Interface '{interfaceName}' has no IPv4 address for netserver to listen on.");
            }
        }
        IReadOnlyList<string> baseCommand = command ?? Inspect.Cmd;
        return ContainerRunSpec.NetserverCommand(baseCommand, address, port) is { } rewritten
            ? new LaunchCommand(rewritten)
            : new LaunchCommand(null, LaunchProblem.CommandNotNetserver,
                $"-InterfaceName and -Port set netserver's options, but the command ({Processes.ShellQuoting.Join(baseCommand)}) does not run netserver.");
    }

    /// <summary>The `run -d` command of the container.</summary>
    public Processes.ToolCommand RunCommand(string? name, string network, bool privileged, bool readOnly, IReadOnlyList<string>? command) => new ContainerRunSpec
    {
        Image = Image,
        Name = name,
        DeviceArguments = Devices.Select(service.DeviceArgument).ToArray(),
        Network = network,
        Privileged = privileged,
        ReadOnly = readOnly,
        Command = command,
    }.ToCommand(service.Engine);

    /// <summary>Runs the container and inspects it once started.</summary>
    public async Task<OnloadContainer> StartAsync(Processes.ToolCommand run, CancellationToken ct)
    {
        string id = await service.RunContainerAsync(run, ct).ConfigureAwait(false);
        ContainerInspect started = await service.InspectContainerAsync(id, ct).ConfigureAwait(false);
        return ContainerResults.Container(started, service.Engine.Name, run.CommandLine);
    }
}
