using OnloadTools.Onload;
using OnloadTools.Processes;

namespace OnloadTools.Containers;

/// <summary>Turns what the engine reports into the module's result objects.</summary>
internal static class ContainerResults
{
    public static OnloadImage Image(ImageInspect i, string engine, string? hostOnloadVersion,
        IEnumerable<InstalledPackage>? packages = null, string? packageQuery = null)
    {
        var onload = OnloadVersionCheck.Of(i.Id, i.Labels, hostOnloadVersion);
        string? run = i.Label("RUN");
        i.Labels.TryGetValue(OnloadImageSpec.BaseNameLabel, out string? baseName);
        string[] command = i.Entrypoint.Concat(i.Cmd).ToArray();
        return new OnloadImage
        {
            Name = i.Tags.FirstOrDefault() ?? (i.Id.Length > 12 ? i.Id[..12] : i.Id),
            Tags = i.Tags,
            Id = i.Id,
            Created = i.Created,
            Size = i.Size,
            Engine = engine,
            BaseImage = baseName is { Length: > 0 } ? baseName : null,
            OnloadVersion = onload.ImageVersion,
            HostOnloadVersion = hostOnloadVersion,
            OnloadVersionMatchesHost = onload.Matches,
            RunLabel = run is { Length: > 0 } ? run : null,
            Command = command.Length > 0 ? ShellQuoting.Join(command) : null,
            Labels = i.Labels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}").ToArray(),
            Packages = packages?.Select(p => p.ToString()).ToArray() ?? Array.Empty<string>(),
            PackageQueryCommandLine = packageQuery,
        };
    }

    public static OnloadContainer Container(ContainerInspect c, string engine, string? commandLine = null)
    {
        c.Labels.TryGetValue(OnloadFacts.VersionLabel, out string? version);
        return new OnloadContainer
        {
            Id = c.Id,
            Name = c.Name,
            Image = c.Image,
            ImageId = c.ImageId,
            State = c.State,
            Running = c.Running,
            ExitCode = c.Running ? null : c.ExitCode,
            Created = c.Created,
            StartedAt = c.StartedAt,
            Devices = c.Devices,
            NetworkMode = c.NetworkMode,
            Privileged = c.Privileged,
            ReadOnly = c.ReadOnly,
            Command = c.Command.Length > 0 ? ShellQuoting.Join(c.Command) : null,
            OnloadVersion = version is { Length: > 0 } ? version : null,
            Engine = engine,
            CommandLine = commandLine ?? (c.CreateCommand.Length > 0 ? ShellQuoting.Join(c.CreateCommand) : null),
        };
    }
}

/// <summary>What Start-OnloadContainer was asked for; builds the `run -d` command.</summary>
internal sealed class ContainerRunSpec
{
    public required string Image { get; init; }
    public string? Name { get; init; }
    /// <summary>--device arguments (already mapped to host paths).</summary>
    public IReadOnlyList<string> DeviceArguments { get; init; } = Array.Empty<string>();
    public string Network { get; init; } = "host";
    public bool Privileged { get; init; }
    public bool ReadOnly { get; init; }
    /// <summary>The command to run instead of the image's CMD (null keeps the image's).</summary>
    public IReadOnlyList<string>? Command { get; init; }

    public ToolCommand ToCommand(ContainerEngine engine)
    {
        var args = new List<string> { "run", "--detach" };
        if (Name is { Length: > 0 }) { args.Add("--name"); args.Add(Name); }
        args.Add("--net=" + Network);
        args.Add("--init");
        args.AddRange(DeviceArguments);
        if (Privileged) args.Add("--privileged");
        if (ReadOnly)
        {
            args.Add("--read-only");
            args.Add("--tmpfs"); args.Add("/tmp");
            args.Add("--tmpfs"); args.Add("/run");
        }
        args.Add(Image);
        if (Command is { Count: > 0 }) args.AddRange(Command);
        return engine.Command(args);
    }

    /// <summary>
    /// The image's command with netserver told where to listen: "-L address" (only that interface) and "-p port".
    /// Returns null when the command does not run netserver (nothing to adjust).
    /// </summary>
    public static IReadOnlyList<string>? NetserverCommand(IReadOnlyList<string> imageCommand, string? listenAddress, int? port)
    {
        int at = -1;
        for (int i = 0; i < imageCommand.Count; i++)
        {
            if (Path.GetFileName(imageCommand[i]) == "netserver") { at = i; break; }
        }
        if (at < 0) return null;
        var cmd = imageCommand.ToList();
        var extra = new List<string>();
        if (port is { } p) { RemoveOption(cmd, at, "-p"); extra.Add("-p"); extra.Add(p.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        if (listenAddress is { Length: > 0 } a) { RemoveOption(cmd, at, "-L"); extra.Add("-L"); extra.Add(a); }
        cmd.AddRange(extra);
        return cmd;
    }

    private static void RemoveOption(List<string> cmd, int netserverAt, string option)
    {
        for (int i = netserverAt + 1; i < cmd.Count; i++)
        {
            if (cmd[i] == option && i + 1 < cmd.Count) { cmd.RemoveRange(i, 2); i--; }
            else if (cmd[i].StartsWith(option, StringComparison.Ordinal) && cmd[i].Length > option.Length) { cmd.RemoveAt(i); i--; }
        }
    }
}
