using System.Management.Automation;
using System.Management.Automation.Language;
using System.Reflection;
using OnloadTools.HelpGen;

namespace OnloadTools.Tests.Engine;

/// <summary>
/// Offline help of the built module, read through the real Get-Help of a PowerShell 7.6 engine, compared with HelpGen's
/// own reading of docs/cmdlets (MarkdownHelpParser, compiled into this assembly): every paragraph, parameter description,
/// default, example code and remark equal to the page, and every page's SYNTAX and examples true to the cmdlet.
/// Why C#: the comparison needs the very parser that wrote the MAML, which a Pester run cannot load; a second Markdown
/// reader in PowerShell could agree with itself and miss a HelpGen bug. What Get-Help shows an admin in general (synopsis,
/// notes, examples parse, every cmdlet has a page) is tested in tests/Pester/Help.Tests.ps1; the module folder's help
/// files in tests/Pester/Module.Tests.ps1.
/// </summary>
public class HelpTests
{
    private static string DocsCmdlets => Path.Combine(TestPaths.RepoRoot, "docs", "cmdlets");

    private static HelpPage Page(string name) => MarkdownHelpParser.ParseFile(Path.Combine(DocsCmdlets, name + ".md"));

    private static IEnumerable<HelpPage> AllPages() =>
        Directory.EnumerateFiles(DocsCmdlets, "*.md").Select(MarkdownHelpParser.ParseFile);

    /// <summary>The cmdlet classes of the module, by Verb-Noun.</summary>
    private static Dictionary<string, Type> CmdletTypes() =>
        typeof(LatencyRun).Assembly.GetTypes()
            .Select(t => (Type: t, Attr: t.GetCustomAttribute<CmdletAttribute>()))
            .Where(x => x.Attr is not null)
            .ToDictionary(x => $"{x.Attr!.VerbName}-{x.Attr.NounName}", x => x.Type, StringComparer.OrdinalIgnoreCase);

