using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using OnloadTools.Host;
using OnloadTools.Tuning;

namespace OnloadTools.Commands;

/// <summary>Completes tuned profile names from the profile folders of this host (/usr/lib/tuned, /etc/tuned).</summary>
public sealed class TunedProfileNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var catalog = new TunedProfileCatalog(HostFileSystem.Current);
        string prefix = wordToComplete.Trim('\'', '"');
        foreach (var (name, dir) in catalog.Locate().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            string summary = catalog.Load(name)?["main"]?.Get("summary") ?? dir;
            yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, summary);
        }
    }
}
