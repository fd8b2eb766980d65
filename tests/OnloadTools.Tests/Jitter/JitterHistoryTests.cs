using OnloadTools.Latency;
using OnloadTools.Tests.Latency;

namespace OnloadTools.Tests.Jitter;

/// <summary>
/// Jitter runs in the run history (LatencyRunStore): written as the latency runs are (atomic files in a folder, appended
/// lines of a .jsonl with the torn-line marker), under their own kind, read back apart from the latency runs beside them.
/// Import-HostJitterRun and Import-LatencyRun as cmdlets are tested in tests/Pester/JitterHistory.Tests.ps1.
/// </summary>
public sealed class JitterHistoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("onloadtools-jitter-history-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static LatencyRun Latency(int night) =>
        SyntheticRuns.Make("nightly", "TCP_RR", 20, 0.02, 5, seed: night, start: new DateTime(2026, 11, night, 1, 0, 0, DateTimeKind.Utc));

    [Fact]
    public void A_folder_keeps_jitter_and_latency_runs_apart_and_every_field_of_each()
    {
        var jitter = JitterRuns.FromFixture();
        var latency = Latency(1);
        string jitterFile = LatencyRunStore.Export(jitter, _dir);
        LatencyRunStore.Export(latency, _dir);
        Assert.Equal(_dir, Path.GetDirectoryName(jitterFile));
        Assert.Matches(@"^20261101T020000Z_jitter_lab1_oslat_run1[0-9a-f]{6}\.json$", Path.GetFileName(jitterFile));
        Assert.Contains("\"kind\": \"OnloadTools.HostJitterRun\"", File.ReadAllText(jitterFile));
        Assert.Contains("\"schemaVersion\": 1", File.ReadAllText(jitterFile));

        var loaded = LatencyRunStore.Load(_dir);
        Assert.Empty(loaded.Problems);
        Assert.Equal(LatencyRunStore.Serialize(latency), LatencyRunStore.Serialize(Assert.Single(loaded.Runs).Run));
        var back = Assert.Single(loaded.JitterRuns).Run;
        Assert.Equal(jitter.ToJson(), back.ToJson());
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void A_jsonl_history_appends_both_kinds_and_a_torn_line_between_them_is_only_a_warning()
    {
        string file = Path.Combine(_dir, "history.jsonl");
        LatencyRunStore.Export(Latency(1), file);
        LatencyRunStore.Export(JitterRuns.FromFixture(night: 1), file);
        string before = File.ReadAllText(file);
        // A crash cut the next append short: the next append closes the torn line off and marks it.
        File.AppendAllText(file, "{\"schemaVersion\":1,\"kind\":\"OnloadTools.HostJitterRun\",\"run\":{\"runId\":\"torn");
        LatencyRunStore.Export(JitterRuns.FromFixture(night: 2), file);
        Assert.StartsWith(before, File.ReadAllText(file));

        var loaded = LatencyRunStore.Load(file);
        Assert.Single(loaded.Runs);
        Assert.Equal(2, loaded.JitterRuns.Count);
        Assert.Equal(new int?[] { 2, 5 }, loaded.JitterRuns.Select(j => j.Line));
        var problem = Assert.Single(loaded.Problems);
        Assert.Equal(LatencyRunStore.ProblemKind.TornTail, problem.Kind);
        Assert.Equal(3, problem.Line);
    }

    [Fact]
    public void A_jitter_document_is_never_read_as_a_latency_run_and_an_unknown_kind_is_corrupt()
    {
        string json = LatencyRunStore.Serialize(JitterRuns.FromFixture());
        var e = Assert.Throws<InvalidDataException>(() => LatencyRunStore.Deserialize(json));
        Assert.Contains("Import-HostJitterRun", e.Message);

        File.WriteAllText(Path.Combine(_dir, "other.json"), "{\"schemaVersion\":1,\"kind\":\"Someone.Else\",\"run\":{}}");
        File.WriteAllText(Path.Combine(_dir, "newer.json"), "{\"schemaVersion\":9,\"kind\":\"OnloadTools.HostJitterRun\",\"run\":{\"runId\":\"x\",\"results\":[]}}");
        var loaded = LatencyRunStore.Load(_dir);
        Assert.Empty(loaded.Runs);
        Assert.Empty(loaded.JitterRuns);
        Assert.Equal(2, loaded.Problems.Count);
        Assert.All(loaded.Problems, p => Assert.Equal(LatencyRunStore.ProblemKind.Corrupt, p.Kind));
        Assert.Contains(loaded.Problems, p => p.Message.Contains("'Someone.Else'"));
        Assert.Contains(loaded.Problems, p => p.Message.Contains("schema version 9"));
    }

    [Fact]
    public void A_jitter_run_holding_an_impossible_value_is_never_written_and_is_refused_in_a_file()
    {
        var bad = JitterRuns.FromFixture().With(1, -5);
        Assert.Throws<IOException>(() => LatencyRunStore.Export(bad, _dir));
        Assert.Empty(Directory.GetFiles(_dir));

        string json = LatencyRunStore.Serialize(JitterRuns.FromFixture()).Replace("\"maximumMicroseconds\": 132094", "\"maximumMicroseconds\": -3");
        Assert.Contains("-3", json);
        File.WriteAllText(Path.Combine(_dir, "bad.json"), json);
        var problem = Assert.Single(LatencyRunStore.Load(_dir).Problems);
        Assert.Equal(LatencyRunStore.ProblemKind.Corrupt, problem.Kind);
        Assert.Contains("MaximumMicroseconds is -3", problem.Message);
    }

    [Fact]
    public void A_host_or_tool_name_with_path_parts_never_writes_outside_the_folder()
    {
        var run = JitterRuns.FromFixture(host: "../../outside/x");
        run.RunId = "a/../b";
        string file = LatencyRunStore.Export(run, _dir);
        Assert.Equal(_dir, Path.GetDirectoryName(file));
        Assert.Single(LatencyRunStore.Load(_dir).JitterRuns);
    }

    [Theory]
    [InlineData("{\"schemaVersion\":1,\"kind\":\"OnloadTools.LatencyRun\",\"run\":null}", "OnloadTools.LatencyRun")]
    [InlineData("{\"schemaVersion\":1,\"run\":{\"kind\":\"nested\"}}", "OnloadTools.LatencyRun")]
    [InlineData("{\"run\":{},\"kind\":\"OnloadTools.HostJitterRun\"}", "OnloadTools.HostJitterRun")]
    [InlineData("[1,2]", null)]
    [InlineData("{\"kind\":", null)]
    public void The_kind_of_a_document_is_its_top_level_kind_and_a_document_without_one_is_a_latency_run(string json, string? kind)
    {
        Assert.Equal(kind, LatencyRunStore.KindOf(json));
    }
}
