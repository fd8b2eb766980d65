using OnloadTools.Processes;

namespace OnloadTools.Onload;

/// <summary>What one `onload --version` said: the release named in its output (null when none) and the run itself.</summary>
internal sealed record OnloadVersionReading(string? Version, ToolResult Result)
{
    /// <summary>onload exited 0 and named its release.</summary>
    public bool Succeeded => Result.Succeeded && Version is not null;
}

/// <summary>
/// The one way the module asks Onload its version: `onload --version`, with one timeout, on this host or wrapped
/// (in a container: engine exec; under a client prefix). Every caller reads the version from the same words.
/// </summary>
internal static class OnloadVersionQuery
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static ToolCommand Command() => new(OnloadFacts.Tool, "--version");

    /// <summary>Runs `onload --version` (through <paramref name="wrap"/> when given) and reads the release from its output.</summary>
    /// <exception cref="ToolNotFoundException">onload (or the wrapping tool) is not on PATH.</exception>
    /// <exception cref="ToolTimeoutException">It did not answer within <see cref="Timeout"/>.</exception>
    public static async Task<OnloadVersionReading> ReadAsync(IToolRunner runner, CancellationToken ct, Func<ToolCommand, ToolCommand>? wrap = null)
    {
        var command = wrap is null ? Command() : wrap(Command());
        var r = await runner.RunAsync(command, Timeout, ct).ConfigureAwait(false);
        return new OnloadVersionReading(OnloadVersionParser.Parse(r.CombinedOutput), r);
    }

    /// <summary>This host's Onload release, or null when onload is not installed, fails or does not answer in time.</summary>
    public static async Task<string?> HostVersionAsync(IToolRunner runner, CancellationToken ct)
    {
        if (runner.Which(OnloadFacts.Tool) is null) return null;
        try
        {
            var reading = await ReadAsync(runner, ct).ConfigureAwait(false);
            return reading.Succeeded ? reading.Version : null;
        }
        catch (Exception e) when (e is ToolTimeoutException or ToolNotFoundException)
        {
            return null;
        }
    }
}
