using System.Management.Automation;
using System.Text.RegularExpressions;

namespace OnloadTools.Tests.Engine;

/// <summary>The assembled module folder as a user gets it, imported into a real PowerShell 7.6 engine.</summary>
public class ModuleTests
{
    [Fact]
    public void Module_folder_holds_exactly_what_a_user_needs()
    {
        var files = Directory.EnumerateFiles(TestPaths.ModuleDirectory, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(TestPaths.ModuleDirectory, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[]
        {
            "CliWrap.dll", "HdrHistogram.dll",
            "OnloadTools.Containers.Format.ps1xml", "OnloadTools.Latency.Format.ps1xml", "OnloadTools.Solarflare.Format.ps1xml",
            "OnloadTools.Tuning.Format.ps1xml", "OnloadTools.Types.ps1xml", "OnloadTools.dll", "OnloadTools.psd1",
            "en-US/OnloadTools.dll-Help.xml", "en-US/about_OnloadTools.help.txt",
        }, files, StringComparer.Ordinal);
        Assert.DoesNotContain(files, f => f.Contains("System.Management.Automation", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(files, f => f.EndsWith(".pdb") || f.EndsWith(".deps.json"));
    }

    [Fact]
    public void Manifest_version_matches_the_build_version()
    {
        string psd1 = File.ReadAllText(TestPaths.ModuleManifest);
        string version = Regex.Match(psd1, @"ModuleVersion\s*=\s*'([^']+)'").Groups[1].Value;
        Assert.Equal(new DirectoryInfo(TestPaths.ModuleDirectory).Name, version);
        var asm = typeof(OnloadTools.LatencyRun).Assembly.GetName().Version!;
        Assert.Equal(version, $"{asm.Major}.{asm.Minor}.{asm.Build}");
    }

    [Fact]
    public void Import_exports_the_listed_cmdlets_that_exist_and_nothing_else()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("(Get-Module OnloadTools).ExportedCmdlets.Keys");
        var exported = r.Output.Select(o => o.BaseObject.ToString()!).ToHashSet();
        Assert.Contains("Measure-NetperfLatency", exported);

        string psd1 = File.ReadAllText(TestPaths.ModuleManifest);
        var listed = Regex.Matches(psd1, @"'([A-Z][a-z]+-[A-Za-z]+)'").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Subset(listed, exported);
        var implemented = typeof(OnloadTools.LatencyRun).Assembly.GetTypes()
            .Select(t => t.GetCustomAttributes(typeof(CmdletAttribute), false).Cast<CmdletAttribute>().FirstOrDefault())
            .Where(a => a is not null).Select(a => $"{a!.VerbName}-{a.NounName}").ToHashSet();
        // Every implemented cmdlet is exported (explicitly listed), and every listed one is implemented.
        Assert.Equal(implemented.Order(), exported.Order());
        Assert.Equal(implemented.Order(), listed.Order());
    }

    [Fact]
    public void Every_cmdlet_declares_its_output_type_and_uses_an_approved_verb()
    {
        // The approved verbs are the constants of the engine's Verbs* classes (Get-Verb is not in a bare engine).
        var verbs = new[] { typeof(VerbsCommon), typeof(VerbsCommunications), typeof(VerbsData), typeof(VerbsDiagnostic),
                typeof(VerbsLifecycle), typeof(VerbsOther), typeof(VerbsSecurity) }
            .SelectMany(t => t.GetFields()).Select(f => (string)f.GetValue(null)!).ToHashSet();
        Assert.Contains("Measure", verbs);
        foreach (var type in typeof(OnloadTools.LatencyRun).Assembly.GetTypes())
        {
            if (type.GetCustomAttributes(typeof(CmdletAttribute), false).FirstOrDefault() is not CmdletAttribute cmdlet) continue;
            Assert.Contains(cmdlet.VerbName, verbs);
            Assert.True(type.GetCustomAttributes(typeof(OutputTypeAttribute), false).Length > 0, $"{type.Name} has no [OutputType]");
            Assert.False(cmdlet.NounName.EndsWith("s") && !cmdlet.NounName.EndsWith("ss"), $"{cmdlet.NounName} is not singular");
        }
    }

    [Fact]
    public void Import_in_a_fresh_runspace_has_no_errors()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("Get-Command -Module OnloadTools | ForEach-Object Name");
        Assert.Empty(r.Errors);
        Assert.Null(r.Terminating);
        Assert.Contains("Measure-NetperfLatency", r.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void A_run_keeps_its_samples_through_remoting_serialization()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run(@"
            $run = [OnloadTools.LatencyRun]::new()
            $run.TestName = 'TCP_RR'
            $run.Samples = @(
                [OnloadTools.LatencySample]@{ TestName = 'TCP_RR'; Iteration = 1; MeanLatency = 10.5; P99Latency = 20 },
                [OnloadTools.LatencySample]@{ TestName = 'TCP_RR'; Iteration = 2; MeanLatency = 11.5; P99Latency = 22 })
            # Default depth, as Invoke-Command uses: the type's SerializationDepth must keep the samples as objects.
            $copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($run))
            $copy.PSObject.TypeNames[0]
            $copy.Samples[1].PSObject.TypeNames[0]
            $copy.Samples[1].MeanLatency
            $copy.MeanLatency");
        Assert.Empty(r.Errors);
        Assert.Equal(new object[] { "Deserialized.OnloadTools.LatencyRun", "Deserialized.OnloadTools.LatencySample", 11.5, 11.0 },
            r.Output.Select(o => o.BaseObject).ToArray());
    }
}
