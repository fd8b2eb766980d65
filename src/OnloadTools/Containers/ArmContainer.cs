using System.Globalization;
using OnloadTools.Processes;

namespace OnloadTools.Containers;

/// <summary>
/// The container Invoke-LatencyComparison starts for a container arm, whose life is tied to the pwsh that started it.
/// </summary>
/// <remarks>
/// <para><b>Tethered client.</b> The container is started attached (<c>ENGINE run --rm --init … IMAGE sleep infinity</c>,
/// no <c>--detach</c>) by a tethered client process (<see cref="ToolCommand.Tethered"/>): when pwsh dies, however it
/// dies, the tether sends that client SIGTERM, which the engine's signal proxy passes to the container's init; the
/// container ends and <c>--rm</c> removes it (podman's conmon and docker's daemon do that, whether or not the client is
/// still there). A normal end removes it at once with <c>rm --force</c>.</para>
/// <para><b>Reaper.</b> A pwsh killed while the engine is still creating the container leaves it created but never
/// started, which <c>--rm</c> does not remove. So the client runs under <c>flock --exclusive LOCK</c> (util-linux), and
/// a reaper, <c>flock --exclusive LOCK ENGINE rm --force NAME</c>, waits for that lock: it is not tethered, so it
/// outlives a killed pwsh, and it gets the lock only once the client is gone (however it ended), then removes the
/// container, whatever state the engine left it in. A normal end removes the container first; the reaper then finds
/// nothing to remove and ends. Without flock the owner label still covers that case.</para>
/// <para><b>Owner label.</b> The container carries <see cref="OwnerLabel"/> = "PID:START" (pwsh's pid and its start
/// time in clock ticks, so a reused pid is not mistaken for the owner). A container left by a pwsh killed while the
/// engine was still creating it (never started, so <c>--rm</c> never ran) is removed by the next comparison
/// (<see cref="SweepAsync"/>), which removes only containers of this name prefix whose owner is gone.</para>
/// </remarks>
internal sealed class ArmContainer
{
    public const string NamePrefix = "onloadtools-comparison-";
    /// <summary>The label naming the process that owns a comparison's container.</summary>
    public const string OwnerLabel = "io.onloadtools.owner";

    private readonly IToolRunner _runner;
    private readonly ContainerEngine _engine;
    private BackgroundProcess? _client;
    private BackgroundProcess? _reaper;
    private string? _lockPath;

    private ArmContainer(IToolRunner runner, ContainerEngine engine, string name, ToolCommand run)
    {
        _runner = runner;
        _engine = engine;
        Name = name;
        RunCommand = run;
    }

    public string Name { get; }
    /// <summary>The full id, once it runs (for finding its processes in /proc).</summary>
    public string? Id { get; private set; }
    /// <summary>The command that started it, as shown to the admin.</summary>
    public ToolCommand RunCommand { get; }

