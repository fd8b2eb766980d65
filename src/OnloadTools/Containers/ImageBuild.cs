using OnloadTools.Processes;

namespace OnloadTools.Containers;

/// <summary>The engine failed to build an image; the message carries the end of its output.</summary>
internal sealed class ImageBuildFailedException : ToolFailedException
{
    public ImageBuildFailedException(string tag, ToolResult result) : base(result)
    {
        Tag = tag;
    }

    public string Tag { get; }
}

/// <summary>
/// A running `ENGINE build`: its output lines as they come (each handed out once, without copying what was already
/// read), the last build step it reported, and its outcome. Disposing it stops the build.
/// </summary>
internal sealed class ImageBuild : IDisposable
{
    /// <summary>How many lines of each stream a failure's message keeps.</summary>
    public const int FailureTailLines = 40;

    private readonly BackgroundProcess _process;
    private int _read;

    public ImageBuild(BackgroundProcess process, ToolCommand command, string tag)
    {
        _process = process;
        Command = command;
        Tag = tag;
        Started = DateTime.UtcNow;
    }

    public ToolCommand Command { get; }
    public string Tag { get; }
    public DateTime Started { get; }
    public TimeSpan Elapsed => DateTime.UtcNow - Started;

    /// <summary>The last step the engine reported ("STEP 3/7", "Step 3/7", "[3/7]"), or null before the first.</summary>
    public (int Step, int Total, string Line)? LastStep { get; private set; }

    /// <summary>Completes when the build has ended, however it ended; cancelling the token leaves the build running.</summary>
    public Task WaitAsync(CancellationToken ct) => _process.Exited.WaitAsync(ct);

    /// <summary>
    /// The complete lines printed since the last call (with <paramref name="final"/>, the unterminated rest too), and
    /// <see cref="LastStep"/> brought up to date from them.
    /// </summary>
    public IReadOnlyList<string> NewLines(bool final = false)
    {
        string chunk = _process.StandardOutputFrom(_read);
        int end = final ? chunk.Length : chunk.LastIndexOf('\n') + 1;
        if (end <= 0) return Array.Empty<string>();
        _read += end;
        string complete = chunk[..end];
        if (BuildProgressParser.LastStep(complete) is { } step) LastStep = step;
        return complete.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
    }

    /// <summary>After the build ended: nothing when it succeeded, else why.</summary>
    /// <exception cref="ContainerEngineUnavailableException">The engine's service cannot be reached.</exception>
    /// <exception cref="ImageBuildFailedException">The build failed; the message ends with the engine's last words.</exception>
    public void ThrowIfFailed()
    {
        if (!_process.HasExited) throw new InvalidOperationException("The build is still running.");
        if (_process.ExitCode == 0) return;
        var result = new ToolResult
        {
            CommandLine = Command.CommandLine,
            ExecutablePath = Command.Tool,
            ExitCode = _process.ExitCode ?? -1,
            StandardOutput = Tail(_process.StandardOutput, FailureTailLines),
            StandardError = Tail(_process.StandardError, FailureTailLines),
            StartTime = Started,
            EndTime = DateTime.UtcNow,
        };
        if (ContainerService.IsUnavailable(result)) throw new ContainerEngineUnavailableException(result);
        throw new ImageBuildFailedException(Tag, result);
    }

    private static string Tail(string text, int lines)
    {
        var all = text.TrimEnd().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public void Dispose() => _process.Dispose();
}
