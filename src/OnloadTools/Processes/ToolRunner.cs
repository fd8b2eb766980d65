using CliWrap;
using CliWrap.Buffered;
using System.Text;

namespace OnloadTools.Processes;

/// <summary>The one place the module starts a process.</summary>
internal interface IToolRunner
{
    /// <summary>Full path of a tool on PATH, or null when it is not installed.</summary>
    string? Which(string tool);

    /// <summary>Runs a command to completion, capturing its output. A non-zero exit code is returned, not thrown.</summary>
    /// <exception cref="ToolNotFoundException">The tool is not on PATH.</exception>
    /// <exception cref="ToolTimeoutException">It ran past <paramref name="timeout"/>; it has been killed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the process has been killed.</exception>
    Task<ToolResult> RunAsync(ToolCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>Starts a long-lived process (a server) that is killed when the handle is disposed.</summary>
    BackgroundProcess Start(ToolCommand command);
}

/// <summary>A process started in the background; Dispose kills it (and waits for it to be gone).</summary>
internal sealed class BackgroundProcess : IDisposable
{
    private readonly CancellationTokenSource _kill;
    private readonly Task<CommandResult> _task;
    private readonly StringBuilder _stdout;
    private readonly StringBuilder _stderr;

    internal BackgroundProcess(string commandLine, CancellationTokenSource kill, CommandTask<CommandResult> task,
        StringBuilder stdout, StringBuilder stderr)
    {
        CommandLine = commandLine;
        _kill = kill;
        ProcessId = task.ProcessId;
        _task = task.Task;
        _stdout = stdout;
        _stderr = stderr;
    }

    public string CommandLine { get; }
    public int ProcessId { get; }
    public bool HasExited => _task.IsCompleted;

    public string StandardOutput { get { lock (_stdout) return _stdout.ToString(); } }
    public string StandardError { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>What it printed on stdout from character <paramref name="offset"/> on (a reader of its progress copies only what is new).</summary>
    public string StandardOutputFrom(int offset)
    {
        lock (_stdout) return offset >= _stdout.Length ? "" : _stdout.ToString(offset, _stdout.Length - offset);
    }

    /// <summary>Completes when the process has exited (however it ended); never faults.</summary>
    public Task Exited => _task.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Exit code once it has exited, else null.</summary>
    public int? ExitCode => _task.IsCompletedSuccessfully ? _task.Result.ExitCode : null;

    public void Dispose()
    {
        if (!_task.IsCompleted)
        {
            // Its own process group holds what it forked (netserver's per-test children): killed with it.
            var groups = ProcessGroups.OfDescendants(ProcessId);
            _kill.Cancel();
            ProcessGroups.Kill(groups);
        }
        try { _task.Wait(TimeSpan.FromSeconds(10)); }
        catch (AggregateException) { /* cancelled or failed: it is gone either way */ }
        _kill.Dispose();
    }
}

internal sealed class ToolRunner : IToolRunner
{
    public static ToolRunner Default { get; } = new();

    public string? Which(string tool)
    {
        if (tool.Contains('/'))
        {
            return File.Exists(tool) ? Path.GetFullPath(tool) : null;
        }
        string path = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
        foreach (string dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate) && IsExecutable(candidate)) return candidate;
        }
        return null;
    }

    private static bool IsExecutable(string path)
    {
        if (OperatingSystem.IsWindows()) return true;
        var mode = File.GetUnixFileMode(path);
        return (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }

    private Command Build(ToolCommand command, out string exe)
    {
        exe = Which(command.Tool) ?? throw new ToolNotFoundException(command.Tool);
        var (run, arguments) = command.Tethered ? ProcessGate.Wrap(exe, command.Arguments) : (exe, command.Arguments);
        var cli = Cli.Wrap(run)
            .WithArguments(arguments)
            .WithValidation(CommandResultValidation.None);
        if (command.WorkingDirectory is not null) cli = cli.WithWorkingDirectory(command.WorkingDirectory);
        if (command.Environment is not null) cli = cli.WithEnvironmentVariables(command.Environment);
        if (command.StandardInput is not null) cli = cli.WithStandardInputPipe(PipeSource.FromString(command.StandardInput));
        return cli;
    }

    /// <summary>Starts the process (a tethered one from the launcher thread) and reports its id.</summary>
    private static CommandTask<T> Launch<T>(ToolCommand command, Func<CommandTask<T>> start)
    {
        var task = command.Tethered ? ProcessGate.OnLauncherThread(start) : start();
        if (command.Started is { } started)
        {
            started(command.Tethered ? ProcessGate.ToolProcessId(task.ProcessId) : task.ProcessId);
        }
        return task;
    }

    public async Task<ToolResult> RunAsync(ToolCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var cli = Build(command, out string exe);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t) linked.CancelAfter(t);
        DateTime start = DateTime.UtcNow;
        try
        {
            var task = Launch(command, () => cli.ExecuteBufferedAsync(Encoding.UTF8, Encoding.UTF8, linked.Token));
            BufferedCommandResult result = await task.ConfigureAwait(false);
            return new ToolResult
            {
                CommandLine = command.CommandLine,
                ExecutablePath = exe,
                ExitCode = result.ExitCode,
                StandardOutput = result.StandardOutput,
                StandardError = result.StandardError,
                StartTime = result.StartTime.UtcDateTime,
                EndTime = result.ExitTime.UtcDateTime,
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout is not null)
        {
            throw new ToolTimeoutException(command.CommandLine, timeout.Value);
        }
    }

    public BackgroundProcess Start(ToolCommand command)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var cli = Build(command, out _)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line => { lock (stdout) stdout.AppendLine(line); }))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(line => { lock (stderr) stderr.AppendLine(line); }));
        var kill = new CancellationTokenSource();
        var task = Launch(command, () => cli.ExecuteAsync(kill.Token));
        return new BackgroundProcess(command.CommandLine, kill, task, stdout, stderr);
    }
}
