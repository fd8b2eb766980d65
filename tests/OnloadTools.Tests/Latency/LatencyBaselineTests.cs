using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

public class LatencyBaselineTests
{
    private static LatencyRun Night(int day, double mean, string status = "Completed", string test = "TCP_RR")
    {
        var run = SyntheticRuns.Make("nightly", test, mean, 0, 3, day, new DateTime(2026, 11, day, 2, 0, 0, DateTimeKind.Utc));
        run.Status = status;
        return run;
    }

    [Fact]
    public void The_baseline_is_the_median_run_of_the_last_N_by_mean_latency()
    {
        var runs = new[] { Night(1, 50), Night(2, 20), Night(3, 40), Night(4, 21), Night(5, 22) };
        Assert.Same(runs[4], LatencyBaseline.Select(runs, 5));       // 20 21 [22] 40 50
        Assert.Same(runs[4], LatencyBaseline.Select(runs, 3));       // the last three: 21 [22] 40
        Assert.Same(runs[3], LatencyBaseline.Select(runs, 2));       // the last two: [21] 22
    }

    [Fact]
    public void An_even_count_takes_the_lower_middle_and_one_bad_night_cannot_move_it()
    {
        var runs = new[] { Night(1, 20), Night(2, 21), Night(3, 22), Night(4, 90) };
        Assert.Same(runs[1], LatencyBaseline.Select(runs, 4));       // 20 [21] 22 90
    }

    [Fact]
    public void Only_completed_runs_with_a_mean_are_candidates()
    {
        var runs = new[] { Night(1, 20), Night(2, 10, "InProgress"), Night(3, 11, "Partial"), Night(4, 30) };
        Assert.Same(runs[0], LatencyBaseline.Select(runs));          // 20 [..] 30 → 20
        Assert.Null(LatencyBaseline.Select(new[] { Night(1, 10, "InProgress") }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LatencyBaseline.Select(runs, 0));
    }

    [Fact]
    public void Each_test_gets_its_own_baseline()
    {
        var runs = new[] { Night(1, 20), Night(2, 30, test: "UDP_RR"), Night(3, 25), Night(4, 31, test: "UDP_RR"), Night(5, 29, test: "UDP_RR") };
        var picked = LatencyBaseline.SelectPerTest(runs);
        Assert.Equal(new[] { "TCP_RR", "UDP_RR" }, picked.Select(r => r.TestName));
        Assert.Same(runs[0], picked[0]);
        Assert.Same(runs[1], picked[1]);
    }
}
