using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

/// <summary>docs/examples/Invoke-NightlyLatencyCheck.ps1, run for real in the engine (it uses only core and module cmdlets).</summary>
public sealed class NightlyScriptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("onloadtools-nightly-").FullName;
    private static string Script => Path.Combine(TestPaths.RepoRoot, "docs", "examples", "Invoke-NightlyLatencyCheck.ps1");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static LatencyRun Night(int night, double mean, string test = "TCP_RR", string label = "nightly") =>
        SyntheticRuns.Make(label, test, mean, 0.02, 6, seed: 100 + night, start: new DateTime(2026, 11, night, 2, 0, 0, DateTimeKind.Utc));

    private string History(params LatencyRun[] runs)
    {
        foreach (var r in runs) LatencyRunStore.Export(r, _dir);
        return _dir;
    }

    private static (PowerShellEngine.Result Result, int ExitCode) RunScript(PowerShellEngine engine, string arguments, params (string, object?)[] variables)
    {
        var r = engine.Run($"$global:LASTEXITCODE = -1; & $script {arguments}; $global:LASTEXITCODE",
            variables.Append(("script", (object?)Script)).ToArray());
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        return (r, Convert.ToInt32(r.Output[^1].BaseObject));
    }

    private static LatencyComparison[] Comparisons(PowerShellEngine.Result r) =>
        r.Output.Select(o => o.BaseObject).OfType<LatencyComparison>().ToArray();

    [Fact]
    public void A_slower_night_against_the_median_of_the_history_fails_the_job_and_is_kept_in_the_history()
    {
        // Five ordinary nights around 20 µs and one bad night at 40 µs that must not become the baseline.
        History(Night(1, 20), Night(2, 20.2), Night(3, 40), Night(4, 19.9), Night(5, 20.1), Night(6, 19.8));
        using var engine = new PowerShellEngine();
        var (r, exit) = RunScript(engine, "-HistoryPath $dir -TonightRun $tonight -BaselineCount 5",
            ("dir", _dir), ("tonight", Night(7, 25)));
        Assert.Equal(1, exit);
        var c = Comparisons(r);
        Assert.Equal(6, c.Length);
        Assert.True(c.Single(x => x.Metric == "Mean").IsRegression);
        Assert.Contains(r.Warnings, w => w.Message.StartsWith("REGRESSION TCP_RR Mean"));
        // The baseline is the median night of the last five (nights 2–6: 20.2, 40, 19.9, 20.1, 19.8 → night 5, 20.1 µs).
        var lastFive = LatencyRunStore.Load(_dir).Runs.Select(x => x.Run).Where(x => x.StartTime.Day is >= 2 and <= 6).OrderBy(x => x.MeanLatency).ToArray();
        Assert.Equal(new[] { lastFive[2].RunId }, c[0].ReferenceRunId);
        Assert.InRange(lastFive[2].MeanLatency!.Value, 19, 21);
        Assert.Equal(7, Directory.GetFiles(_dir).Length);   // tonight was added, nothing else changed
    }

    [Fact]
    public void An_ordinary_night_passes()
    {
        History(Night(1, 20), Night(2, 20.2), Night(3, 19.9));
        using var engine = new PowerShellEngine();
        var (r, exit) = RunScript(engine, "-HistoryPath $dir -TonightRun $tonight", ("dir", _dir), ("tonight", Night(4, 20.05)));
        Assert.Equal(0, exit);
        Assert.DoesNotContain(Comparisons(r), x => x.IsRegression);
        Assert.Equal("Equivalent", Comparisons(r).Single(x => x.Metric == "Mean").Verdict);
    }

    [Fact]
    public void A_chosen_baseline_run_is_used_by_its_RunId_prefix_and_a_jsonl_history_is_appended()
    {
        string jsonl = Path.Combine(_dir, "history.jsonl");
        var slowNight = Night(2, 30);
        slowNight.RunId = Guid.NewGuid().ToString("N");
        foreach (var n in new[] { Night(1, 20), slowNight, Night(3, 20) }) LatencyRunStore.Export(n, jsonl);
        using var engine = new PowerShellEngine();
        var (r, exit) = RunScript(engine, "-HistoryPath $h -TonightRun $tonight -Baseline $id",
            ("h", jsonl), ("tonight", Night(4, 24)), ("id", slowNight.RunId[..8]));
        Assert.Equal(0, exit);   // faster than the chosen (slow) baseline
        Assert.Equal("Faster", Comparisons(r).Single(x => x.Metric == "Mean").Verdict);
        Assert.Equal(new[] { slowNight.RunId }, Comparisons(r)[0].ReferenceRunId);
        Assert.Equal(4, File.ReadAllLines(jsonl).Length);

        // A prefix that fits several runs is refused rather than guessed.
        var ambiguous = engine.Run("& $script -HistoryPath $h -TonightRun $tonight -Baseline nightly", ("script", Script), ("h", jsonl), ("tonight", Night(5, 24)));
        Assert.Contains("matches", ambiguous.SingleError.Exception.Message);
    }

    [Fact]
    public void The_first_night_starts_the_history_with_a_warning_then_real_netperf_nights_are_compared()
    {
        using var engine = new PowerShellEngine();
        string args = "-HistoryPath $dir -TestName TCP_RR -Duration 1 -Iterations 3";
        var (first, exit1) = RunScript(engine, args, ("dir", _dir));
        Assert.Equal(0, exit1);
        Assert.Contains(first.Warnings, w => w.Message.Contains("no baseline"));
        Assert.Empty(Comparisons(first));
        Assert.Single(Directory.GetFiles(_dir));

        var (second, exit2) = RunScript(engine, args, ("dir", _dir));
        var c = Comparisons(second);
        Assert.NotEmpty(c);
        Assert.All(c, x => Assert.Equal(3, x.ReferenceCount));
        Assert.All(c, x => Assert.Equal(3, x.DifferenceCount));
        Assert.Equal(c.Any(x => x.IsRegression) ? 1 : 0, exit2);
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
    }
}
