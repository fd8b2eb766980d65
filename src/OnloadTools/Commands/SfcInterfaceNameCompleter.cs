using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using OnloadTools.Host;
using OnloadTools.Solarflare;

namespace OnloadTools.Commands;

/// <summary>Tab completion of the sfc interface names on this host (or in the tree ONLOADTOOLS_HOST_ROOT names).</summary>
public sealed class SfcInterfaceNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        IEnumerable<string> names;
        try
        {
            names = new SfcInterfaceReader(HostFileSystem.Current).Names().ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (string name in names.Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
        {
            yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, $"sfc interface {name}");
        }
    }
}
