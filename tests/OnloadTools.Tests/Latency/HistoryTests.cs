using System.Text;
using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

/// <summary>
/// Run history on disk: LatencyRunStore's file format. Export-LatencyRun and Import-LatencyRun as cmdlets are tested in
/// tests/Pester/History.Tests.ps1.
/// </summary>
public sealed class HistoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("onloadtools-history-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static LatencyRun Night(string label, string test, int night, double mean = 20) =>
        SyntheticRuns.Make(label, test, mean, 0.02, 5, seed: night * 10 + test.Length, start: new DateTime(2026, 11, night, 2, 0, 0, DateTimeKind.Utc));

    private static string Json(LatencyRun r) => LatencyRunStore.Serialize(r);

    // ---------------- the store ----------------

    [Fact]
    public void A_folder_round_trip_keeps_every_field()
    {
        var run = Night("bare-metal", "TCP_RR", 1);
        run.Samples[2].Warnings = new[] { "netperf: confidence not achieved" };
        run.Samples[1].P99Latency = null;
        run.OnloadVersion = "8.1.2.26";
        string file = LatencyRunStore.Export(run, _dir);
        Assert.Equal(_dir, Path.GetDirectoryName(file));
        var back = Assert.Single(LatencyRunStore.Load(_dir).Runs).Run;
        Assert.Equal(Json(run), Json(back));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Appending_to_a_jsonl_file_never_rewrites_what_is_there()
    {
        string path = Path.Combine(_dir, "sub", "history.jsonl");
        LatencyRunStore.Export(Night("a", "TCP_RR", 1), path);
        byte[] before = File.ReadAllBytes(path);
        LatencyRunStore.Export(Night("a", "TCP_RR", 2), path);
        byte[] after = File.ReadAllBytes(path);
        Assert.Equal(before, after[..before.Length]);
        string[] lines = File.ReadAllText(path).Split('\n');
        Assert.Equal(3, lines.Length);   // two lines and the empty tail after the last newline
        Assert.Equal("", lines[2]);
        Assert.Equal(2, LatencyRunStore.Load(path).Runs.Count);
    }

    [Fact]
    public void A_torn_last_line_from_a_crash_is_skipped_and_later_appends_still_load()
    {
        string path = Path.Combine(_dir, "history.jsonl");
        LatencyRunStore.Export(Night("a", "TCP_RR", 1), path);
        LatencyRunStore.Export(Night("a", "TCP_RR", 2), path);
        string third = LatencyRunStore.Serialize(Night("a", "TCP_RR", 3), indented: false);
        File.AppendAllText(path, third[..(third.Length / 2)]);   // the crash: half a line, no newline

        var loaded = LatencyRunStore.Load(path);
        Assert.Equal(2, loaded.Runs.Count);
        var torn = Assert.Single(loaded.Problems);
        Assert.True(torn.TornTail);
        Assert.Equal(3, torn.Line);

        LatencyRunStore.Export(Night("a", "TCP_RR", 4), path);   // the next night appends after closing the torn line
        loaded = LatencyRunStore.Load(path);
        Assert.Equal(new[] { 1, 2, 4 }, loaded.Runs.Select(r => r.Run.StartTime.Day));
        Assert.True(Assert.Single(loaded.Problems).TornTail);
    }

    [Fact]
    public void A_corrupt_file_is_reported_and_the_others_still_load()
    {
        LatencyRunStore.Export(Night("a", "TCP_RR", 1), _dir);
        LatencyRunStore.Export(Night("a", "TCP_RR", 2), _dir);
        File.WriteAllText(Path.Combine(_dir, "20261103T020000Z_a_TCP_RR_deadbeef.json"), "{ \"schemaVersion\": 1, \"run\": { \"samples\": [ 1, ");
        File.WriteAllText(Path.Combine(_dir, "future.json"), "{ \"schemaVersion\": 99, \"kind\": \"OnloadTools.LatencyRun\", \"run\": { \"testName\": \"TCP_RR\" } }");
        File.WriteAllText(Path.Combine(_dir, "leftover.json.1234abcd.tmp"), "{");
        var loaded = LatencyRunStore.Load(_dir);
        Assert.Equal(2, loaded.Runs.Count);
        Assert.Equal(2, loaded.Problems.Count);
        Assert.All(loaded.Problems, p => Assert.False(p.TornTail));
        Assert.Contains(loaded.Problems, p => p.Path.EndsWith("deadbeef.json"));
        Assert.Contains(loaded.Problems, p => p.Path.EndsWith("future.json") && p.Message.Contains("schema version 99"));
    }
}
