using System.Management.Automation.Language;

namespace OnloadTools.Tests.Engine;

/// <summary>
/// The repository's scripts as text (the home of these checks, with ScriptCallTests): build.ps1, the example scripts
/// and the Pester files must parse with the PowerShell 7.6 parser, and build.ps1 must keep the parameters and checks its
/// callers rely on. What the scripts do when they run is tested by running them (tests/Pester).
/// </summary>
public class ScriptTests
{
    public static TheoryData<string> Scripts()
    {
        var data = new TheoryData<string>();
        data.Add("build.ps1");
        string pester = Path.Combine(TestPaths.RepoRoot, "tests", "Pester");
        string examples = Path.Combine(TestPaths.RepoRoot, "docs", "examples");
        foreach (string f in Directory.EnumerateFiles(pester, "*.ps1").Concat(Directory.EnumerateFiles(examples, "*.ps1")).Order())
        {
            data.Add(Path.GetRelativePath(TestPaths.RepoRoot, f));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_parses_without_errors(string relativePath)
    {
        Parser.ParseFile(Path.Combine(TestPaths.RepoRoot, relativePath), out _, out ParseError[] errors);
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{relativePath}:{e.Extent.StartLineNumber}: {e.Message}")));
    }

    [Fact]
    public void Build_script_takes_Configuration_Test_and_Clean_and_checks_every_native_call()
    {
        var ast = Parser.ParseFile(Path.Combine(TestPaths.RepoRoot, "build.ps1"), out _, out _);
        var parameters = ast.ParamBlock!.Parameters.ToDictionary(p => p.Name.VariablePath.UserPath);
        Assert.Equal(new[] { "Clean", "Configuration", "Test" }, parameters.Keys.Order());
        Assert.Equal("'Release'", parameters["Configuration"].DefaultValue!.Extent.Text);
        Assert.Equal(typeof(System.Management.Automation.SwitchParameter), parameters["Test"].StaticType);
        Assert.Equal(typeof(System.Management.Automation.SwitchParameter), parameters["Clean"].StaticType);

        // $ErrorActionPreference = 'Stop' at the top level.
        Assert.Contains(ast.EndBlock.Statements.OfType<AssignmentStatementAst>(),
            a => a.Left.Extent.Text == "$ErrorActionPreference" && a.Right.Extent.Text == "'Stop'");

        // dotnet and pwsh are only ever called through Invoke-Native, which checks $LASTEXITCODE.
        var commands = ast.FindAll(a => a is CommandAst, true).Cast<CommandAst>().ToList();
        Assert.DoesNotContain(commands, c => c.GetCommandName() is "dotnet" or "pwsh");
        var native = commands.Where(c => c.GetCommandName() == "Invoke-Native").Select(c => c.Extent.Text).ToList();
        Assert.Contains(native, t => t.Contains("'publish'") && t.Contains("$Configuration"));
        Assert.Contains(native, t => t.Contains("'test'") && t.Contains("'OnloadTools.Tests'"));
        var invokeNative = ast.FindAll(a => a is FunctionDefinitionAst f && f.Name == "Invoke-Native", true).Cast<FunctionDefinitionAst>().Single();
        Assert.Contains("$LASTEXITCODE", invokeNative.Body.Extent.Text);
        Assert.Contains("throw", invokeNative.Body.Extent.Text);

        // Pester: installed when missing, run on tests/Pester, failures fail the build.
        string text = ast.Extent.Text;
        Assert.Contains("Install-Module -Name Pester -MinimumVersion 5.5 -Scope CurrentUser -Force", text);
        Assert.Contains(commands, c => c.GetCommandName() == "Invoke-Pester" && c.Extent.Text.Contains("-Output Detailed") && c.Extent.Text.Contains("-PassThru"));
        Assert.Contains(commands, c => c.GetCommandName() == "Test-ModuleManifest");
        Assert.Contains(commands, c => c.GetCommandName() == "Import-PowerShellDataFile");
    }
}
