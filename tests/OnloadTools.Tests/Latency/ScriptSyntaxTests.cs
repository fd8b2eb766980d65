using System.Management.Automation.Language;

namespace OnloadTools.Tests.Latency;

/// <summary>The PowerShell files of this area that cannot run here (Pester needs pwsh) at least parse.</summary>
public class ScriptSyntaxTests
{
    [Theory]
    [InlineData("tests/Pester/Compare.Tests.ps1")]
    [InlineData("tests/Pester/History.Tests.ps1")]
    [InlineData("docs/examples/Invoke-NightlyLatencyCheck.ps1")]
    public void Script_parses_without_errors(string relative)
    {
        string path = Path.Combine(TestPaths.RepoRoot, relative);
        Parser.ParseFile(path, out _, out ParseError[] errors);
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{e.Extent.StartLineNumber}: {e.Message}")));
    }
}
