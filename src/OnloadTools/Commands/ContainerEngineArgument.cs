using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using OnloadTools.Containers;

namespace OnloadTools.Commands;

/// <summary>
/// Refuses an -Engine that is not one of the container engines the module drives (<see cref="ContainerEngine.Names"/>,
/// any case): the engines are listed there only, so adding one changes no parameter. Pair it with
/// <see cref="ContainerEngineCompleter"/> for tab completion (what a ValidateSet gives; PowerShellStandard 5.1 has
/// no ValidateSet over a generated list).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class ValidateContainerEngineAttribute : ValidateEnumeratedArgumentsAttribute
{
    protected override void ValidateElement(object element)
    {
        string? name = element?.ToString();
        if (name is null || !ContainerEngine.Names.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            throw new ValidationMetadataException(
                $"The argument \"{name}\" is not a container engine OnloadTools drives. Supply one of: {string.Join(", ", ContainerEngine.Names)}.");
        }
    }
}

/// <summary>Completes -Engine with the container engines the module drives (podman first, as the default choice).</summary>
public sealed class ContainerEngineCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        return ContainerEngine.Names.Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n)).ToList();
    }
}
