using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using OnloadTools.Containers;
using OnloadTools.Host;
using OnloadTools.Latency;
using OnloadTools.Onload;

namespace OnloadTools.Commands;

/// <summary>Completes Measure-NetperfLatency -Container with the running containers that carry Onload (the Onload label).</summary>
public sealed class RunningOnloadContainerCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        EngineCompletion.Complete(wordToComplete, fakeBoundParameters, "ps", "--filter", "label=" + OnloadFacts.VersionLabel, "--format", "{{.Names}}");
}

/// <summary>Completes Start-OnloadContainer -Image: the images with Onload (its label) first, then the others.</summary>
public sealed class OnloadImageFirstCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var onload = EngineCompletion.Complete(wordToComplete, fakeBoundParameters,
            "images", "--filter", "label=" + OnloadFacts.VersionLabel, "--format", "{{.Repository}}:{{.Tag}}").ToList();
        var seen = onload.Select(c => c.CompletionText).ToHashSet(StringComparer.Ordinal);
        var others = EngineCompletion.Complete(wordToComplete, fakeBoundParameters, "images", "--format", "{{.Repository}}:{{.Tag}}")
            .Where(c => !seen.Contains(c.CompletionText));
        return onload.Concat(others).ToList();
    }
}

/// <summary>Completes -OnloadProfile with the profiles installed with Onload (*.opf in its profile directory), as Get-OnloadInfo finds them.</summary>
public sealed class OnloadProfileCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        var fs = HostFileSystem.Current;
        foreach (string dir in OnloadFacts.ProfileDirectories)
        {
            var names = fs.List(dir).Where(f => f.EndsWith(".opf", StringComparison.Ordinal)).Select(f => f[..^4]).ToList();
            if (names.Count == 0) continue;
            return names.Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)
                .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, $"{n} ({dir}/{n}.opf)")).ToList();
        }
        return Array.Empty<CompletionResult>();
    }
}

/// <summary>
/// Completes -ReferenceLabel of Compare-LatencyRun and Export-LatencyReport with the labels of the runs the command
/// will see: those bound to -ReferenceRun/-DifferenceRun/-InputObject, those in variables piped into it, and those an
/// upstream Import-LatencyRun -Path reads from the history.
/// </summary>
public sealed class RunLabelCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var labels = new List<string>();
        foreach (string key in new[] { "ReferenceRun", "DifferenceRun", "InputObject" })
        {
            if (fakeBoundParameters.Contains(key)) labels.AddRange(Labels(fakeBoundParameters[key]));
        }
        if (commandAst.Parent is PipelineAst pipeline)
        {
            foreach (var element in pipeline.PipelineElements.TakeWhile(e => e != commandAst))
            {
                if (element is CommandExpressionAst { Expression: VariableExpressionAst v })
                {
                    // Completion runs on the pipeline thread: read the variable where the user typed it (no side effects).
                    try { labels.AddRange(Labels(ReadVariable.Invoke(v.VariablePath.UserPath).Select(o => (object?)o).ToArray())); }
                    catch (RuntimeException) { }
                }
                else if (element is CommandAst { } upstream && string.Equals(upstream.GetCommandName(), "Import-LatencyRun", StringComparison.OrdinalIgnoreCase))
                {
                    labels.AddRange(StoredLabels(upstream));
                }
            }
        }
        var pattern = new WildcardPattern((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return labels.Where(l => l.Length > 0 && pattern.IsMatch(l)).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase)
            .Select(l => new CompletionResult(l.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '`') ? "'" + l.Replace("'", "''") + "'" : l,
                l, CompletionResultType.ParameterValue, l))
            .ToList();
    }

    private static readonly ScriptBlock ReadVariable = ScriptBlock.Create("param($Name) Get-Variable -Name $Name -ValueOnly -ErrorAction Ignore");

    private static IEnumerable<string> Labels(object? value)
    {
        foreach (object? item in LatencyRunBinder.Flatten(value))
        {
            object? o = item is PSObject p ? p.BaseObject : item;
            string? label = o switch
            {
                LatencyRun r => r.Label,
                IDictionary d => d["Label"] as string,
                _ => (item as PSObject)?.Properties["Label"]?.Value as string,
            };
            if (!string.IsNullOrEmpty(label)) yield return label;
        }
    }

    /// <summary>The labels stored at the -Path/-LiteralPath (or first positional argument) of an Import-LatencyRun in the pipeline.</summary>
    private static IEnumerable<string> StoredLabels(CommandAst import)
    {
        string? path = null;
        var elements = import.CommandElements;
        for (int i = 1; i < elements.Count && path is null; i++)
        {
            if (elements[i] is CommandParameterAst p)
            {
                if (("Path".StartsWith(p.ParameterName, StringComparison.OrdinalIgnoreCase) || "LiteralPath".StartsWith(p.ParameterName, StringComparison.OrdinalIgnoreCase) || p.ParameterName.Equals("PSPath", StringComparison.OrdinalIgnoreCase))
                    && (p.Argument ?? (i + 1 < elements.Count ? elements[i + 1] : null)) is StringConstantExpressionAst s)
                {
                    path = s.Value;
                }
                else if (p.Argument is null) i++;
            }
            else if (elements[i] is StringConstantExpressionAst s) path = s.Value;
        }
        if (path is null) return Array.Empty<string>();
        string full = Path.GetFullPath(path, Directory.GetCurrentDirectory());
        if (!Directory.Exists(full) && !File.Exists(full)) return Array.Empty<string>();
        var result = new LatencyRunStore.LoadResult();
        LatencyRunStore.Load(full, result);
        return result.Runs.Select(r => r.Run.Label).ToList();
    }
}
