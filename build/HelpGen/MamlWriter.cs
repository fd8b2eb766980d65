using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace OnloadTools.HelpGen;

/// <summary>Writes the MAML help file PowerShell's Get-Help reads for a binary module (OnloadTools.dll-Help.xml).</summary>
public static class MamlWriter
{
    public static readonly XNamespace Msh = "http://msh";
    public static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static XDocument Build(IEnumerable<(HelpPage Page, CmdletMetadata? Cmdlet)> commands)
    {
        var root = new XElement(Msh + "helpItems",
            new XAttribute("schema", "maml"),
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev));
        foreach (var (page, cmdlet) in commands.OrderBy(c => c.Page.Name, StringComparer.OrdinalIgnoreCase))
        {
            root.Add(CommandElement(page, cmdlet));
        }
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    public static void Write(XDocument doc, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using var writer = XmlWriter.Create(path, settings);
        doc.Save(writer);
    }

    private static XElement CommandElement(HelpPage page, CmdletMetadata? cmdlet)
    {
        var parameters = MergeParameters(page, cmdlet);
        return new XElement(Command + "command",
            new XElement(Command + "details",
                new XElement(Command + "name", page.Name),
                new XElement(Command + "verb", page.Verb),
                new XElement(Command + "noun", page.Noun),
                new XElement(Maml + "description", Paras(new[] { page.Synopsis }))),
            new XElement(Maml + "description", Paras(page.Description)),
            new XElement(Command + "syntax", SyntaxItems(page, cmdlet, parameters)),
            new XElement(Command + "parameters", parameters.Select(p => ParameterElement(p, null))),
            new XElement(Command + "inputTypes", InputTypes(page, parameters)),
            new XElement(Command + "returnValues", ReturnValues(page, cmdlet)),
            new XElement(Maml + "alertSet",
                new XElement(Maml + "alert", Paras(page.Notes))),
            new XElement(Command + "examples", page.Examples.Select(ExampleElement)),
            new XElement(Command + "relatedLinks", page.RelatedLinks.Select(l =>
                new XElement(Maml + "navigationLink",
                    new XElement(Maml + "linkText", l.Text),
                    new XElement(Maml + "uri", l.Uri)))));
    }

    /// <summary>A documented parameter joined with its compiled metadata (either may be missing).</summary>
    public sealed record MergedParameter(string Name, HelpParameter? Doc, ParameterMetadata? Meta);

    /// <summary>Compiled parameters in declaration order, then documented ones the assembly does not have.</summary>
    public static List<MergedParameter> MergeParameters(HelpPage page, CmdletMetadata? cmdlet)
    {
        var list = new List<MergedParameter>();
        if (cmdlet is not null)
        {
            foreach (var m in cmdlet.Parameters) list.Add(new MergedParameter(m.Name, page.FindParameter(m.Name), m));
        }
        foreach (var d in page.Parameters)
        {
            if (cmdlet?.FindParameter(d.Name) is null) list.Add(new MergedParameter(d.Name, d, null));
        }
        // Documentation order first (it is written for the reader), undocumented compiled ones after.
        return list.OrderBy(p => p.Doc is null ? int.MaxValue : page.Parameters.IndexOf(p.Doc)).ToList();
    }

    private static IEnumerable<XElement> SyntaxItems(HelpPage page, CmdletMetadata? cmdlet, List<MergedParameter> parameters)
    {
        var sets = cmdlet?.ParameterSetNames ?? Array.Empty<string>();
        if (sets.Count == 0)
        {
            yield return SyntaxItem(page.Name, parameters, ParameterSetMetadata.AllSets);
            yield break;
        }
        var ordered = sets.OrderBy(s => s == cmdlet!.DefaultParameterSetName ? 0 : 1).ThenBy(s => s, StringComparer.Ordinal);
        foreach (string set in ordered)
        {
            var inSet = parameters.Where(p => p.Meta is null || p.Meta.Sets.Any(s => s.SetName == set || s.SetName == ParameterSetMetadata.AllSets)).ToList();
            yield return SyntaxItem(page.Name, inSet, set);
        }
    }

