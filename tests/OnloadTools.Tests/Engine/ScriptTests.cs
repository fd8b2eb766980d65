using System.Management.Automation.Language;

namespace OnloadTools.Tests.Engine;

/// <summary>
/// build.ps1 and the Pester files must parse with the PowerShell 7.6 parser (build.ps1 itself runs in the test
/// command and in tests/Pester/Package.Tests.ps1).
/// </summary>
public class ScriptTests
{
    public static TheoryData<string> Scripts()
    {
        var data = new TheoryData<string>();
        data.Add("build.ps1");
        string pester = Path.Combine(TestPaths.RepoRoot, "tests", "Pester");
        foreach (string f in Directory.EnumerateFiles(pester, "*.ps1").Order())
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