    private static string[] PublicParameters(Type cmdlet) =>
        cmdlet.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttributes<ParameterAttribute>().Any())
            .Select(p => p.Name).ToArray();

    private static string Text(PSObject o) => o.BaseObject?.ToString() ?? "";

    private static string[] Paragraphs(string text) =>
        text.Replace("\r", "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    [Fact]
    public void Get_Help_shows_the_synopsis_description_and_notes_from_the_page()
    {
        var page = Page("Measure-NetperfLatency");
        using var engine = new PowerShellEngine();
        var r = engine.Run(@"
$h = Get-Help Measure-NetperfLatency -Full
$h.Synopsis
($h.description | ForEach-Object Text | Where-Object { $_ }) -join ""`n""
($h.alertSet.alert | ForEach-Object Text | Where-Object { $_ }) -join ""`n""
$h.returnValues.returnValue.type.name");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Equal(4, r.Output.Count);
        Assert.Equal(page.Synopsis, Text(r.Output[0]));
        Assert.NotEqual("", page.Synopsis);
        // Get-Help puts a blank line between paragraphs: compare the paragraphs themselves.
        Assert.Equal(page.Description, Paragraphs(Text(r.Output[1])));
        Assert.Contains("private netserver", Text(r.Output[1]));
        string notes = Text(r.Output[2]);
        Assert.Contains("What survives Ctrl+C", notes);
        foreach (string id in new[] { "NetperfNotInstalled", "NetserverUnreachable", "NetperfOutputUnparsable", "NetperfFailed",
                     "NetperfTimedOut", "NetserverStartFailed", "HistoryWriteFailed" })
        {
            Assert.Contains(id, notes);
        }
        Assert.Equal("OnloadTools.LatencyRun", Text(r.Output[3]));
    }

    [Fact]
    public void Get_Help_Full_lists_every_parameter_with_the_compiled_metadata()
    {
        var page = Page("Measure-NetperfLatency");
        using var engine = new PowerShellEngine();
        var r = engine.Run(@"(Get-Help Measure-NetperfLatency -Full).parameters.parameter |
            ForEach-Object { '{0}|{1}|{2}|{3}|{4}|{5}' -f $_.name, $_.type.name, $_.position, $_.pipelineInput, $_.required, (($_.description | ForEach-Object Text | Where-Object { $_ }) -join ' ') }");
        Assert.Null(r.Terminating);
        var rows = r.Output.Select(o => Text(o).Split('|')).ToDictionary(f => f[0], StringComparer.Ordinal);

        var type = CmdletTypes()["Measure-NetperfLatency"];
        Assert.Equal(PublicParameters(type).Order(), rows.Keys.Order());
        foreach (var prop in type.GetProperties().Where(p => p.GetCustomAttributes<ParameterAttribute>().Any()))
        {
            var row = rows[prop.Name];
            var attr = prop.GetCustomAttributes<ParameterAttribute>().First();
            Type t = Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
            Assert.Equal(t.FullName, row[1]);
            Assert.Equal(attr.Position >= 0 ? attr.Position.ToString() : "named", row[2]);
            Assert.Equal(attr.ValueFromPipeline, row[3].Contains("ByValue"));
            Assert.Equal(attr.ValueFromPipelineByPropertyName, row[3].Contains("ByPropertyName"));
            Assert.Equal(attr.Mandatory.ToString().ToLowerInvariant(), row[4]);
            Assert.Equal(string.Join(" ", page.FindParameter(prop.Name)!.Description), row[5]);
        }
        Assert.Contains("HistoryPath", rows.Keys);
        Assert.Contains("Ctrl+C", rows["HistoryPath"][5] + string.Join(" ", page.Notes));
    }

    [Fact]
    public void Get_Help_Parameter_shows_the_documented_defaults_which_are_the_real_ones()
    {
        var page = Page("Measure-NetperfLatency");
        var fresh = new OnloadTools.Commands.MeasureNetperfLatencyCommand();
        var real = new Dictionary<string, string>
        {
            ["Duration"] = fresh.Duration.ToString(),
            ["Iterations"] = fresh.Iterations.ToString(),
            ["RequestSize"] = fresh.RequestSize.ToString(),
            ["ResponseSize"] = fresh.ResponseSize.ToString(),
            ["OnloadProfile"] = fresh.OnloadProfile,
            ["TestName"] = string.Join(", ", fresh.TestName),
            ["Port"] = OnloadTools.Latency.NetperfRequest.DefaultPort.ToString(),
        };
        using var engine = new PowerShellEngine();
        foreach (var (name, value) in real)
        {
            var r = engine.Run($@"$p = Get-Help Measure-NetperfLatency -Parameter {name}; $p.name; $p.defaultValue; ($p.description | ForEach-Object Text | Where-Object {{ $_ }}) -join ' '");
            Assert.Null(r.Terminating);
            Assert.Equal(name, Text(r.Output[0]));
            Assert.Equal(value, Text(r.Output[1]));
            Assert.Equal(string.Join(" ", page.FindParameter(name)!.Description), Text(r.Output[2]));
        }
    }

    [Fact]
    public void Get_Help_Examples_shows_every_example_of_the_page()
    {
        var page = Page("Measure-NetperfLatency");
        using var engine = new PowerShellEngine();
        var r = engine.Run(@"
$e = Get-Help Measure-NetperfLatency -Examples
$e.examples.example.Count
$e.examples.example | ForEach-Object { $_.title + [char]1 + $_.code + [char]1 + (($_.remarks | ForEach-Object Text | Where-Object { $_ }) -join ' ') }");
        Assert.Null(r.Terminating);
        Assert.Equal(page.Examples.Count, (int)r.Output[0].BaseObject);
        Assert.True(page.Examples.Count >= 3);
        for (int i = 0; i < page.Examples.Count; i++)
        {
            string[] f = Text(r.Output[i + 1]).Split('\u0001');
            Assert.Contains($"Example {i + 1}: {page.Examples[i].Title}", f[0]);
            Assert.Equal(page.Examples[i].Code.Replace("\n", ""), f[1].Replace("\n", "").Replace("\r", ""));
            Assert.Equal(string.Join(" ", page.Examples[i].Remarks), f[2]);
        }
    }

    [Fact]
    public void Get_Help_about_OnloadTools_works_offline()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("$a = Get-Help about_OnloadTools; $a.Name; $a.Synopsis; [string]$a");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Equal("about_OnloadTools", Text(r.Output[0]));
        string aboutMd = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "about_OnloadTools.md"));
        string shortDescription = aboutMd.Split("## SHORT DESCRIPTION")[1].Split("\n## ")[0].Trim().Split('\n')[0].Trim();
        Assert.StartsWith(MarkdownHelpParser.StripInline(shortDescription)[..20], Text(r.Output[1]));
        string body = Text(r.Output[2]);
        foreach (string cmdlet in new[] { "Measure-NetperfLatency", "Invoke-TunedProfile", "Set-SfcPartitioning", "Start-OnloadContainer",
                     "Compare-LatencyRun", "ONLOADTOOLS_HOST_ROOT" })
        {
            Assert.Contains(cmdlet, body);
        }
    }

    [Fact]
    public void Every_page_documents_an_existing_cmdlet_and_exactly_its_parameters()
    {
        var types = CmdletTypes();
        foreach (var page in AllPages())
        {
            Assert.True(types.ContainsKey(page.Name), $"{page.SourcePath}: no cmdlet {page.Name} in OnloadTools.dll");
            var parameters = PublicParameters(types[page.Name]);
            var documented = page.Parameters.Select(p => p.Name).ToArray();
            var notThere = documented.Except(parameters, StringComparer.Ordinal).ToArray();
            var undocumented = parameters.Except(documented, StringComparer.Ordinal).ToArray();
            Assert.True(notThere.Length == 0, $"{page.Name} documents parameters it does not have: {string.Join(", ", notThere)}");
            Assert.True(undocumented.Length == 0, $"{page.Name} has undocumented parameters: {string.Join(", ", undocumented)}");
            string syntax = string.Join("\n", page.Syntax);
            foreach (string p in parameters)
            {
                Assert.True(System.Text.RegularExpressions.Regex.IsMatch(syntax, $@"-{p}\b"), $"{page.Name}: SYNTAX does not show -{p}");
            }
        }
    }

    [Fact]
    public void Every_example_in_every_page_is_valid_PowerShell_that_calls_its_cmdlet()
    {
        foreach (var page in AllPages())
        {
            foreach (var e in page.Examples)
            {
                var ast = Parser.ParseInput(e.Code, out _, out ParseError[] errors);
                Assert.True(errors.Length == 0, $"{page.Name} Example {e.Number}: {string.Join("; ", errors.Select(x => x.Message))}");
                var called = ast.FindAll(a => a is CommandAst, true).Cast<CommandAst>().Select(c => c.GetCommandName()).Where(n => n is not null);
                Assert.Contains(page.Name, called, StringComparer.OrdinalIgnoreCase);
            }
        }
    }
}
