using OnloadTools.Processes;
using OnloadTools.Solarflare;

namespace OnloadTools.Tests.Solarflare;

/// <summary>
/// The doubles in tests/fixtures/bin must speak like the real tools: their output is compared with the recorded
/// samples (layout, labels, transcripts), not only parsed.
/// </summary>
public sealed class DoubleFidelityTests : IDisposable
{
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("onloadtools-fidelity-");

    public void Dispose() => _state.Delete(recursive: true);

    private ToolResult Run(string tool, IReadOnlyDictionary<string, string?> env, params string[] args)
    {
        // Every knob of the doubles is given explicitly (null = unset), so tests that change the process
        // environment in parallel cannot leak into these runs.
        var vars = new Dictionary<string, string?>
        {
            ["ONLOADTOOLS_DOUBLE_SFUTILS_VERSION"] = null,
            ["ONLOADTOOLS_DOUBLE_SFC_INTERFACES"] = null,
            ["ONLOADTOOLS_DOUBLE_SFUPDATE_SECONDS"] = null,
            ["ONLOADTOOLS_HOST_ROOT"] = null,
        };
        foreach (var (k, v) in env) vars[k] = v;
        vars["ONLOADTOOLS_DOUBLE_STATE"] = _state.FullName;
        var command = new ToolCommand(Path.Combine(TestPaths.Doubles, tool), args) { Environment = vars };
        return ToolRunner.Default.RunAsync(command, TimeSpan.FromSeconds(30)).Result;
    }

    private static string Fixture(string name) => TestPaths.ReadFixture("solarflare", name);

    /// <summary>(indent, label, value column) of each setting line of the first port block.</summary>
    private static List<(int Indent, string Label, int ValueColumn)> Layout(string text)
    {
        var rows = new List<(int, string, int)>();
        bool inBlock = false;
        foreach (string line in text.Split('\n'))
        {
            if (line.EndsWith(':') && !line.StartsWith(' ')) { if (inBlock) break; inBlock = true; continue; }
            if (!inBlock || line.Trim().Length == 0 || !line.StartsWith(' ')) continue;
            int indent = line.Length - line.TrimStart().Length;
            int gap = line.IndexOf("  ", indent, StringComparison.Ordinal);
            if (gap < 0) continue;
            int value = gap + line[gap..].TakeWhile(c => c == ' ').Count();
            rows.Add((indent, line[indent..gap], value));
        }
        return rows;
    }

    [Fact]
    public void Sfboot_v8_listing_has_the_recorded_labels_indentation_and_value_column()
    {
        var recorded = Layout(Fixture("sfboot_v8.2.4_two_adapters.txt"));
        var produced = Layout(Run("sfboot", new Dictionary<string, string?>()).StandardOutput);
        Assert.Equal(recorded, produced);
    }

    [Fact]
    public void Sfboot_v4_listing_has_the_recorded_v4_labels()
    {
        static string[] Labels(string text) => SfbootParser.Parse(text).Ports[0].Settings.Keys.Order().ToArray();
        var produced = Run("sfboot", new Dictionary<string, string?> { ["ONLOADTOOLS_DOUBLE_SFUTILS_VERSION"] = "4.5.0" }).StandardOutput;
        Assert.Equal(Labels(Fixture("sfboot_v4.5.0_sriov.txt")), Labels(produced));
        string recordedText = SfbootParser.NormalizeHyphens(Fixture("sfboot_v4.5.0_sriov.txt"));
        foreach (string label in new[] { "Physical Functions per port", "MSI-X interrupt limit", "Number of Virtual Functions" })
        {
            Assert.Contains(label, recordedText);
            Assert.Contains(label, produced);
        }
        Assert.StartsWith("Solarflare boot configuration utility [v4.5.0]\nCopyright Solarflare Communications 2006", produced);
    }

    [Fact]
    public void Sfboot_version_is_the_recorded_text()
    {
        Assert.Equal(Fixture("sfboot_version_v8.2.4.txt"), Run("sfboot", new Dictionary<string, string?>(), "--version").StandardOutput);
    }

