using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using OnloadTools.Latency;

namespace OnloadTools.Commands;

/// <summary>
/// Completes Import-LatencyRun -Label and -TestName from the runs stored at the -Path (or -LiteralPath) already typed.
/// </summary>
public sealed class LatencyHistoryCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        object? raw = fakeBoundParameters["Path"] ?? fakeBoundParameters["LiteralPath"];
        var paths = LatencyRunBinder.Flatten(raw).Select(p => (p is PSObject o ? o.BaseObject : p)?.ToString())
            .Where(p => !string.IsNullOrEmpty(p)).Cast<string>().ToList();
        if (paths.Count == 0) return Array.Empty<CompletionResult>();

        var result = new LatencyRunStore.LoadResult();
        foreach (string path in paths)
        {
            string full = Path.GetFullPath(path, Directory.GetCurrentDirectory());
            if (Directory.Exists(full) || File.Exists(full)) LatencyRunStore.Load(full, result);
        }
        var pattern = new WildcardPattern((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return result.Runs
            .Select(r => parameterName.Equals("TestName", StringComparison.OrdinalIgnoreCase) ? r.Run.TestName : r.Run.Label)
            .Where(v => !string.IsNullOrEmpty(v) && pattern.IsMatch(v))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.OrdinalIgnoreCase)
            .Select(v => new CompletionResult(v.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '`') ? "'" + v.Replace("'", "''") + "'" : v,
                v, CompletionResultType.ParameterValue, v))
            .ToList();
    }
}
