using System.Text;
using System.Text.RegularExpressions;

namespace OnloadTools.HelpGen;

/// <summary>
/// Parses a cmdlet page of docs/cmdlets (# Name, ## SYNOPSIS, ## SYNTAX, ## DESCRIPTION, ## PARAMETERS with
/// ### -Name, ## EXAMPLES with ### Example N: title, ## INPUTS, ## OUTPUTS, ## NOTES, ## RELATED LINKS).
/// Every problem of a page is collected and reported at once in a <see cref="HelpPageException"/>.
/// </summary>
public static partial class MarkdownHelpParser
{
    private static readonly string[] KnownSections =
        { "SYNOPSIS", "SYNTAX", "DESCRIPTION", "PARAMETERS", "EXAMPLES", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS" };

    public static HelpPage ParseFile(string path) => Parse(File.ReadAllText(path), path);

    /// <exception cref="HelpPageException">The page lacks a required part or is not in the expected shape.</exception>
    public static HelpPage Parse(string markdown, string sourcePath)
    {
        var problems = new List<string>();
        var page = new HelpPage { SourcePath = sourcePath };
        var warnings = page.Warnings;
        var blocks = Tokenize(markdown, problems);

        string? section = null;
        var sectionsSeen = new HashSet<string>(StringComparer.Ordinal);
        object? current = null; // the ### item the following blocks belong to
        bool nameSeen = false;

        foreach (var b in blocks)
        {
            switch (b.Kind)
            {
                case BlockKind.Heading when b.Level == 1:
                    if (nameSeen) { problems.Add($"line {b.Line}: a second '# ' heading ('{b.Text}'); a page documents one cmdlet."); break; }
                    nameSeen = true;
                    page.Name = b.Text.Trim();
                    section = null;
                    current = null;
                    break;

                case BlockKind.Heading when b.Level == 2:
                    section = b.Text.Trim().ToUpperInvariant();
                    current = null;
                    if (!nameSeen) problems.Add($"line {b.Line}: '## {b.Text}' comes before the '# Verb-Noun' title.");
                    if (Array.IndexOf(KnownSections, section) < 0)
                    {
                        warnings.Add($"line {b.Line}: unknown section '## {b.Text}' is left out of the help (expected one of: {string.Join(", ", KnownSections)}).");
                    }
                    else if (!sectionsSeen.Add(section))
                    {
                        problems.Add($"line {b.Line}: section '## {section}' appears twice.");
                    }
                    break;

                case BlockKind.Heading when b.Level == 3:
                    current = StartItem(page, section, b, problems);
                    break;

                case BlockKind.Heading:
                    AddText(page, section, current, b.Text, b, problems);
                    break;

                case BlockKind.Code:
                    AddCode(page, section, current, b, problems);
                    break;

                case BlockKind.Paragraph:
                    AddText(page, section, current, b.Text, b, problems);
                    break;
            }
        }

        Validate(page, sectionsSeen, nameSeen, problems, warnings);
        if (problems.Count > 0) throw new HelpPageException(sourcePath, problems);
        return page;
    }

    private static object? StartItem(HelpPage page, string? section, Block b, List<string> problems)
    {
        string text = b.Text.Trim();
        switch (section)
        {
            case "PARAMETERS":
                if (!text.StartsWith('-') || text.Length < 2 || !ParameterNameRegex().IsMatch(text[1..]))
                {
                    problems.Add($"line {b.Line}: parameter heading '### {text}' must be '### -Name'.");
                    return null;
                }
                var p = new HelpParameter { Name = text[1..], Line = b.Line };
                if (page.FindParameter(p.Name) is not null) problems.Add($"line {b.Line}: parameter -{p.Name} is documented twice.");
                page.Parameters.Add(p);
                return p;

            case "EXAMPLES":
                var m = ExampleHeadingRegex().Match(text);
                if (!m.Success)
                {
                    problems.Add($"line {b.Line}: example heading '### {text}' must be '### Example N: title'.");
                    return null;
                }
                var e = new HelpExample { Number = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Title = m.Groups[2].Value.Trim() };
                page.Examples.Add(e);
                return e;

            case "OUTPUTS":
            case "INPUTS":
                var t = new HelpTypeEntry { TypeName = StripInline(text) };
                (section == "OUTPUTS" ? page.Outputs : page.Inputs).Add(t);
                return t;

            default:
                // A sub-heading elsewhere (DESCRIPTION, NOTES) is kept as a paragraph of that section.
                AddText(page, section, null, StripInline(text).ToUpperInvariant(), b, problems);
                return null;
        }
    }

    private static void AddText(HelpPage page, string? section, object? current, string text, Block b, List<string> problems)
    {
        string para = StripInline(text);
        if (para.Length == 0) return;
        switch (section)
        {
            case null:
                if (page.Name.Length > 0) problems.Add($"line {b.Line}: text before the first '## ' section.");
                break;
            case "SYNOPSIS":
                page.Synopsis = page.Synopsis.Length == 0 ? para : page.Synopsis + " " + para;
                break;
            case "SYNTAX":
                break; // prose around the syntax blocks is ignored
            case "DESCRIPTION":
                page.Description.Add(para);
                break;
            case "PARAMETERS":
                if (current is HelpParameter p) p.Description.Add(para);
                else problems.Add($"line {b.Line}: text in PARAMETERS outside a '### -Name' heading.");
                break;
            case "EXAMPLES":
                if (current is HelpExample e) e.Remarks.Add(para);
                else problems.Add($"line {b.Line}: text in EXAMPLES outside a '### Example N: title' heading.");
                break;
            case "INPUTS":
            case "OUTPUTS":
                if (current is HelpTypeEntry t) t.Description.Add(para);
                else problems.Add($"line {b.Line}: text in {section} outside a '### TypeName' heading.");
                break;
            case "NOTES":
                page.Notes.Add(para);
                break;
            case "RELATED LINKS":
                foreach (string line in text.Split('\n'))
                {
                    string l = line.Trim().TrimStart('-', '*').Trim();
                    if (l.Length == 0) continue;
                    var m = LinkRegex().Match(l);
                    page.RelatedLinks.Add(m.Success && m.Index == 0
                        ? new HelpLink { Text = m.Groups[1].Value, Uri = m.Groups[2].Value }
                        : new HelpLink { Text = StripInline(l) });
                }
                break;
        }
    }

    private static void AddCode(HelpPage page, string? section, object? current, Block b, List<string> problems)
    {
        switch (section)
        {
            case "SYNTAX":
                page.Syntax.Add(b.Text);
                break;
            case "EXAMPLES" when current is HelpExample e:
                if (e.Code.Length == 0) e.Code = b.Text;
                else e.Remarks.Add(b.Text);
                break;
            case "EXAMPLES":
                problems.Add($"line {b.Line}: code block in EXAMPLES outside a '### Example N: title' heading.");
                break;
            case "PARAMETERS" when current is HelpParameter p:
                p.Description.Add(b.Text);
                break;
            case "DESCRIPTION":
                page.Description.Add(b.Text);
                break;
            case "NOTES":
                page.Notes.Add(b.Text);
                break;
            case "INPUTS" or "OUTPUTS" when current is HelpTypeEntry t:
                t.Description.Add(b.Text);
                break;
            default:
                problems.Add($"line {b.Line}: code block in an unexpected place (section {section ?? "none"}).");
                break;
        }
    }

    private static void Validate(HelpPage page, HashSet<string> sections, bool nameSeen, List<string> problems, List<string> warnings)
    {
        if (!nameSeen || page.Name.Length == 0)
        {
            problems.Add("the page has no '# Verb-Noun' title.");
        }
        else
        {
            if (!CmdletNameRegex().IsMatch(page.Name)) problems.Add($"the title '{page.Name}' is not a cmdlet name (Verb-Noun).");
            string fileName = Path.GetFileNameWithoutExtension(page.SourcePath);
            if (fileName.Length > 0 && page.SourcePath.EndsWith(".md", StringComparison.OrdinalIgnoreCase)
                && !string.Equals(fileName, page.Name, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"the title '{page.Name}' does not match the file name '{fileName}.md'.");
            }
        }

        if (!sections.Contains("SYNOPSIS")) problems.Add("the '## SYNOPSIS' section is missing.");
        else if (page.Synopsis.Length == 0) problems.Add("the '## SYNOPSIS' section is empty.");

        if (!sections.Contains("DESCRIPTION")) warnings.Add("the '## DESCRIPTION' section is missing.");

        if (!sections.Contains("EXAMPLES")) problems.Add("the '## EXAMPLES' section is missing.");
        else if (page.Examples.Count == 0) problems.Add("the '## EXAMPLES' section holds no '### Example N: title'.");

        foreach (var e in page.Examples)
        {
            if (e.Code.Trim().Length == 0) problems.Add($"Example {e.Number} ('{e.Title}') has no ```powershell code block.");
        }
        for (int i = 0; i < page.Examples.Count; i++)
        {
            if (page.Examples[i].Number != i + 1) warnings.Add($"examples must be numbered 1, 2, 3…; found Example {page.Examples[i].Number} in position {i + 1}.");
        }
        foreach (var p in page.Parameters)
        {
            if (p.Description.Count == 0) warnings.Add($"line {p.Line}: parameter -{p.Name} has no description.");
        }

        // Types written in the SYNTAX block, for help built without the assembly.
        foreach (string block in page.Syntax)
        {
            foreach (Match m in SyntaxParameterRegex().Matches(block))
            {
                if (page.FindParameter(m.Groups[1].Value) is { } p && m.Groups[2].Success) p.SyntaxType ??= m.Groups[2].Value.Trim();
            }
        }
    }

    /// <summary>Removes markdown emphasis and code ticks; links become "text (uri)".</summary>
    public static string StripInline(string text)
    {
        string s = LinkRegex().Replace(text, m => m.Groups[2].Value.Length > 0 && m.Groups[2].Value != m.Groups[1].Value
            ? $"{m.Groups[1].Value} ({m.Groups[2].Value})" : m.Groups[1].Value);
        s = s.Replace("**", "", StringComparison.Ordinal).Replace("`", "", StringComparison.Ordinal);
        return s.Trim();
    }

    // ---- block tokenizer ----

    internal enum BlockKind { Heading, Paragraph, Code }

    internal sealed record Block(BlockKind Kind, int Level, string Text, int Line);

    internal static List<Block> Tokenize(string markdown, List<string> problems)
    {
        var blocks = new List<Block>();
        string[] lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var para = new StringBuilder();
        int paraLine = 0;

        void FlushParagraph()
        {
            if (para.Length > 0) blocks.Add(new Block(BlockKind.Paragraph, 0, para.ToString(), paraLine));
            para.Clear();
        }

        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            string trimmed = line.TrimStart();
            if (trimmed.StartsWith("```", StringComparison.Ordinal))
            {
                FlushParagraph();
                int start = i + 1;
                int indent = line.Length - trimmed.Length;
                var code = new List<string>();
                int j = i + 1;
                for (; j < lines.Length && !lines[j].TrimStart().StartsWith("```", StringComparison.Ordinal); j++)
                {
                    string l = lines[j];
                    int cut = Math.Min(indent, l.Length - l.TrimStart().Length);
                    code.Add(l[cut..].TrimEnd());
                }
                if (j >= lines.Length) problems.Add($"line {start}: code block opened with ``` is never closed.");
                blocks.Add(new Block(BlockKind.Code, 0, string.Join("\n", code).Trim('\n'), start));
                i = j;
                continue;
            }

            var h = HeadingRegex().Match(line);
            if (h.Success)
            {
                FlushParagraph();
                blocks.Add(new Block(BlockKind.Heading, h.Groups[1].Length, h.Groups[2].Value.Trim(), i + 1));
                continue;
            }

            if (trimmed.Length == 0)
            {
                FlushParagraph();
                continue;
            }

            // A list item starts a paragraph of its own so that help keeps one item per line.
            bool listItem = ListItemRegex().IsMatch(line);
            if (listItem) FlushParagraph();
            if (para.Length == 0) paraLine = i + 1;
            else para.Append(trimmed.StartsWith('|') ? '\n' : ' '); // table rows keep their lines
            if (listItem)
            {
                string marker = ListItemRegex().Match(line).Value.Trim();
                para.Append(marker is "*" or "+" ? "-" : marker).Append(' ').Append(line[ListItemRegex().Match(line).Length..].Trim());
            }
            else
            {
                para.Append(trimmed.TrimEnd());
            }
        }
        FlushParagraph();
        return blocks;
    }

    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")]
    private static partial Regex HeadingRegex();

    [GeneratedRegex(@"^\s*(?:[-*+]|\d+\.)\s+")]
    private static partial Regex ListItemRegex();

    [GeneratedRegex(@"^Example\s+(\d+)\s*[:.\-–]\s*(.+)$", RegexOptions.IgnoreCase)]
    private static partial Regex ExampleHeadingRegex();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*$")]
    private static partial Regex ParameterNameRegex();

    [GeneratedRegex(@"^[A-Z][a-z]+-[A-Za-z0-9]+$")]
    private static partial Regex CmdletNameRegex();

    [GeneratedRegex(@"\[([^\]]+)\]\(([^)]*)\)")]
    private static partial Regex LinkRegex();

    [GeneratedRegex(@"(?<=[\s\[])-([A-Za-z][A-Za-z0-9]*)\]?\s*(?:<([^>]+)>)?")]
    private static partial Regex SyntaxParameterRegex();
}
