using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using OnloadTools.Host;
using OnloadTools.Solarflare;

namespace OnloadTools.Commands;

/// <summary>
/// The one completer of network interface names: the host's interfaces (/sys/class/net, or the tree
/// ONLOADTOOLS_HOST_ROOT names), each with its driver. <see cref="SfcInterfaceNameCompleter"/> is the same
/// completer restricted to the interfaces an sfc driver drives (the Solarflare cmdlets' parameters).
/// </summary>
public class InterfaceNameCompleter : IArgumentCompleter
{
    /// <summary>True to offer only the interfaces an sfc driver drives.</summary>
    private protected virtual bool SfcOnly => false;

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var fs = HostFileSystem.Current;
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        var results = new List<CompletionResult>();
        foreach (string name in fs.List("/sys/class/net"))
        {
            if (!name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            string? driver = fs.LinkTargetName($"/sys/class/net/{name}/device/driver");
            if (SfcOnly && !SfcInterfaceReader.IsSfcDriver(driver)) continue;
            results.Add(new CompletionResult(name, name, CompletionResultType.ParameterValue, $"{name} ({driver ?? "virtual"})"));
        }
        return results;
    }
}

/// <summary>Completes the names of the interfaces an sfc driver drives (<see cref="InterfaceNameCompleter"/>, restricted).</summary>
public sealed class SfcInterfaceNameCompleter : InterfaceNameCompleter
{
    private protected override bool SfcOnly => true;
}
