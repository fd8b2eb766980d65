using System.Management.Automation;
using System.Text;
using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

/// <summary>Run history on disk: LatencyRunStore, Export-LatencyRun and Import-LatencyRun.</summary>
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

    // ---------------- the cmdlets ----------------

    [Fact]
    public void Exported_runs_come_back_typed_oldest_first_and_compare()
    {
        using var engine = new PowerShellEngine();
        var runs = new[] { Night("container", "TCP_RR", 2, 24), Night("bare-metal", "TCP_RR", 1), Night("bare-metal", "UDP_RR", 1) };
        var r = engine.Run("""
            $runs | Export-LatencyRun -Path $dir
            $back = Import-LatencyRun -Path $dir
            $back
            $back | Compare-LatencyRun -ReferenceLabel bare-metal -Metric Mean
            """, ("runs", runs), ("dir", _dir));
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        var back = r.Output.Take(3).Select(o => Assert.IsType<LatencyRun>(o.BaseObject)).ToArray();
        Assert.Equal(new[] { "bare-metal", "bare-metal", "container" }, back.Select(b => b.Label));
        Assert.Equal(Json(runs[1]), Json(back.Single(b => b.RunId == runs[1].RunId)));
        var c = Assert.IsType<LatencyComparison>(Assert.Single(r.Output.Skip(3)).BaseObject);
        Assert.Equal("Slower", c.Verdict);
    }

    [Fact]
    public void Deserialized_runs_export_and_import_like_live_ones()
    {
        using var engine = new PowerShellEngine();
        var run = Night("remote", "TCP_RR", 5);
        var r = engine.Run("""
            $bag = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($run, 2))
            $bag | Export-LatencyRun -Path ([IO.Path]::Combine($dir, 'h.jsonl')) -PassThru | ForEach-Object { $_.GetType().FullName }
            Import-LatencyRun ([IO.Path]::Combine($dir, 'h.jsonl'))
            """, ("run", run), ("dir", _dir));
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Equal("OnloadTools.LatencyRun", r.Output[0].ToString());
        var back = Assert.IsType<LatencyRun>(r.Output[1].BaseObject);
        Assert.Equal(Json(run), Json(back));
    }

    [Fact]
    public void Import_filters_by_wildcard_label_and_keeps_the_last_N_of_each_test()
    {
        foreach (int night in Enumerable.Range(1, 6))
        {
            LatencyRunStore.Export(Night("nightly", "TCP_RR", night), _dir);
            LatencyRunStore.Export(Night("nightly", "UDP_RR", night), _dir);
        }
        LatencyRunStore.Export(Night("manual", "TCP_RR", 7), _dir);
        using var engine = new PowerShellEngine();
        var r = engine.Run("""
            (Import-LatencyRun $dir -Last 2 -Label nightly | ForEach-Object { '{0} {1}' -f $_.TestName, $_.StartTime.Day }) -join ','
            @(Import-LatencyRun ([IO.Path]::Combine($dir, '*_UDP_RR_*.json'))).Count
            @(Import-LatencyRun $dir -Label 'man*').Count
            @(Import-LatencyRun $dir -TestName tcp_rr -Last 1)[-1].Label
            """, ("dir", _dir));
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Equal(new[] { "TCP_RR 5,UDP_RR 5,TCP_RR 6,UDP_RR 6", "6", "1", "manual" }, r.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void A_corrupt_file_is_a_non_terminating_InvalidData_error_naming_it()
    {
        LatencyRunStore.Export(Night("a", "TCP_RR", 1), _dir);
        string bad = Path.Combine(_dir, "20261102T020000Z_a_TCP_RR_0badf00d.json");
        File.WriteAllText(bad, "not json at all");
        string lines = Path.Combine(_dir, "torn.jsonl");
        LatencyRunStore.Export(Night("b", "TCP_RR", 3), lines);
        File.AppendAllText(lines, "{\"schemaVersion\":1,\"kind\":\"OnloadTools.Lat");
        using var engine = new PowerShellEngine();
        var r = engine.Run("Import-LatencyRun $dir", ("dir", _dir));
        Assert.Null(r.Terminating);
        Assert.Equal(2, r.Output.Count);
        var e = Assert.Single(r.Errors);
        Assert.Equal(ErrorCategory.InvalidData, e.CategoryInfo.Category);
        Assert.Equal(bad, e.TargetObject);
        Assert.Equal("LatencyRunFileCorrupt,OnloadTools.Commands.ImportLatencyRunCommand", e.FullyQualifiedErrorId);
        Assert.Contains(bad, e.Exception.Message);
        var w = Assert.Single(r.Warnings);
        Assert.Contains("torn.jsonl, line 2", w.Message);
    }

    [Fact]
    public void Missing_paths_and_unsupported_targets_are_clear_errors()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("Import-LatencyRun ([IO.Path]::Combine($dir, 'nope'))", ("dir", _dir));
        Assert.Equal(ErrorCategory.ObjectNotFound, r.SingleError.CategoryInfo.Category);

        string file = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(file, "keep me");
        var x = engine.Run("$run | Export-LatencyRun -Path $file", ("run", Night("a", "TCP_RR", 1)), ("file", file));
        Assert.Equal(ErrorCategory.InvalidArgument, x.SingleError.CategoryInfo.Category);
        Assert.Equal("keep me", File.ReadAllText(file));

        var j = engine.Run("$run | Export-LatencyRun -Path ([IO.Path]::Combine($dir, 'one.json'))", ("run", Night("a", "TCP_RR", 1)), ("dir", _dir));
        Assert.Equal("HistoryPathNotSupported,OnloadTools.Commands.ExportLatencyRunCommand", j.SingleError.FullyQualifiedErrorId);

        var bad = engine.Run("42 | Export-LatencyRun -Path $dir", ("dir", _dir));
        Assert.Equal(ErrorCategory.InvalidArgument, bad.SingleError.CategoryInfo.Category);
    }

    [Fact]
    public void Label_and_TestName_complete_from_the_history_at_Path()
    {
        LatencyRunStore.Export(Night("bare-metal", "TCP_RR", 1), _dir);
        LatencyRunStore.Export(Night("bare-metal", "UDP_RR", 1), _dir);
        LatencyRunStore.Export(Night("container", "TCP_RR", 2), _dir);
        LatencyRunStore.Export(Night("nightly run", "TCP_RR", 3), _dir);
        using var engine = new PowerShellEngine();
        string Complete(string line) => string.Join(",", engine.Run(
            "(TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText",
            ("line", line)).Output.Select(o => o.ToString()));
        Assert.Equal("bare-metal,container,'nightly run'", Complete($"Import-LatencyRun -Path '{_dir}' -Label "));
        Assert.Equal("container", Complete($"Import-LatencyRun '{_dir}' -Label co"));
        Assert.Equal("TCP_RR,UDP_RR", Complete($"Import-LatencyRun -Path '{_dir}' -TestName "));
    }

    [Fact]
    public void WhatIf_writes_nothing_and_names_the_file()
    {
        using var engine = new PowerShellEngine();
        var run = Night("a", "TCP_RR", 1);
        var r = engine.Run("$run | Export-LatencyRun -Path $dir -WhatIf", ("run", run), ("dir", Path.Combine(_dir, "h")));
        Assert.Null(r.Terminating);
        Assert.False(Directory.Exists(Path.Combine(_dir, "h")));
    }

    [Fact]
    public void Import_reads_a_folder_written_by_Measure_NetperfLatency_HistoryPath_with_real_netperf()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("""
            $measured = Measure-NetperfLatency -TestName TCP_RR -Duration 1 -Iterations 3 -Label nightly -HistoryPath $dir
            $back = @(Import-LatencyRun $dir)
            $measured; $back
            """, ("dir", _dir));
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        var measured = Assert.IsType<LatencyRun>(r.Output[0].BaseObject);
        var back = Assert.IsType<LatencyRun>(Assert.Single(r.Output.Skip(1)).BaseObject);
        Assert.Equal(3, back.Samples.Length);
        Assert.Equal(measured.RunId, back.RunId);
        Assert.Equal("Completed", back.Status);
        Assert.Equal(measured.Samples.Select(s => s.MeanLatency), back.Samples.Select(s => s.MeanLatency));
        Assert.All(back.Samples, s => Assert.True(s.MeanLatency > 0));
        Assert.Single(Directory.GetFiles(_dir));   // saved after every iteration, always into the one file of the run
    }
}
