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

    /// <summary>Prefixes this command with a wrapper (for example onload --profile=latency).</summary>
    public ToolCommand WrappedBy(string wrapper, params string[] wrapperArguments) =>
        new(wrapper, wrapperArguments.Append(Tool).Concat(Arguments))
        {
            WorkingDirectory = WorkingDirectory,
            Environment = Environment,
            StandardInput = StandardInput,
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
