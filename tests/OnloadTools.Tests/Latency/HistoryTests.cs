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


    // ---------------- histories come from outside (issue 10) ----------------

    private static LatencyRunStore.ProblemKind[] Kinds(LatencyRunStore.LoadResult r) => r.Problems.Select(p => p.Kind).ToArray();

    /// <summary>Runs Load on another thread: a read that blocks (a FIFO) fails the test instead of hanging it.</summary>
    private static LatencyRunStore.LoadResult LoadWithin(string path, int seconds = 10)
    {
        var task = Task.Run(() => LatencyRunStore.Load(path));
        Assert.True(task.Wait(TimeSpan.FromSeconds(seconds)), $"Load('{path}') did not return within {seconds} s");
        return task.Result;
    }

    [Fact]
    public void A_TestName_or_RunId_with_path_parts_never_writes_outside_the_folder()
    {
        string history = Path.Combine(_dir, "history");
        var run = Night("a", "TCP_RR", 1);
        run.TestName = "a/../../outside/";
        string written = LatencyRunStore.Export(run, history);
        var evil = Night("b/../..", "TCP_RR", 2);
        evil.RunId = "../../../../tmp/x";
        string written2 = LatencyRunStore.Export(evil, history);

        Assert.Equal(history, Path.GetDirectoryName(written));
        Assert.Equal(history, Path.GetDirectoryName(written2));
        Assert.False(Directory.Exists(Path.Combine(_dir, "outside")));
        Assert.Equal(new[] { history }, Directory.GetFileSystemEntries(_dir));
        Assert.All(Directory.GetFiles(history), f => Assert.Matches(@"^[0-9TZ]+_[A-Za-z0-9_-]+\.json$", Path.GetFileName(f)));
        Assert.Equal(2, LatencyRunStore.Load(history).Runs.Count);
    }

    [Fact]
    public void A_FIFO_in_a_history_or_named_directly_is_refused_at_once()
    {
        LatencyRunStore.Export(Night("a", "TCP_RR", 1), _dir);
        string fifo = Path.Combine(_dir, "zz-pipe.jsonl");
        Assert.Equal(0, TestProcess.Run("mkfifo", fifo).ExitCode);

        var loaded = LoadWithin(_dir);
        Assert.Single(loaded.Runs);
        var problem = Assert.Single(loaded.Problems);
        Assert.Equal(LatencyRunStore.ProblemKind.NotRegular, problem.Kind);
        Assert.Equal(fifo, problem.Path);
        Assert.Contains("FIFO", problem.Message);

        Assert.Equal(new[] { LatencyRunStore.ProblemKind.NotRegular }, Kinds(LoadWithin(fifo)));
    }

    [Fact]
    public void A_symbolic_link_in_a_history_folder_is_not_followed_and_its_target_never_shows()
    {
        string secretDir = Directory.CreateTempSubdirectory("onloadtools-secret-").FullName;
        try
        {
            string secret = Path.Combine(secretDir, "shadow");
            File.WriteAllText(secret, "Qroot:$6$secret-hash:19000::::::\n");
            LatencyRunStore.Export(Night("a", "TCP_RR", 1), _dir);
            File.CreateSymbolicLink(Path.Combine(_dir, "20261102T020000Z_a_TCP_RR_11111111.json"), secret);
            File.CreateSymbolicLink(Path.Combine(_dir, "linked.jsonl"), secret);

            var loaded = LoadWithin(_dir);
            Assert.Single(loaded.Runs);
            Assert.Equal(new[] { LatencyRunStore.ProblemKind.NotRegular, LatencyRunStore.ProblemKind.NotRegular }, Kinds(loaded));
            Assert.All(loaded.Problems, p => Assert.Contains("symbolic link", p.Message));
            Assert.All(loaded.Problems, p => Assert.DoesNotContain("Q", p.Message.Replace(_dir, "")));

            // A file named directly is the admin's choice and is read, but a bad one never has its content quoted.
            var direct = LatencyRunStore.Load(secret);
            var corrupt = Assert.Single(direct.Problems);
            Assert.Equal(LatencyRunStore.ProblemKind.Corrupt, corrupt.Kind);
            Assert.DoesNotContain("'Q'", corrupt.Message);
            Assert.Contains("line 1", corrupt.Message);
        }
        finally
        {
            Directory.Delete(secretDir, recursive: true);
        }
    }

    [Fact]
    public void An_oversized_file_is_refused_and_the_others_still_load()
    {
        LatencyRunStore.Export(Night("a", "TCP_RR", 1), _dir);
        LatencyRunStore.Export(Night("a", "TCP_RR", 2), Path.Combine(_dir, "b.jsonl"));
        foreach (string name in new[] { "20261103T020000Z_a_TCP_RR_22222222.json", "huge.jsonl" })
        {
            using var sparse = new FileStream(Path.Combine(_dir, name), FileMode.CreateNew);
            sparse.SetLength(2L * 1024 * 1024 * 1024);   // 2 GB of holes: no disk used
        }

        var loaded = LoadWithin(_dir, 30);
        Assert.Equal(new[] { 1, 2 }, loaded.Runs.Select(r => r.Run.StartTime.Day).Order());
        Assert.Equal(new[] { LatencyRunStore.ProblemKind.TooLarge, LatencyRunStore.ProblemKind.TooLarge }, Kinds(loaded));
        Assert.All(loaded.Problems, p => Assert.Contains("2048 MiB", p.Message));
    }

    [Fact]
    public void Only_the_last_line_can_be_torn_a_bad_middle_line_is_corruption()
    {
        string path = Path.Combine(_dir, "history.jsonl");
        string Line(int night) => LatencyRunStore.Serialize(Night("a", "TCP_RR", night), indented: false);
        string half = Line(3)[..(Line(3).Length / 2)];
        // A damaged line in the middle (cut short, yet followed by other lines without a torn-write marker).
        File.WriteAllText(path, Line(1) + "\n" + half + "\n" + Line(2) + "\n");
        var loaded = LatencyRunStore.Load(path);
        Assert.Equal(2, loaded.Runs.Count);
        var problem = Assert.Single(loaded.Problems);
        Assert.Equal(2, problem.Line);
        Assert.Equal(LatencyRunStore.ProblemKind.Corrupt, problem.Kind);
        Assert.False(problem.TornTail);

        // The same half line at the end, without its newline: a write cut short.
        File.WriteAllText(path, Line(1) + "\n" + Line(2) + "\n" + half);
        Assert.Equal(new[] { LatencyRunStore.ProblemKind.TornTail }, Kinds(LatencyRunStore.Load(path)));

        // A last line that lost only its newline is still a whole run.
        File.WriteAllText(path, Line(1) + "\n" + Line(2));
        loaded = LatencyRunStore.Load(path);
        Assert.Equal(2, loaded.Runs.Count);
        Assert.Empty(loaded.Problems);
    }

    [Fact]
    public void Reading_while_another_writer_appends_reads_complete_lines_and_calls_nothing_corrupt()
    {
        string path = Path.Combine(_dir, "history.jsonl");
        LatencyRunStore.Export(Night("a", "TCP_RR", 1), path);
        LatencyRunStore.Export(Night("a", "TCP_RR", 2), path);

        // A writer in the middle of its append: it holds the lock and half of its line is on disk.
        using (var writer = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            writer.Seek(0, SeekOrigin.End);
            string third = LatencyRunStore.Serialize(Night("a", "TCP_RR", 3), indented: false);
            writer.Write(Encoding.UTF8.GetBytes(third[..(third.Length / 2)]));
            writer.Flush();

            var loaded = LoadWithin(path);
            Assert.Equal(new[] { 1, 2 }, loaded.Runs.Select(r => r.Run.StartTime.Day));
            var busy = Assert.Single(loaded.Problems);
            Assert.Equal(LatencyRunStore.ProblemKind.Busy, busy.Kind);
            Assert.Equal(3, busy.Line);
        }

        // A real appender racing the reader: every read sees whole runs only, never a corrupt or torn line. The
        // appender goes on until the reader has read enough times, so a fast disk cannot finish before the race.
        string raced = Path.Combine(_dir, "raced.jsonl");
        using var stop = new CancellationTokenSource();
        var appender = Task.Run(() =>
        {
            int n = 0;
            while (!stop.IsCancellationRequested && n < 20000) LatencyRunStore.Export(Night("r", "UDP_RR", 1 + n++ % 28), raced);
            return n;
        });
        int lastCount = 0, reads = 0, readsWhileGrowing = 0;
        while (!appender.IsCompleted && reads < 8)
        {
            if (!File.Exists(raced)) { Thread.Sleep(1); continue; }
            var loaded = LatencyRunStore.Load(raced);
            reads++;
            Assert.All(loaded.Problems, p => Assert.Equal(LatencyRunStore.ProblemKind.Busy, p.Kind));
            Assert.True(loaded.Runs.Count >= lastCount);
            if (loaded.Runs.Count > lastCount && lastCount > 0) readsWhileGrowing++;
            lastCount = loaded.Runs.Count;
            // The next read waits for the next append (the appender retries its lock every 50 ms and can lose to us).
            long seen = new FileInfo(raced).Length;
            var until = DateTime.UtcNow.AddSeconds(10);
            while (new FileInfo(raced).Length == seen && !appender.IsCompleted && DateTime.UtcNow < until) Thread.Sleep(2);
        }
        stop.Cancel();
        Assert.Equal(appender.Result, LatencyRunStore.Load(raced).Runs.Count);
        Assert.True(readsWhileGrowing > 0, $"{reads} reads, none saw the file grow between two of them");
    }

    [Fact]
    public void A_full_disk_leaves_no_temporary_file_and_the_history_as_it_was()
    {
        string mount = Directory.CreateTempSubdirectory("onloadtools-full-").FullName;
        var mounted = TestProcess.Run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount);
        Assert.True(mounted.ExitCode == 0, "this test mounts a 64 KiB tmpfs and needs root: " + mounted.Output);
        try
        {
            string folder = Path.Combine(mount, "history");
            string lines = Path.Combine(mount, "history.jsonl");
            string first = LatencyRunStore.Export(Night("a", "TCP_RR", 1), folder);
            LatencyRunStore.Export(Night("a", "TCP_RR", 1), lines);
            byte[] firstBytes = File.ReadAllBytes(first), linesBytes = File.ReadAllBytes(lines);

            // Fill the file system.
            using (var filler = new FileStream(Path.Combine(mount, "filler"), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                var page = new byte[1024];
                try { while (true) { filler.Write(page); filler.Flush(); } }
                catch (IOException) { }
            }

            for (int night = 2; night <= 4; night++)
            {
                Assert.ThrowsAny<IOException>(() => LatencyRunStore.Export(Night("a", "TCP_RR", night), folder));
                Assert.ThrowsAny<IOException>(() => LatencyRunStore.Export(Night("a", "TCP_RR", night), lines));
            }
            var updated = Night("a", "TCP_RR", 1);   // the same run saved again (after its next iteration)
            Assert.ThrowsAny<IOException>(() => LatencyRunStore.Export(updated, folder));

            Assert.Empty(Directory.GetFiles(mount, "*.tmp", SearchOption.AllDirectories));
            Assert.Equal(firstBytes, File.ReadAllBytes(first));
            Assert.Equal(linesBytes, File.ReadAllBytes(lines));
            Assert.Empty(LatencyRunStore.Load(lines).Problems);
        }
        finally
        {
            TestProcess.Run("umount", "-l", mount);
            Directory.Delete(mount, recursive: true);
        }
    }

    [Fact]
    public void The_report_baseline_leaves_out_runs_that_never_finished()
    {
        var runs = Enumerable.Range(1, 4).Select(n => Night("nightly", "TCP_RR", n)).ToList();
        var killed = Night("nightly", "TCP_RR", 5, mean: 500);   // a measurement killed mid-way, far off
        killed.Status = LatencyRunStatus.InProgress;
        runs.Add(killed);
        runs.Add(Night("nightly", "TCP_RR", 6));
        var model = OnloadTools.Reporting.LatencyReportBuilder.Build(runs, new OnloadTools.Reporting.ReportOptions());
        var section = Assert.Single(model.Sections);
        var baseline = section.Labels.Single(l => l.Role == "baseline");
        Assert.Equal(1, baseline.Runs);   // the one baseline rule (LatencyBaseline): one completed run
        Assert.Contains(section.Notes, n => n.Contains("InProgress"));
        Assert.True(baseline.Mean < 100);
    }
}
