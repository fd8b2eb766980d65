using System.Management.Automation.Language;
using System.Text.RegularExpressions;

namespace OnloadTools.Tests.Engine;

/// <summary>
/// Every call of an OnloadTools cmdlet written down in the repository — the Pester suite (which runs in pwsh
/// elsewhere), the example scripts, the README's and docs' powershell blocks, the help pages' examples — names
/// parameters the built module really has, the way PowerShell binds them: the full name or an alias, or a prefix
/// that matches exactly one parameter. A renamed or removed parameter fails here, not in an admin's shell.
/// </summary>
public partial class ScriptCallTests
{
    [GeneratedRegex(@"^```powershell[ \t]*\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex PowerShellBlock();

    /// <summary>(where, PowerShell source) of every place the repository writes PowerShell.</summary>
    public static IEnumerable<(string Where, string Code)> Sources()
    {
        string root = TestPaths.RepoRoot;
        var files = Directory.EnumerateFiles(Path.Combine(root, "tests", "Pester"), "*.ps1")
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs", "examples"), "*.ps1"));
        foreach (string f in files.Order()) yield return (Path.GetRelativePath(root, f), File.ReadAllText(f));

        var markdown = new[] { Path.Combine(root, "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md"))
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs", "cmdlets"), "*.md"));
        foreach (string f in markdown.Order())
        {
            string text = File.ReadAllText(f).Replace("\r\n", "\n");
            int n = 0;
            foreach (Match m in PowerShellBlock().Matches(text))
            {
                n++;
                // A help page's SYNTAX block is the syntax diagram, not code (HelpTests check it).
                int heading = text.LastIndexOf("\n## ", m.Index, StringComparison.Ordinal);
                if (heading >= 0 && text.AsSpan(heading + 1).StartsWith("## SYNTAX")) continue;
                yield return ($"{Path.GetRelativePath(root, f)} block {n}", m.Groups[1].Value);
            }
        }
    }

    /// <summary>Cmdlet name → (parameter names, aliases → parameter), read from the imported module.</summary>
    private static Dictionary<string, Dictionary<string, string>> ModuleParameters()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run(@"Get-Command -Module OnloadTools | ForEach-Object {
    $c = $_
    $c.Parameters.Values | ForEach-Object { $p = $_; $p.Name + '|' + $c.Name + '|' + $p.Name; $p.Aliases | ForEach-Object { $_ + '|' + $c.Name + '|' + $p.Name } }
}");
        Assert.Null(r.Terminating);
        var map = new Dictionary<string, Dictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in r.Output.Select(o => o.BaseObject.ToString()!))
        {
            string[] f = line.Split('|');
            if (!map.TryGetValue(f[1], out var names)) map[f[1]] = names = new(StringComparer.OrdinalIgnoreCase);
            names[f[0]] = f[2];
        }
        return map;
    }

    /// <summary>How PowerShell binds -name: exact name or alias, else a prefix of exactly one parameter name.</summary>
    internal static string? Bind(Dictionary<string, string> names, string given)
    {
        if (names.TryGetValue(given, out string? exact)) return exact;
        var byPrefix = names.Where(kv => kv.Key.StartsWith(given, StringComparison.OrdinalIgnoreCase)).Select(kv => kv.Value).Distinct().ToArray();
        return byPrefix.Length == 1 ? byPrefix[0] : null;
    }

    [Fact]
    public void Binding_follows_PowerShell_names_aliases_and_unique_prefixes()
    {
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Duration"] = "Duration", ["DockerfilePath"] = "DockerfilePath", ["Dockerfile"] = "Dockerfile", ["cn"] = "ComputerName",
            ["ComputerName"] = "ComputerName", ["Confirm"] = "Confirm", ["ConfidenceLevel"] = "ConfidenceLevel",
        };
        Assert.Equal("Duration", Bind(names, "dur"));
        Assert.Equal("Dockerfile", Bind(names, "Dockerfile"));             // exact wins over a longer name
        Assert.Equal("ComputerName", Bind(names, "CN"));                    // alias
        Assert.Null(Bind(names, "Con"));                                    // Confirm or ConfidenceLevel
        Assert.Null(Bind(names, "Iterations"));
    }

    [Fact]
    public void Every_written_call_of_a_module_cmdlet_uses_parameters_the_module_has()
    {
        var module = ModuleParameters();
        Assert.True(module.Count >= 24, $"only {module.Count} cmdlets read from the module");
        var problems = new List<string>();
        int calls = 0;
        foreach (var (where, code) in Sources())
        {
            var ast = Parser.ParseInput(code, out _, out ParseError[] errors);
            if (errors.Length > 0)
            {
                problems.Add($"{where}: does not parse: {errors[0].Message}");
                continue;
            }
            foreach (var call in ast.FindAll(a => a is CommandAst, true).Cast<CommandAst>())
            {
                string? name = call.GetCommandName();
                if (name is null || !module.TryGetValue(name, out var names)) continue;
                calls++;
                foreach (var p in call.CommandElements.OfType<CommandParameterAst>())
                {
                    if (Bind(names, p.ParameterName) is null)
                    {
                        problems.Add($"{where} line {call.Extent.StartLineNumber}: {name} has no parameter -{p.ParameterName}");
                    }
                }
            }
        }
        Assert.True(calls > 200, $"only {calls} calls of module cmdlets found; the sources were not read");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
