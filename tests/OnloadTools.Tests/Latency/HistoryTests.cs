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

    // ---------------- history received from outside (issue 17) ----------------

    /// <summary>A good run's document with one JSON value replaced: <paramref name="find"/> is the exact text of a
    /// member as the store writes it (indented), <paramref name="replace"/> its hostile replacement.</summary>
    private static string Tampered(LatencyRun run, string find, string replace)
    {
        string json = Json(run);
        Assert.Contains(find, json);
        return json.Replace(find, replace);
    }

    private static string Member(string name, double value) =>
        $"\"{name}\": {value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";

    [Fact]
    public void Null_samples_make_one_problem_each_and_every_good_run_of_the_folder_loads()
    {
        LatencyRunStore.Export(Night("a", "TCP_RR", 1), _dir);
        LatencyRunStore.Export(Night("a", "TCP_RR", 2), _dir);
        var run = Night("a", "TCP_RR", 3);
        string samples = Json(run)[Json(run).IndexOf("\"samples\": [", StringComparison.Ordinal)..];
        samples = samples[..(samples.IndexOf("\n    ],", StringComparison.Ordinal) + 6)];
        File.WriteAllText(Path.Combine(_dir, "null.json"), Tampered(run, samples, "\"samples\": null"));
        File.WriteAllText(Path.Combine(_dir, "null-sample.json"), Tampered(run, samples, "\"samples\": [ null ]"));
        File.WriteAllText(Path.Combine(_dir, "one-null-sample.json"), Tampered(run, samples, "\"samples\": [ null, " + samples[("\"samples\": [".Length)..]));

        var loaded = LatencyRunStore.Load(_dir);
        Assert.Equal(new[] { 1, 2 }, loaded.Runs.Select(r => r.Run.StartTime.Day).Order());
        Assert.Equal(3, loaded.Problems.Count);
        Assert.All(loaded.Problems, p => Assert.Equal(LatencyRunStore.ProblemKind.Impossible, p.Kind));
        Assert.Contains("Samples is null", loaded.Problems.Single(p => p.Path.EndsWith("/null.json")).Message);
        Assert.Contains("Samples[0] is null", loaded.Problems.Single(p => p.Path.EndsWith("/null-sample.json")).Message);
        Assert.Contains("Samples[0] is null", loaded.Problems.Single(p => p.Path.EndsWith("/one-null-sample.json")).Message);
    }

    public static TheoryData<string, string, string> ImpossibleValues => new()
    {
        // the member as written, its replacement, the field the problem must name
        { "meanLatency", "1e309", "Samples[0].MeanLatency is Infinity" },
        { "meanLatency", "\"NaN\"", "Samples[0].MeanLatency is NaN" },
        { "p99Latency", "\"Infinity\"", "Samples[0].P99Latency is Infinity" },
        { "minLatency", "\"-Infinity\"", "Samples[0].MinLatency is -Infinity" },
        { "meanLatency", "-5", "Samples[0].MeanLatency is -5" },
        { "maxLatency", "1.7e308", "Samples[0].MaxLatency is 1.7E+308" },
        { "transactionRate", "-1", "Samples[0].TransactionRate is -1" },
        { "iteration", "-3", "Samples[0].Iteration is -3" },
        { "warnings", "null", "Samples[0].Warnings is null" },
        { "iterationsRequested", "-1", "IterationsRequested is -1" },
        { "iterationsRequested", "10000000", "Status is 'Completed'" },
        { "iterationsRequested", "2", "IterationsRequested is 2" },
        { "iterationsFailed", "1", "Status is 'Completed'" },
        { "port", "70000", "Port is 70000" },
        { "durationSeconds", "-10", "DurationSeconds is -10" },
        { "label", "null", "Label is null" },
        { "runId", "\"\"", "RunId is empty" },
    };

    [Theory]
    [MemberData(nameof(ImpossibleValues))]
    public void An_impossible_value_in_a_file_or_a_jsonl_line_refuses_that_run_naming_the_field(string member, string value, string field)
    {
        var run = Night("a", "TCP_RR", 1);   // 5 iterations, 5 requested, Completed
        string json = Json(run);
        int at = json.IndexOf($"\"{member}\": ", StringComparison.Ordinal);
        Assert.True(at >= 0, member);
        int end = json.IndexOfAny(new[] { ',', '\n' }, at + member.Length + 4);
        if (json[at + member.Length + 4] == '[') end = json.IndexOf(']', at) + 1;   // an array member (warnings)
        string bad = json[..at] + $"\"{member}\": {value}" + json[end..];
        LatencyRunStore.Export(Night("a", "TCP_RR", 2), _dir);
        File.WriteAllText(Path.Combine(_dir, "bad.json"), bad);
        string lines = Path.Combine(_dir, "history.jsonl");
        LatencyRunStore.Export(Night("a", "TCP_RR", 3), lines);
        File.AppendAllText(lines, System.Text.Json.Nodes.JsonNode.Parse(bad)!.ToJsonString() + "\n");
        LatencyRunStore.Export(Night("a", "TCP_RR", 4), lines);
        File.AppendAllText(lines, System.Text.Json.Nodes.JsonNode.Parse(bad)!.ToJsonString());   // the last line too, unterminated: not "torn"

        var loaded = LatencyRunStore.Load(_dir);
        Assert.Equal(new[] { 2, 3, 4 }, loaded.Runs.Select(r => r.Run.StartTime.Day).Order());
        Assert.Equal(3, loaded.Problems.Count);
        Assert.All(loaded.Problems, p => Assert.Equal(LatencyRunStore.ProblemKind.Impossible, p.Kind));
        Assert.All(loaded.Problems, p => Assert.Contains(field, p.Message));
        Assert.Equal(new int?[] { null, 2, 4 }, loaded.Problems.OrderBy(p => p.Line ?? 0).Select(p => p.Line));
    }

    [Fact]
    public void A_run_holding_an_impossible_value_is_never_written()
    {
        string lines = Path.Combine(_dir, "history.jsonl");
        var good = Night("a", "TCP_RR", 1);
        LatencyRunStore.Export(good, lines);
        byte[] before = File.ReadAllBytes(lines);
        foreach (Action<LatencyRun> spoil in new Action<LatencyRun>[]
                 {
                     r => r.Samples[1].MeanLatency = double.PositiveInfinity,
                     r => r.Samples[1].P99Latency = double.NaN,
                     r => r.Samples[0].MinLatency = -0.5,
                     r => r.IterationsRequested = -1,
                     r => r.IterationsRequested = 10_000_000,
                     r => r.Samples = new LatencySample[] { null! },
                     r => r.Samples = null!,
                 })
        {
            var run = Night("a", "TCP_RR", 2);
            spoil(run);
            var e = Assert.ThrowsAny<IOException>(() => LatencyRunStore.Export(run, lines));
            Assert.Contains("not saved", e.Message);
            Assert.ThrowsAny<IOException>(() => LatencyRunStore.Export(run, Path.Combine(_dir, "folder")));
        }
        Assert.Equal(before, File.ReadAllBytes(lines));
        Assert.False(Directory.Exists(Path.Combine(_dir, "folder")) && Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "folder")).Any());
    }

    [Fact]
    public void Hostile_values_anywhere_in_a_run_never_throw_and_never_load_an_impossible_run()
    {
        // Every member of a good run document, in turn, replaced by each hostile value: Load reports or loads, never
        // throws, and whatever it loads is possible (finite aggregates, serializable to strict JSON).
        var run = Night("a", "TCP_RR", 1);
        run.Samples[0].DistributionPercentiles = new[] { 0.0, 50, 100 };
        run.Samples[0].DistributionLatencies = new[] { 1.0, 2, 3 };
        var doc = System.Text.Json.Nodes.JsonNode.Parse(Json(run))!;
        var leaves = new List<string>();
        void Walk(System.Text.Json.Nodes.JsonNode node, string path)
        {
            switch (node)
            {
                case System.Text.Json.Nodes.JsonObject o:
                    foreach (var kv in o) if (kv.Value is not null) Walk(kv.Value, path + "/" + kv.Key); else leaves.Add(path + "/" + kv.Key);
                    break;
                case System.Text.Json.Nodes.JsonArray a:
                    leaves.Add(path);
                    for (int i = 0; i < Math.Min(a.Count, 2); i++) if (a[i] is not null) Walk(a[i]!, path + "/" + i);
                    break;
                default:
                    leaves.Add(path);
                    break;
            }
        }
        Walk(doc, "");
        string[] hostile = { "null", "\"NaN\"", "\"-Infinity\"", "1e309", "1.7e308", "-1", "-2147483649", "\"x\"", "[]", "[null]", "{}", "true", "\"\"" };
        var strict = new System.Text.Json.JsonSerializerOptions(LatencyRunStore.JsonOptions) { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict };
        int loadedRuns = 0, problems = 0;
        foreach (string leaf in leaves)
        {
            foreach (string value in hostile)
            {
                var copy = System.Text.Json.Nodes.JsonNode.Parse(doc.ToJsonString())!;
                string[] parts = leaf.Split('/', StringSplitOptions.RemoveEmptyEntries);
                var parent = copy;
                foreach (string part in parts[..^1]) parent = int.TryParse(part, out int i) && parent is System.Text.Json.Nodes.JsonArray ? parent[i]! : parent[part]!;
                var replacement = System.Text.Json.Nodes.JsonNode.Parse(value);
                if (parent is System.Text.Json.Nodes.JsonArray arr) arr[int.Parse(parts[^1])] = replacement;
                else parent[parts[^1]] = replacement;
                string file = Path.Combine(_dir, "h.jsonl");
                File.WriteAllText(file, copy.ToJsonString() + "\n");
                var result = LatencyRunStore.Load(file);
                problems += result.Problems.Count;
                foreach (var loaded in result.Runs)
                {
                    loadedRuns++;
                    var r = loaded.Run;
                    Assert.True(r.FindImpossibleValue() is null, $"{leaf} = {value}");
                    foreach (double? aggregate in new[] { r.MeanLatency, r.MedianLatency, r.MinLatency, r.MaxLatency, r.P99Latency, r.IterationSpreadLatency, r.JitterLatency, r.TransactionRate })
                    {
                        Assert.True(aggregate is null || double.IsFinite(aggregate.Value), $"{leaf} = {value}");
                    }
                    System.Text.Json.JsonSerializer.Serialize(new LatencyRunStore.RunDocument { Run = r }, strict);
                    LatencyRunStore.Export(r, Path.Combine(_dir, "again.jsonl"));
                }
            }
        }
        Assert.True(loadedRuns > 0 && problems > leaves.Count, $"{loadedRuns} loaded, {problems} problems over {leaves.Count} members");
    }

    [Fact]
    public void Two_runs_never_share_a_file_in_a_folder()
    {
        string history = Path.Combine(_dir, "history");
        var ids = Enumerable.Range(1, 17).Select(n => $"deadbeef{n:D4}")
            .Concat(new[] { "a/b", "a-b", new string('x', 70) + "1", new string('x', 70) + "2", "../x", "--x" }).ToList();
        var start = new DateTime(2026, 11, 1, 2, 0, 0, DateTimeKind.Utc);
        foreach (string id in ids)
        {
            var run = Night("nightly", "TCP_RR", 1);
            run.RunId = id;
            LatencyRunStore.Export(run, history);
        }
        Assert.Equal(ids.Count, Directory.GetFiles(history).Length);
        Assert.Equal(ids.Order(StringComparer.Ordinal), LatencyRunStore.Load(history).Runs.Select(r => r.Run.RunId).Order(StringComparer.Ordinal));
        Assert.All(Directory.GetFiles(history), f => Assert.Matches(@"^[0-9TZ]+_[A-Za-z0-9_-]+\.json$", Path.GetFileName(f)));

        // One run saved again (after its next iteration) still replaces its own file.
        var again = Night("nightly", "TCP_RR", 1);
        again.RunId = "deadbeef0001";
        LatencyRunStore.Export(again, history);
        Assert.Equal(ids.Count, Directory.GetFiles(history).Length);
    }

    [Fact]
    public void A_jsonl_history_that_is_a_symbolic_or_hard_link_is_never_appended_to()
    {
        string victims = Directory.CreateTempSubdirectory("onloadtools-victim-").FullName;
        try
        {
            string victim = Path.Combine(victims, "passwd");
            File.WriteAllText(victim, "root:x:0:0::/root:/bin/bash\n");
            string link = Path.Combine(_dir, "history.jsonl");
            File.CreateSymbolicLink(link, victim);
            string dangling = Path.Combine(_dir, "dangling.jsonl");
            string notYet = Path.Combine(victims, "created-through-link");
            File.CreateSymbolicLink(dangling, notYet);
            string hard = Path.Combine(_dir, "hard.jsonl");
            Assert.Equal(0, TestProcess.Run("ln", victim, hard).ExitCode);

            foreach (string path in new[] { link, dangling, hard })
            {
                var e = Assert.ThrowsAny<IOException>(() => LatencyRunStore.Export(Night("a", "TCP_RR", 1), path));
                Assert.Contains(path == hard ? "hard links" : "symbolic link", e.Message);
            }
            Assert.Equal("root:x:0:0::/root:/bin/bash\n", File.ReadAllText(victim));
            Assert.False(File.Exists(notYet));
            Assert.Equal(LatencyRunStore.HistoryPathIssue.NotRegularFile, LatencyRunStore.CheckHistoryPath(link, probeWrite: false)?.Issue);
            Assert.Equal(LatencyRunStore.HistoryPathIssue.NotRegularFile, LatencyRunStore.CheckHistoryPath(dangling, probeWrite: true)?.Issue);
        }
        finally
        {
            Directory.Delete(victims, recursive: true);
        }
    }

    [Fact]
    public void A_full_disk_in_the_middle_of_an_append_leaves_the_jsonl_with_exactly_its_lines()
    {
        string mount = Directory.CreateTempSubdirectory("onloadtools-full-").FullName;
        var mounted = TestProcess.Run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount);
        Assert.True(mounted.ExitCode == 0, "this test mounts a 64 KiB tmpfs and needs root: " + mounted.Output);
        try
        {
            // A first line shorter than a page: the file's page has room left, so the next append is written in part
            // (into that room) before the disk is found full.
            string lines = Path.Combine(mount, "history.jsonl");
            var small = SyntheticRuns.Make("a", "TCP_RR", 20, 0.02, 2, seed: 1);
            LatencyRunStore.Export(small, lines);
            byte[] before = File.ReadAllBytes(lines);
            Assert.InRange(before.Length, 1000, 3000);
            using (var filler = new FileStream(Path.Combine(mount, "filler"), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                var page = new byte[1024];
                try { while (true) { filler.Write(page); } }
                catch (IOException) { }
            }
            var next = SyntheticRuns.Make("a", "TCP_RR", 20, 0.02, 3, seed: 2);   // about 3 KB: more than the page has left
            Assert.ThrowsAny<IOException>(() => LatencyRunStore.Export(next, lines));
            Assert.Equal(before, File.ReadAllBytes(lines));

            File.Delete(Path.Combine(mount, "filler"));
            LatencyRunStore.Export(next, lines);
            var loaded = LatencyRunStore.Load(lines);
            Assert.Empty(loaded.Problems);
            Assert.Equal(new[] { small.RunId, next.RunId }, loaded.Runs.Select(r => r.Run.RunId));
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
