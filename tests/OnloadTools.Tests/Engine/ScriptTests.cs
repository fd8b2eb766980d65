using System.Management.Automation.Language;

namespace OnloadTools.Tests.Engine;

/// <summary>
/// The repository's scripts as text (the home of these checks, with ScriptCallTests): build.ps1, the example scripts
/// and the Pester files must parse with the PowerShell 7.6 parser. What the scripts do when they run is tested by
/// running them (build.ps1 is the test command itself, and tests/Pester/Package.Tests.ps1 runs it in a fresh pwsh).
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
}
