using System.Text;

namespace OnloadTools.Processes;

/// <summary>A native command as an executable name and an argument list: never a shell string.</summary>
internal sealed class ToolCommand
{
    public ToolCommand(string tool, IEnumerable<string> arguments)
    {
        if (string.IsNullOrWhiteSpace(tool)) throw new ArgumentException("A tool name is required.", nameof(tool));
        Tool = tool;
        Arguments = arguments.ToArray();
    }

    public ToolCommand(string tool, params string[] arguments) : this(tool, (IEnumerable<string>)arguments) { }

    /// <summary>Executable name (looked up on PATH) or an absolute path.</summary>
    public string Tool { get; }
    public IReadOnlyList<string> Arguments { get; }
    public string? WorkingDirectory { get; init; }
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }
    public string? StandardInput { get; init; }

    /// <summary>
    /// A measuring tool or a private server: it runs in its own session and process group (a terminal's Ctrl+C
    /// reaches only pwsh, and the module decides what is kept) and it is killed when this process dies, however
    /// it dies (see <see cref="ProcessGate"/>). The command line recorded stays the tool's own.
    /// </summary>
    public bool Tethered { get; init; }

    /// <summary>Called with the process id as soon as the process has started (before it exits), for callers
    /// that inspect the running tool (/proc/&lt;pid&gt;/maps). With <see cref="Tethered"/> it is the tool's own pid, not the launcher's.</summary>
    public Action<int>? Started { get; init; }

    /// <summary>Prefixes this command with a wrapper (for example onload --profile=latency).</summary>
    public ToolCommand WrappedBy(string wrapper, params string[] wrapperArguments) =>
        With(wrapper, wrapperArguments.Append(Tool).Concat(Arguments));

    /// <summary>Prefixes this command with a whole command (for example podman exec NAME); empty leaves it as is.</summary>
    public ToolCommand PrefixedBy(IReadOnlyList<string> prefix) =>
        prefix.Count == 0 ? this : With(prefix[0], prefix.Skip(1).Append(Tool).Concat(Arguments));

    private ToolCommand With(string tool, IEnumerable<string> arguments) =>
        new(tool, arguments)
        {
            WorkingDirectory = WorkingDirectory,
            Environment = Environment,
            StandardInput = StandardInput,
            Tethered = Tethered,
            Started = Started,
        };

    /// <summary>The command line as an admin would paste it into a POSIX shell.</summary>
    public string CommandLine => ShellQuoting.Join(Arguments.Prepend(Tool));

    public override string ToString() => CommandLine;
}

/// <summary>POSIX-shell quoting, used only to display command lines (never to run them).</summary>
internal static class ShellQuoting
{
    public static string Join(IEnumerable<string> words) => string.Join(" ", words.Select(Quote));

    public static string Quote(string word)
    {
        if (word.Length == 0) return "''";
        bool safe = word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%^".Contains(c));
        if (safe) return word;
        var sb = new StringBuilder("'");
        foreach (char c in word)
        {
            if (c == '\'') sb.Append("'\\''");
            else sb.Append(c);
        }
        return sb.Append('\'').ToString();
    }
}