    private static XElement SyntaxItem(string name, List<MergedParameter> parameters, string set)
    {
        var ordered = parameters
            .OrderBy(p => p.Meta?.InSet(set)?.Position ?? int.MaxValue)
            .ThenBy(p => p.Meta?.InSet(set)?.Mandatory == true ? 0 : 1);
        return new XElement(Command + "syntaxItem",
            new XElement(Maml + "name", name),
            ordered.Select(p => ParameterElement(p, set)));
    }

    private static XElement ParameterElement(MergedParameter p, string? set)
    {
        ParameterSetMetadata? s = p.Meta is null ? null : set is null ? p.Meta.Sets.FirstOrDefault() : p.Meta.InSet(set);
        if (set is null && p.Meta is not null)
        {
            // In the parameters list, a parameter is required when it is required in every set it belongs to.
            s = new ParameterSetMetadata
            {
                Mandatory = p.Meta.Sets.All(x => x.Mandatory),
                Position = p.Meta.Sets.Select(x => x.Position).FirstOrDefault(x => x is not null),
                ValueFromPipeline = p.Meta.Sets.Any(x => x.ValueFromPipeline),
                ValueFromPipelineByPropertyName = p.Meta.Sets.Any(x => x.ValueFromPipelineByPropertyName),
                ValueFromRemainingArguments = p.Meta.Sets.Any(x => x.ValueFromRemainingArguments),
            };
        }
        string fullType = p.Meta?.TypeName ?? ExpandType(p.Doc?.SyntaxType) ?? "System.Object";
        bool isSwitch = p.Meta?.IsSwitch ?? (p.Doc?.SyntaxType is null);
        string pipeline = s is null ? "False" :
            s.ValueFromPipeline && s.ValueFromPipelineByPropertyName ? "True (ByPropertyName, ByValue)" :
            s.ValueFromPipeline ? "True (ByValue)" :
            s.ValueFromPipelineByPropertyName ? "True (ByPropertyName)" : "False";

        var e = new XElement(Command + "parameter",
            new XAttribute("required", (s?.Mandatory ?? false) ? "true" : "false"),
            new XAttribute("variableLength", fullType.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false"),
            new XAttribute("globbing", "false"),
            new XAttribute("pipelineInput", pipeline),
            new XAttribute("position", s?.Position?.ToString(CultureInfo.InvariantCulture) ?? "named"),
            new XAttribute("aliases", p.Meta is { Aliases.Count: > 0 } ? string.Join(", ", p.Meta.Aliases) : "none"),
            new XElement(Maml + "name", p.Name),
            new XElement(Maml + "description", Paras(p.Doc?.Description ?? new List<string>())));
        if (p.Meta is { ValidValues.Count: > 0 })
        {
            e.Add(new XElement(Command + "parameterValueGroup",
                p.Meta.ValidValues.Select(v => new XElement(Command + "parameterValue",
                    new XAttribute("required", "false"), new XAttribute("variableLength", "false"), v))));
        }
        if (!isSwitch)
        {
            e.Add(new XElement(Command + "parameterValue",
                new XAttribute("required", "true"),
                new XAttribute("variableLength", fullType.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false"),
                ShortName(fullType)));
        }
        e.Add(new XElement(Dev + "type",
                new XElement(Maml + "name", fullType),
                new XElement(Maml + "uri")),
            new XElement(Dev + "defaultValue", p.Meta?.DefaultValue ?? DefaultValue(p.Doc) ?? (isSwitch ? "False" : "None")));
        return e;
    }

    /// <summary>The default written in a parameter's description ("Default: 5", "Default value: none (runs on the host)."),
    /// for parameters whose compiled cmdlet has no initializer (a default that is a behaviour, not a value).</summary>
    private static string? DefaultValue(HelpParameter? doc)
    {
        if (doc is null) return null;
        foreach (string para in doc.Description)
        {
            if (DefaultText(para) is { } v) return v;
        }
        return null;
    }

    /// <summary>
    /// The text after "Default:" up to the end of its sentence: a period, semicolon or end of the paragraph outside
    /// any parentheses, or the parenthesis that encloses the whole phrase ("(Double, Default: 5)"). Parentheses inside
    /// the value stay whole ("none (netperf runs on the host)"); "5, as in the paper" is cut to "5".
    /// </summary>
    internal static string? DefaultText(string paragraph)
    {
        var m = System.Text.RegularExpressions.Regex.Match(paragraph, @"\bDefault(?: value)?\s*[:=]\s*", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        if (!m.Success) return null;
        int depth = 0, i = m.Index + m.Length, end = paragraph.Length;
        for (; i < paragraph.Length; i++)
        {
            char c = paragraph[i];
            if (c == '(') depth++;
            else if (c == ')')
            {
                if (depth == 0) { end = i; break; }
                depth--;
            }
            else if (depth == 0 && (c == ';' || (c == '.' && (i + 1 == paragraph.Length || char.IsWhiteSpace(paragraph[i + 1])))))
            {
                end = i;
                break;
            }
        }
        string v = paragraph[(m.Index + m.Length)..end];
        // "5, as in the paper" → "5"; "TCP_RR, UDP_RR" stays whole (the comma is followed by a capital).
        v = System.Text.RegularExpressions.Regex.Split(v, @",\s+(?=[a-z])")[0].Trim();
        return v.Length == 0 ? null : v;
    }

    private static IEnumerable<XElement> InputTypes(HelpPage page, List<MergedParameter> parameters)
    {
        if (page.Inputs.Count > 0)
        {
            foreach (var i in page.Inputs) yield return TypeEntry(Command + "inputType", i.TypeName, i.Description);
            yield break;
        }
        var piped = parameters.Where(p => p.Meta?.Sets.Any(s => s.ValueFromPipeline || s.ValueFromPipelineByPropertyName) == true).ToList();
        if (piped.Count == 0)
        {
            yield return TypeEntry(Command + "inputType", "None", new[] { "This cmdlet takes no pipeline input." });
            yield break;
        }
        foreach (var g in piped.GroupBy(p => p.Meta!.TypeName))
        {
            yield return TypeEntry(Command + "inputType", g.Key,
                new[] { "Bound to " + string.Join(", ", g.Select(p => "-" + p.Name)) + " from the pipeline." });
        }
    }

    private static IEnumerable<XElement> ReturnValues(HelpPage page, CmdletMetadata? cmdlet)
    {
        if (page.Outputs.Count > 0)
        {
            foreach (var o in page.Outputs) yield return TypeEntry(Command + "returnValue", o.TypeName, o.Description);
            yield break;
        }
        foreach (string t in cmdlet?.OutputTypes ?? new List<string>())
        {
            yield return TypeEntry(Command + "returnValue", t, Array.Empty<string>());
        }
    }

    private static XElement TypeEntry(XName name, string type, IEnumerable<string> description) =>
        new(name,
            new XElement(Dev + "type", new XElement(Maml + "name", type), new XElement(Maml + "uri")),
            new XElement(Maml + "description", Paras(description)));

    private static XElement ExampleElement(HelpExample e) =>
        new(Command + "example",
            new XElement(Maml + "title", $"--------- Example {e.Number.ToString(CultureInfo.InvariantCulture)}: {e.Title} ---------"),
            new XElement(Dev + "code", e.Code),
            new XElement(Dev + "remarks", Paras(e.Remarks)));

    private static IEnumerable<XElement> Paras(IEnumerable<string> paragraphs)
    {
        var list = paragraphs.Where(p => p.Length > 0).ToList();
        if (list.Count == 0) return new[] { new XElement(Maml + "para") };
        return list.Select(p => new XElement(Maml + "para", p));
    }

    /// <summary>System.Management.Automation.SwitchParameter → SwitchParameter; System.String[] → String[].</summary>
    public static string ShortName(string fullType)
    {
        int generic = fullType.IndexOf('[', StringComparison.Ordinal);
        string head = generic > 0 && !fullType.EndsWith("[]", StringComparison.Ordinal) ? fullType[..generic] : fullType;
        int dot = head.LastIndexOf('.');
        return dot >= 0 ? fullType[(dot + 1)..] : fullType;
    }

    private static string? ExpandType(string? syntaxType) => syntaxType switch
    {
        null => null,
        _ => syntaxType.Trim() switch
        {
            "string" => "System.String",
            "string[]" => "System.String[]",
            "int" => "System.Int32",
            "int[]" => "System.Int32[]",
            "double" => "System.Double",
            "bool" => "System.Boolean",
            "switch" => "System.Management.Automation.SwitchParameter",
            var t => t,
        },
    };
}
