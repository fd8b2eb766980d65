using System.Text;
using System.Text.RegularExpressions;

namespace OnloadTools.HelpGen;

/// <summary>
/// Turns docs/about_*.md into the plain-text about topic Get-Help reads (about_X.help.txt): the conventional
/// TOPIC / SHORT DESCRIPTION / LONG DESCRIPTION layout, headings in capitals, text wrapped and indented.
/// </summary>
public static partial class AboutTopicWriter
{
    private const int Width = 80;

    /// <exception cref="HelpPageException">No '# about_Name' title or no SHORT DESCRIPTION section.</exception>
    public static string Convert(string markdown, string sourcePath)
    {
        var problems = new List<string>();
        var blocks = MarkdownHelpParser.Tokenize(markdown, problems);
        var sb = new StringBuilder();
        bool title = false, shortDescription = false;

        bool previousWasItem = false;
        foreach (var b in blocks)
        {
            previousWasItem = previousWasItem && b.Kind == MarkdownHelpParser.BlockKind.Paragraph && !b.Text.TrimStart().StartsWith('|');
            switch (b.Kind)
            {
                case MarkdownHelpParser.BlockKind.Heading when b.Level == 1:
                    if (!b.Text.StartsWith("about_", StringComparison.OrdinalIgnoreCase)) problems.Add($"line {b.Line}: the title must be '# about_Name'.");
                    title = true;
                    sb.Append("TOPIC\n    ").Append(b.Text.Trim()).Append("\n\n");
                    break;
                case MarkdownHelpParser.BlockKind.Heading when b.Level == 2:
                    string h = MarkdownHelpParser.StripInline(b.Text).ToUpperInvariant();
                    if (h == "SHORT DESCRIPTION") shortDescription = true;
                    sb.Append(h).Append('\n');
                    break;
                case MarkdownHelpParser.BlockKind.Heading when b.Level >= 4:
                    sb.Append("    ").Append(MarkdownHelpParser.StripInline(b.Text).ToUpperInvariant()).Append("\n\n");
                    break;
                case MarkdownHelpParser.BlockKind.Heading:
                    string sub = MarkdownHelpParser.StripInline(b.Text);
                    sb.Append("  ").Append(sub).Append('\n').Append("  ").Append(new string('-', sub.Length)).Append("\n\n");
                    break;
                case MarkdownHelpParser.BlockKind.Code:
                    foreach (string line in b.Text.Split('\n')) sb.Append("        ").Append(line).Append('\n');
                    sb.Append('\n');
                    break;
                case MarkdownHelpParser.BlockKind.Paragraph when b.Text.TrimStart().StartsWith('|'):
                    // A table: keep its rows, one per line, without the |---| rule.
                    foreach (string row in b.Text.Split('\n').Where(r => r.Trim().Length > 0))
                    {
                        string r = row.Trim();
                        if (RuleRegex().IsMatch(r)) continue;
                        var cells = r.Trim('|').Split('|').Select(c => MarkdownHelpParser.StripInline(c)).ToArray();
                        Wrap(sb, string.Join("  |  ", cells), "    ", "      ");
                    }
                    sb.Append('\n');
                    break;
                case MarkdownHelpParser.BlockKind.Paragraph:
                    string text = MarkdownHelpParser.StripInline(b.Text);
                    bool item = text.StartsWith("- ", StringComparison.Ordinal) || NumberedRegex().IsMatch(text);
                    if (item && previousWasItem && sb.Length > 1 && sb[^1] == '\n' && sb[^2] == '\n') sb.Length--; // tight lists
                    Wrap(sb, text, "    ", item ? "      " : "    ");
                    sb.Append('\n');
                    previousWasItem = item;
                    continue;
            }
        }
        if (!title) problems.Add("the page has no '# about_Name' title.");
        if (!shortDescription) problems.Add("the '## SHORT DESCRIPTION' section is missing.");
        if (problems.Count > 0) throw new HelpPageException(sourcePath, problems);
        return sb.ToString().TrimEnd() + "\n";
    }

    private static void Wrap(StringBuilder sb, string text, string firstIndent, string indent)
    {
        var line = new StringBuilder(firstIndent);
        bool empty = true;
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!empty && line.Length + 1 + word.Length > Width)
            {
                sb.Append(line.ToString().TrimEnd()).Append('\n');
                line.Clear().Append(indent);
                empty = true;
            }
            if (!empty) line.Append(' ');
            line.Append(word);
            empty = false;
        }
        sb.Append(line.ToString().TrimEnd()).Append('\n');
    }

    [GeneratedRegex(@"^\|[\s:|\-]+\|?$")]
    private static partial Regex RuleRegex();

    [GeneratedRegex(@"^\d+\. ")]
    private static partial Regex NumberedRegex();
}
