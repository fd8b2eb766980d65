using OnloadTools.Processes;

namespace OnloadTools.Tests.Infrastructure;

/// <summary>
/// A process runner for ring-1 tests of services: the tools named are "installed", each command is answered by the
/// script (exit code, stdout, stderr; an exception is thrown as the real runner would), and every command is kept.
/// </summary>
internal sealed class ScriptedRunner(Func<ToolCommand, (int ExitCode, string Out, string Err)> script, params string[] installed) : IToolRunner
{
    public List<ToolCommand> Commands { get; } = new();
    public List<TimeSpan?> Timeouts { get; } = new();

    public string? Which(string tool) => installed.Contains(tool) ? "/usr/bin/" + tool : null;

    public Task<ToolResult> RunAsync(ToolCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (Which(command.Tool) is null) throw new ToolNotFoundException(command.Tool);
        Commands.Add(command);
        Timeouts.Add(timeout);
        var (exit, output, error) = script(command);
        return Task.FromResult(new ToolResult
        {
            CommandLine = command.CommandLine, ExecutablePath = "/usr/bin/" + command.Tool, ExitCode = exit,
            StandardOutput = output, StandardError = error, StartTime = DateTime.UtcNow, EndTime = DateTime.UtcNow,
        });
    }

    public BackgroundProcess Start(ToolCommand command) => throw new NotSupportedException();
}
