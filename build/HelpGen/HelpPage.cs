namespace OnloadTools.HelpGen;

/// <summary>One cmdlet page of docs/cmdlets, as parsed from its markdown.</summary>
public sealed class HelpPage
{
    public string SourcePath { get; set; } = "";
    public string Name { get; set; } = "";
    public string Synopsis { get; set; } = "";
    /// <summary>The code blocks of the SYNTAX section (one per parameter set, as written).</summary>
    public List<string> Syntax { get; } = new();
    public List<string> Description { get; } = new();
    public List<HelpParameter> Parameters { get; } = new();
    public List<HelpExample> Examples { get; } = new();
    public List<HelpTypeEntry> Inputs { get; } = new();
    public List<HelpTypeEntry> Outputs { get; } = new();
    public List<string> Notes { get; } = new();
    public List<HelpLink> RelatedLinks { get; } = new();
    /// <summary>Problems that do not make the help wrong (an unknown section, no description): reported, not fatal.</summary>
    public List<string> Warnings { get; } = new();

    public string Verb => Name.Contains('-') ? Name[..Name.IndexOf('-')] : Name;
    public string Noun => Name.Contains('-') ? Name[(Name.IndexOf('-') + 1)..] : "";

    public HelpParameter? FindParameter(string name) =>
        Parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}

public sealed class HelpParameter
{
    public string Name { get; set; } = "";
    public List<string> Description { get; } = new();
    /// <summary>The type written in the SYNTAX block (-Name &lt;type&gt;), used when the assembly is not at hand.</summary>
    public string? SyntaxType { get; set; }
    public int Line { get; set; }
}

public sealed class HelpExample
{
    public int Number { get; set; }
    public string Title { get; set; } = "";
    public string Code { get; set; } = "";
    public List<string> Remarks { get; } = new();
}

public sealed class HelpTypeEntry
{
    public string TypeName { get; set; } = "";
    public List<string> Description { get; } = new();
}

public sealed class HelpLink
{
    public string Text { get; set; } = "";
    public string Uri { get; set; } = "";
}

/// <summary>A docs page that cannot become help; the message names the file, line and what to fix.</summary>
public sealed class HelpPageException : Exception
{
    public HelpPageException(string path, IReadOnlyList<string> problems)
        : base($"{path}: malformed help page:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
    {
        Path = path;
        Problems = problems;
    }

    public string Path { get; }
    public IReadOnlyList<string> Problems { get; }
}
