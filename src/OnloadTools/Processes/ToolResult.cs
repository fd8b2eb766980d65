namespace OnloadTools.Processes;

/// <summary>What one native command did: its exact command line, exit code, captured output and timing.</summary>
internal sealed class ToolResult
{
    public required string CommandLine { get; init; }
    public required string ExecutablePath { get; init; }
    public required int ExitCode { get; init; }
    public required string StandardOutput { get; init; }
    public required string StandardError { get; init; }
    public required DateTime StartTime { get; init; }
    public required DateTime EndTime { get; init; }
    public TimeSpan Duration => EndTime - StartTime;
    public bool Succeeded => ExitCode == 0;

    /// <summary>stdout and stderr together, for parsers of tools that mix them.</summary>
    public string CombinedOutput =>
        StandardError.Length == 0 ? StandardOutput
        : StandardOutput.Length == 0 ? StandardError
        : StandardOutput.TrimEnd('\n') + "\n" + StandardError;

    /// <summary>A one-line summary for error messages: exit code and the tool's own words.</summary>
    public string Describe()
    {
        string said = (StandardError.Trim().Length > 0 ? StandardError : StandardOutput).Trim();
        if (said.Length > 2000) said = said[..2000] + " …";
        return $"'{CommandLine}' exited with code {ExitCode}" + (said.Length > 0 ? $": {said}" : ".");
    }
}
