using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

/// <summary>
/// The rules of a history read back (LatencyHistory): the most complete copy of a run is kept, a contradicting copy is
/// left out with a warning, unfinished runs are left out unless asked, -Last keeps the N most recent per label and test.
/// Reading the files is HistoryTests' (LatencyRunStore); the cmdlet's parameters are History.Tests.ps1's.
/// </summary>
public sealed class LatencyHistoryTests
{
    private readonly List<string> _warnings = new();

    private static LatencyRun Night(string label, string test, int night) =>
        SyntheticRuns.Make(label, test, 20, 0.02, 5, seed: night * 10 + test.Length, start: new DateTime(2026, 11, night, 2, 0, 0, DateTimeKind.Utc));

    /// <summary>The run as saved after its first <paramref name="iterations"/> iterations (a per-iteration save).</summary>
    private static LatencyRun SavedAfter(LatencyRun run, int iterations, string status = LatencyRunStatus.InProgress)
    {
        var copy = LatencyRunStore.Deserialize(LatencyRunStore.Serialize(run));
        copy.Samples = copy.Samples[..iterations];
        copy.Status = status;
        copy.EndTime = run.StartTime.AddSeconds(10 * iterations + 10);
        return copy;
    }

    private static LatencyRunStore.LoadedRun At(LatencyRun run, string path, int? line = null) => new(run, path, line);

    private IReadOnlyList<LatencyRun> Select(LatencyHistory.Selection selection, params LatencyRunStore.LoadedRun[] loaded) =>
        LatencyHistory.Select(loaded, selection, _warnings.Add);

    [Fact]
    public void Of_the_saves_of_one_run_the_most_complete_is_kept_whatever_the_order_read()
    {
        var run = Night("a", "TCP_RR", 1);
        var loaded = new[]
        {
            At(SavedAfter(run, 2), "/h/history.jsonl", 1),
            At(run, "/h/folder/run.json"),
            At(SavedAfter(run, 4), "/h/history.jsonl", 2),
        };
        foreach (var order in new[] { loaded, loaded.Reverse().ToArray() })
        {
            var kept = Assert.Single(Select(new LatencyHistory.Selection(), order));
            Assert.Same(run, kept);
        }
        Assert.Empty(_warnings);   // earlier saves of the kept copy are no news
    }

    [Fact]
    public void The_final_save_beats_a_per_iteration_save_with_as_many_iterations()
    {
        var run = Night("a", "TCP_RR", 1);
        var lastIteration = SavedAfter(run, run.Samples.Length);   // InProgress, every sample
        var kept = Assert.Single(Select(new LatencyHistory.Selection(), At(lastIteration, "/h/x.jsonl", 5), At(run, "/h/x.jsonl", 6)));
        Assert.Equal(LatencyRunStatus.Completed, kept.Status);
        Assert.Same(run, kept);
    }

    [Fact]
    public void A_copy_that_contradicts_the_kept_one_is_left_out_with_a_warning_naming_both_places()
    {
        var run = Night("a", "TCP_RR", 1);
        var other = SavedAfter(run, 3, LatencyRunStatus.Completed);
        other.Samples[1].MeanLatency += 1;   // not an earlier save of run: a different run under the same RunId
        var kept = Assert.Single(Select(new LatencyHistory.Selection(), At(other, "/h/b.jsonl", 7), At(run, "/h/a.json")));
        Assert.Same(run, kept);
        string warning = Assert.Single(_warnings);
        Assert.Contains(run.RunId, warning);
        Assert.Contains("kept the copy at /h/a.json", warning);
        Assert.Contains("/h/b.jsonl, line 7", warning);
    }

    [Fact]
    public void A_copy_under_another_label_is_a_different_run()
    {
        var run = Night("a", "TCP_RR", 1);
        var relabelled = SavedAfter(run, 2, LatencyRunStatus.Completed);
        relabelled.Label = "b";
        Assert.False(LatencyHistory.IsEarlierSaveOf(relabelled, run));
        Assert.True(LatencyHistory.IsEarlierSaveOf(SavedAfter(run, 2), run));
        Assert.True(LatencyHistory.IsEarlierSaveOf(run, run));
    }

    [Fact]
    public void Unfinished_runs_are_left_out_with_a_warning_unless_asked_for()
    {
        var done = Night("a", "TCP_RR", 1);
        var killed = SavedAfter(Night("a", "TCP_RR", 2), 2);
        var loaded = new[] { At(done, "/h/1.json"), At(killed, "/h/2.json") };

        Assert.Equal(new[] { done }, Select(new LatencyHistory.Selection(), loaded));
        string warning = Assert.Single(_warnings);
        Assert.Contains(killed.RunId, warning);
        Assert.Contains("-IncludeIncomplete", warning);

        _warnings.Clear();
        Assert.Equal(new[] { done, killed }, Select(new LatencyHistory.Selection(IncludeIncomplete: true), loaded));
        Assert.Empty(_warnings);
    }

    [Fact]
    public void Last_keeps_the_most_recent_runs_of_each_label_and_test_ignoring_case_and_returns_them_oldest_first()
    {
        var loaded = new List<LatencyRunStore.LoadedRun>();
        foreach (int night in new[] { 4, 1, 3, 2 })
        {
            loaded.Add(At(Night("bare", "TCP_RR", night), $"/h/{night}a.json"));
            loaded.Add(At(Night(night % 2 == 0 ? "BARE" : "bare", "UDP_RR", night), $"/h/{night}b.json"));
            loaded.Add(At(Night("onload", "TCP_RR", night), $"/h/{night}c.json"));
        }
        var runs = Select(new LatencyHistory.Selection(Last: 2), loaded.ToArray());
        Assert.Equal(6, runs.Count);
        Assert.All(runs, r => Assert.True(r.StartTime.Day >= 3));
        Assert.Equal(new[] { 3, 3, 3, 4, 4, 4 }, runs.Select(r => r.StartTime.Day));
        Assert.Equal(new[] { "TCP_RR", "TCP_RR", "UDP_RR" }, runs.Take(3).Select(r => r.TestName));   // same start: by test name
    }

    [Fact]
    public void The_filter_is_applied_before_last_so_last_counts_only_the_runs_asked_for()
    {
        var loaded = Enumerable.Range(1, 4).Select(n => At(Night(n <= 2 ? "wanted" : "other", "TCP_RR", n), $"/h/{n}.json")).ToArray();
        var runs = Select(new LatencyHistory.Selection(r => r.Label == "wanted", Last: 1), loaded);
        Assert.Equal(2, Assert.Single(runs).StartTime.Day);
    }
}