    /// <summary>"PID:START" of this process: what <see cref="OwnerLabel"/> says.</summary>
    public static string OwnerOfThisProcess() => OwnerOf(System.Environment.ProcessId) ?? System.Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    /// <summary>"PID:START" of a live process, or null when it does not exist. Always this machine's /proc: the
    /// containers run here, whatever root the host facts are read from.</summary>
    internal static string? OwnerOf(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        // Field 22 (starttime), counted after the command name's closing parenthesis (the name may hold spaces).
        int close = stat.LastIndexOf(')');
        string[] rest = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return rest.Length > 19 ? $"{pid}:{rest[19]}" : pid.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>True while the process an owner label names still runs (the same pid and start time).</summary>
    internal static bool OwnerAlive(string? owner)
    {
        if (owner is null || owner.Split(':')[0] is not { } p || !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) return false;
        return OwnerOf(pid) is { } now && (now == owner || !owner.Contains(':'));
    }

    /// <summary>The attached, self-removing run command of an arm container.</summary>
    public static ToolCommand BuildRunCommand(ContainerEngine engine, string image, string name, string owner, IReadOnlyList<string> deviceArguments)
    {
        var args = new List<string> { "run", "--rm", "--init", "--name", name, "--label", OwnerLabel + "=" + owner, "--net=host" };
        args.AddRange(deviceArguments);
        args.Add(image);
        args.Add("sleep");
        args.Add("infinity");
        return new ToolCommand(engine.Name, args) { Tethered = true };
    }

    /// <summary>Starts the container and waits until it runs.</summary>
    /// <exception cref="ToolFailedException">The engine could not start it (its words are in the message).</exception>
    /// <exception cref="ToolTimeoutException">It was not running within <see cref="ContainerService.RunTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException">Stopped; nothing is left behind.</exception>
    public static async Task<ArmContainer> StartAsync(IToolRunner runner, ContainerService service, string image,
        IReadOnlyList<string> deviceArguments, CancellationToken ct)
    {
        string name = NamePrefix + Guid.NewGuid().ToString("N")[..8];
        var container = new ArmContainer(runner, service.Engine, name, BuildRunCommand(service.Engine, image, name, OwnerOfThisProcess(), deviceArguments));
        try
        {
            container.StartClient(service.Engine);
            var deadline = DateTime.UtcNow + ContainerService.RunTimeout;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (container._client!.HasExited)
                {
                    var r = new ToolResult
                    {
                        CommandLine = container.RunCommand.CommandLine,
                        ExecutablePath = service.Engine.Path,
                        StartTime = DateTime.UtcNow,
                        EndTime = DateTime.UtcNow,
                        ExitCode = container._client.ExitCode ?? -1,
                        StandardOutput = container._client.StandardOutput,
                        StandardError = container._client.StandardError,
                    };
                    throw ContainerService.Failure(r);
                }
                try
                {
                    var inspect = await service.InspectContainerAsync(name, ct).ConfigureAwait(false);
                    if (inspect.Running)
                    {
                        container.Id = inspect.Id;
                        return container;
                    }
                }
                catch (ContainerObjectNotFoundException) { /* not created yet */ }
                if (DateTime.UtcNow > deadline) throw new ToolTimeoutException(container.RunCommand.CommandLine, ContainerService.RunTimeout);
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
        catch
        {
            await container.RemoveAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts the tethered client (under flock when there is one) and, once it holds the lock, the reaper.</summary>
    private void StartClient(ContainerEngine engine)
    {
        if (_runner.Which("flock") is not { } flock)
        {
            _client = _runner.Start(RunCommand);
            return;
        }
        _lockPath = Path.Combine(Path.GetTempPath(), Name + ".lock");
        _client = _runner.Start(new ToolCommand(flock, new[] { "--exclusive", _lockPath, engine.Path }.Concat(RunCommand.Arguments)) { Tethered = true });
        // The reaper must not get the lock before the client: wait (briefly) until the client holds it.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!_client.HasExited && DateTime.UtcNow < until && !Locked(_lockPath)) Thread.Sleep(10);
        if (_client.HasExited || !Locked(_lockPath)) return;
        _reaper = _runner.Start(new ToolCommand(flock, new[] { "--exclusive", _lockPath, engine.Path }.Concat(engine.RemoveNowArguments(Name))));
    }

    /// <summary>Someone holds an exclusive flock on the file (.NET takes one for FileShare.None and fails when it cannot).</summary>
    private static bool Locked(string path)
    {
        if (!File.Exists(path)) return false;
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (IOException) { return true; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>Removes the container (stopping it at once) and ends its client. Returns the engine's complaint, or null
    /// when it is gone. Never throws and is not cancellable: it is the cleanup.</summary>
    public async Task<string?> RemoveAsync()
    {
        string? problem = null;
        try
        {
            var r = await _runner.RunAsync(_engine.Command(_engine.RemoveNowArguments(Name)), ContainerService.QuickTimeout, CancellationToken.None).ConfigureAwait(false);
            if (!r.Succeeded && !ContainerService.IsNotFound(r)) problem = r.Describe();
        }
        catch (Exception e) when (e is ToolTimeoutException or ToolNotFoundException or IOException)
        {
            problem = e.Message;
        }
        _client?.Dispose();
        _client = null;
        if (_reaper is { } reaper)
        {
            // The client is gone, so the reaper gets the lock, finds nothing to remove and ends. It is never killed:
            // it runs in this process's group.
            reaper.Exited.Wait(TimeSpan.FromSeconds(30));
            if (reaper.HasExited) reaper.Dispose();
            _reaper = null;
        }
        if (_lockPath is not null)
        {
            try { File.Delete(_lockPath); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return problem;
    }

    /// <summary>
    /// Removes the comparison containers whose owner is gone (a pwsh killed while the engine was creating one). Returns
    /// their names. Containers of a live owner (another comparison running now) are left alone.
    /// </summary>
    public static async Task<IReadOnlyList<string>> SweepAsync(IToolRunner runner, ContainerService service, CancellationToken ct)
    {
        // The lock files of clients that are gone (a pwsh killed: nothing of it could delete its file).
        foreach (string file in Directory.EnumerateFiles(Path.GetTempPath(), NamePrefix + "*.lock"))
        {
            if (!Locked(file)) { try { File.Delete(file); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } }
        }
        var list = await runner.RunAsync(service.Engine.Command("ps", "--all", "--quiet", "--filter", "label=" + OwnerLabel), ContainerService.QuickTimeout, ct).ConfigureAwait(false);
        if (!list.Succeeded) return Array.Empty<string>();
        var removed = new List<string>();
        foreach (string id in list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            ContainerInspect inspect;
            try { inspect = await service.InspectContainerAsync(id, ct).ConfigureAwait(false); }
            catch (Exception e) when (e is ContainerObjectNotFoundException or ToolFailedException) { continue; }
            string name = inspect.Name.TrimStart('/');
            if (!name.StartsWith(NamePrefix, StringComparison.Ordinal)) continue;
            inspect.Labels.TryGetValue(OwnerLabel, out string? owner);
            if (OwnerAlive(owner)) continue;
            var r = await runner.RunAsync(service.Engine.Command(service.Engine.RemoveNowArguments(name)), ContainerService.QuickTimeout, ct).ConfigureAwait(false);
            if (r.Succeeded) removed.Add(name);
        }
        return removed;
    }
}
