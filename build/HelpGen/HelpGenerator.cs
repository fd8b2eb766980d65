namespace OnloadTools.HelpGen;

/// <summary>The HelpGen command line: parse every page, join with the compiled cmdlets, write MAML and about topics.</summary>
public static class HelpGenerator
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var positional = new List<string>();
        string? assembly = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--assembly" && i + 1 < args.Length) assembly = args[++i];
            else positional.Add(args[i]);
        }
        if (positional.Count < 2)
        {
            stderr.WriteLine("usage: HelpGen <docs/cmdlets folder> <output OnloadTools.dll-Help.xml> [about_Topic.md ...] [--assembly OnloadTools.dll]");
            return 2;
        }
        string docs = positional[0];
        string output = positional[1];
        var abouts = positional.Skip(2).ToList();
        assembly ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, "..", "OnloadTools.dll");

        int errors = 0;
        void Error(string origin, string code, string message) { stderr.WriteLine($"{origin}: error {code}: {message}"); errors++; }
        void Warn(string origin, string code, string message) => stdout.WriteLine($"{origin}: warning {code}: {message}");

        IReadOnlyList<CmdletMetadata>? cmdlets = null;
        if (File.Exists(assembly))
        {
            try { cmdlets = CmdletMetadataReader.Read(assembly); }
            catch (Exception e) when (e is BadImageFormatException or InvalidOperationException or IOException)
            {
                Error(assembly, "HG010", "cannot read cmdlet metadata: " + e.Message);
            }
        }
        else
        {
            Warn(assembly, "HG011", "the module assembly is not there; parameter types, positions and pipeline input are taken from the pages' SYNTAX blocks only.");
        }

        var pages = new List<HelpPage>();
        if (!Directory.Exists(docs))
        {
            Error(docs, "HG002", "the docs/cmdlets folder does not exist.");
        }
        else
        {
            foreach (string file in Directory.EnumerateFiles(docs, "*.md").Order(StringComparer.Ordinal))
            {
                try { pages.Add(MarkdownHelpParser.ParseFile(file)); }
                catch (HelpPageException e)
                {
                    foreach (string p in e.Problems) Error(file, "HG001", "malformed help page: " + p);
                }
            }
        }

        foreach (var page in pages)
        {
            foreach (string w in page.Warnings) Warn(page.SourcePath, "HG005", w);
            if (cmdlets is null) continue;
            var cmdlet = cmdlets.FirstOrDefault(c => string.Equals(c.Name, page.Name, StringComparison.OrdinalIgnoreCase));
            if (cmdlet is null)
            {
                Warn(page.SourcePath, "HG101", $"{page.Name} is not a cmdlet of {Path.GetFileName(assembly)}; its help is generated from the page alone.");
                continue;
            }
            foreach (var p in page.Parameters.Where(p => cmdlet.FindParameter(p.Name) is null))
            {
                Warn(page.SourcePath, "HG102", $"-{p.Name} is documented but {page.Name} has no such parameter.");
            }
            foreach (var p in cmdlet.Parameters.Where(p => page.FindParameter(p.Name) is null))
            {
                Warn(page.SourcePath, "HG103", $"{page.Name} -{p.Name} is not documented in the page.");
            }
        }
        foreach (var c in cmdlets ?? Array.Empty<CmdletMetadata>())
        {
            if (!pages.Any(p => string.Equals(p.Name, c.Name, StringComparison.OrdinalIgnoreCase)))
            {
                Warn(Path.Combine(docs, c.Name + ".md"), "HG100", $"{c.Name} has no docs page; Get-Help will show only its syntax.");
            }
        }

        var aboutTexts = new List<(string Path, string Text)>();
        foreach (string about in abouts)
        {
            if (!File.Exists(about)) { Error(about, "HG003", "the about topic does not exist."); continue; }
            try { aboutTexts.Add((about, AboutTopicWriter.Convert(File.ReadAllText(about), about))); }
            catch (HelpPageException e)
            {
                foreach (string p in e.Problems) Error(about, "HG004", "malformed about topic: " + p);
            }
        }

        if (errors > 0)
        {
            stderr.WriteLine($"HelpGen: {errors} error(s); no help was written. Fix the pages named above (shape: docs/cmdlets pages need '# Verb-Noun', '## SYNOPSIS', '## DESCRIPTION' and '## EXAMPLES' with '### Example N: title' and a code block).");
            return 1;
        }

        var doc = MamlWriter.Build(pages.Select(p => (p, cmdlets?.FirstOrDefault(c => string.Equals(c.Name, p.Name, StringComparison.OrdinalIgnoreCase)))));
        MamlWriter.Write(doc, output);
        string outDir = Path.GetDirectoryName(Path.GetFullPath(output))!;
        foreach (var (path, text) in aboutTexts)
        {
            string name = Path.GetFileNameWithoutExtension(path) + ".help.txt";
            File.WriteAllText(Path.Combine(outDir, name), text, new System.Text.UTF8Encoding(false));
        }
        stdout.WriteLine($"HelpGen: {pages.Count} cmdlet page(s) → {output}; {aboutTexts.Count} about topic(s).");
        return 0;
    }
}