    [Fact]
    public void Sfupdate_v4_write_transcript_equals_the_recorded_one()
    {
        var env = new Dictionary<string, string?> { ["ONLOADTOOLS_DOUBLE_SFUTILS_VERSION"] = "4.6.6", ["ONLOADTOOLS_DOUBLE_SFC_INTERFACES"] = "eno49 eno50" };
        var r = Run("sfupdate", env, "-y", "--write");
        Assert.Equal(0, r.ExitCode);
        string recorded = Fixture("sfupdate_write_v4.6.6.txt");
        Assert.Equal(SfupdateParser.Parse(recorded).Writes, SfupdateParser.Parse(r.StandardOutput).Writes);
        // Line by line, apart from the progress padding of the terminal.
        static string[] Lines(string t) => t.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToArray();
        var rec = Lines(recorded);
        var got = Lines(r.StandardOutput);
        Assert.Equal(rec.Where(l => !l.StartsWith("[100%]")), got.Where(l => !l.StartsWith("[100%]")));
    }

    [Fact]
    public void Sfupdate_v8_write_transcript_matches_the_recorded_one()
    {
        var env = new Dictionary<string, string?> { ["ONLOADTOOLS_DOUBLE_SFC_INTERFACES"] = "ens2f0np0 ens2f1np1" };
        var r = Run("sfupdate", env, "--write", "--yes");
        string recorded = Fixture("sfupdate_write_v8.2.4_interrupted.txt");
        Assert.Equal(SfupdateParser.Parse(recorded).Writes, SfupdateParser.Parse(r.StandardOutput).Writes);
        // The recorded run was interrupted at "Validating": everything before it is identical.
        string[] rec = recorded.Split('\n');
        Assert.Equal(rec.Take(7), r.StandardOutput.Split('\n').Take(7));
    }

    [Fact]
    public void Sfupdate_without_adapters_says_what_the_real_one_says()
    {
        var r = Run("sfupdate", new Dictionary<string, string?> { ["ONLOADTOOLS_DOUBLE_SFC_INTERFACES"] = "" });
        Assert.Equal(1, r.ExitCode);
        Assert.True(SfupdateParser.Parse(r.StandardOutput).NoAdapters);
    }

    [Fact]
    public void Ethtool_i_of_an_sfc_port_has_the_recorded_keys_in_order()
    {
        static string[] Keys(string t) => t.Split('\n').Where(l => l.Contains(':')).Select(l => l[..l.IndexOf(':')]).ToArray();
        var r = Run("ethtool", new Dictionary<string, string?> { ["ONLOADTOOLS_HOST_ROOT"] = TestPaths.Fixture("hosts", "sfc-dual-port") }, "-i", "p1p3");
        Assert.Equal(Keys(Fixture("ethtool_i_sfc_v5.3.3.txt")), Keys(r.StandardOutput));
        Assert.Contains("bus-info: 0000:3b:00.2", r.StandardOutput);
        var unknown = Run("ethtool", new Dictionary<string, string?>(), "-i", "no-such-nic0");
        Assert.Equal(71, unknown.ExitCode);
        Assert.Contains("No such device", unknown.StandardError);
    }

    [Fact]
    public void Sfboot_state_persists_between_calls_and_rejections_write_nothing()
    {
        var env = new Dictionary<string, string?>();
        var rejected = Run("sfboot", env, "--adapter=p1p1", "pf-count=2", "switch-mode=partitioning", "firmware-variant=ultra-low-latency");
        Assert.Equal(1, rejected.ExitCode);
        Assert.Contains("requires firmware-variant=full-feature", rejected.StandardError);
        Assert.Equal(1, SfbootParser.ToAdapter(SfbootParser.Parse(Run("sfboot", env, "-i", "p1p1").StandardOutput).Ports[0], null).PfCount);

        Assert.Equal(0, Run("sfboot", env, "--adapter=p1p1", "pf-count=2", "switch-mode=partitioning", "firmware-variant=full-feature").ExitCode);
        var after = SfbootParser.Parse(Run("sfboot", env).StandardOutput);
        Assert.Equal(new int?[] { 2, 1 }, after.Ports.Select(p => SfbootParser.ToAdapter(p, null).PfCount));
    }
}
