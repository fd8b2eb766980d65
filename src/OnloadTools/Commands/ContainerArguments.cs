using System.Management.Automation;
using System.Management.Automation.Language;
using System.Collections;
using OnloadTools.Containers;
using OnloadTools.Host;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

/// <summary>
/// Turns a container name, an OnloadContainer, or its deserialized property bag (Invoke-Command, Import-Clixml)
/// into a <see cref="ContainerReference"/>.
/// </summary>
internal sealed class ContainerReferenceTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        switch (value)
        {
            case null:
                return null;
            case ContainerReference r:
                return r;
            case OnloadContainer c:
                return new ContainerReference(Pick(c.Name, c.Id), c.Engine);
            case string s when s.Length > 0:
                return new ContainerReference(s);
        }
        if (inputData is PSObject bag)
        {
            string? name = bag.Properties["Name"]?.Value as string;
            string? id = bag.Properties["Id"]?.Value as string;
            string? engine = bag.Properties["Engine"]?.Value as string;
            if (name is { Length: > 0 } || id is { Length: > 0 }) return new ContainerReference(Pick(name, id), engine);
        }
        throw new ArgumentTransformationMetadataException(
            $"Cannot use '{inputData}' as a container: give a container name or an object with a Name property (Get-OnloadContainer).");
    }

    private static string Pick(string? name, string? id) => name is { Length: > 0 } ? name : id ?? "";
}

/// <summary>Completes -Engine style engine-backed names: runs `podman/docker images|ps --format` briefly.</summary>
internal static class EngineCompletion
{
    public static IEnumerable<CompletionResult> Complete(string wordToComplete, IDictionary fakeBoundParameters, params string[] listArguments)
    {
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        var names = ContainerEngine.ListNames(ToolRunner.Default, fakeBoundParameters["Engine"] as string, listArguments);
        return names.Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }
}

/// <summary>Completes image names (repository:tag) known to the engine.</summary>
public sealed class OnloadImageNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        EngineCompletion.Complete(wordToComplete, fakeBoundParameters, "images", "--format", "{{.Repository}}:{{.Tag}}");
}

/// <summary>Completes container names known to the engine.</summary>
public sealed class OnloadContainerNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        EngineCompletion.Complete(wordToComplete, fakeBoundParameters, "ps", "--all", "--format", "{{.Names}}");
}

/// <summary>
/// Turns an image name, an OnloadImage (its Name), an OnloadContainer (its Image), or their deserialized property
/// bags into image names; arrays element by element.
/// </summary>
internal sealed class ImageReferenceTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is object[] items) return items.Select(One).ToArray();
        return One(inputData);
    }

    private static object? One(object? inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        switch (value)
        {
            case null:
                return null;
            case string s:
                return s;
            case OnloadImage i:
                return i.Name is { Length: > 0 } ? i.Name : i.Id;
            case OnloadContainer c:
                return c.Image is { Length: > 0 } ? c.Image : c.ImageId;
        }
        if (inputData is PSObject bag)
        {
            bool isContainer = bag.Properties["Tags"] is null && bag.Properties["Image"] is not null;
            string? name = (isContainer ? bag.Properties["Image"]?.Value : bag.Properties["Name"]?.Value) as string;
            string? id = (isContainer ? bag.Properties["ImageId"]?.Value : bag.Properties["Id"]?.Value) as string;
            if (name is { Length: > 0 }) return name;
            if (id is { Length: > 0 }) return id;
        }
        return value.ToString();
    }
}
