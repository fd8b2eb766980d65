using OnloadTools.Jitter;

namespace OnloadTools.Tests.Jitter;

/// <summary>
/// Compare-HostJitterRun's decisions (JitterComparer) on runs made from real oslat output: the threshold gate, the
/// regression rule on single maxima (resolution + allowance), the rank test with several runs per side, the tail, and
/// what the comparison says besides (host facts, durations, a CPU missing on one side). The cmdlet is tested in
/// tests/Pester/JitterHistory.Tests.ps1.
/// </summary>
public class JitterComparerTests
{
    private static readonly JitterComparisonOptions Defaults = new();
    private const double Loose = 10_000_000;   // a threshold no recorded maximum reaches

    private static HostJitterComparison Cpu1(IReadOnlyList<HostJitterComparison> c) => c.Single(x => x.Cpu == 1);

    [Fact]
    public void A_night_against_itself_passes_with_no_change_and_says_it_is_a_rule()
    {
        var run = JitterRuns.FromFixture(threshold: Loose);
        var c = JitterComparer.Compare(new[] { run }, new[] { run }, Defaults);
        Assert.Equal(new[] { 0, 1 }, c.Select(x => x.Cpu));
        foreach (var x in c)
        {
            Assert.Equal(HostJitterComparisonVerdict.Passed, x.Verdict);
            Assert.Equal(0, x.MaximumChangeMicroseconds);
            Assert.False(x.IsRegression);
            Assert.False(x.IsExceeded);
            Assert.Null(x.PValue);
            Assert.Equal(1, x.ResolutionMicroseconds);
            Assert.StartsWith("Rule, not a test", x.Basis);
            Assert.Equal("oslat", x.Tool);
        }
        Assert.Equal(132094, Cpu1(c).DifferenceMaximumMicroseconds);
    }

    [Fact]
    public void The_threshold_gate_fails_a_maximum_at_or_above_it_and_passes_one_below()
    {
        // The recorded run's CPU 1 maximum is 52901 µs (a busy VM): against cnf-tests' 20 µs it exceeded.
        var night = JitterRuns.FromFixture("oslat-2.40-cpu1.json");
        var c = Cpu1(JitterComparer.Compare(new[] { night }, new[] { night }, Defaults));
        Assert.True(c.IsExceeded);
        Assert.Equal(HostJitterComparisonVerdict.Exceeded, c.Verdict);
        Assert.Equal(20, c.ThresholdMicroseconds);
        Assert.Equal(HostJitterComparisonVerdict.Exceeded, Cpu1(JitterComparer.Compare(new[] { night }, new[] { night }, new JitterComparisonOptions { Threshold = 52901 })).Verdict);
        Assert.Equal(HostJitterComparisonVerdict.Passed, Cpu1(JitterComparer.Compare(new[] { night }, new[] { night }, new JitterComparisonOptions { Threshold = 52902 })).Verdict);
    }

    [Theory]
    [InlineData(10, 13, false)]     // +3 µs: exactly the resolution (1) + the margin (2), not beyond it
    [InlineData(10, 13.5, true)]    // beyond it
    [InlineData(10, 9, false)]      // faster is never a regression
    [InlineData(100, 111, false)]   // 10 % of 100 = 10 µs allowance: +11 = 1 + 10
    [InlineData(100, 112, true)]
    public void A_single_maximum_regresses_only_beyond_the_resolution_plus_the_larger_allowance(double before, double after, bool regressed)
    {
        var run = JitterRuns.FromFixture(threshold: Loose);
        var c = Cpu1(JitterComparer.Compare(new[] { run.With(1, before) }, new[] { run.With(1, after) }, Defaults));
        Assert.Equal(regressed, c.IsRegression);
        Assert.Equal(regressed ? HostJitterComparisonVerdict.Regressed : HostJitterComparisonVerdict.Passed, c.Verdict);
        Assert.Equal(after - before, c.MaximumChangeMicroseconds);
        Assert.Equal(Math.Max(2, before / 10), c.AllowanceMicroseconds);
        Assert.Equal(regressed ? "Maximum" : "", c.RegressedMetrics);
    }

    [Fact]
    public void Exceeded_wins_over_regressed_and_both_are_kept()
    {
        var run = JitterRuns.FromFixture(threshold: 20);
        var c = Cpu1(JitterComparer.Compare(new[] { run.With(1, 5) }, new[] { run.With(1, 25) }, Defaults));
        Assert.True(c.IsExceeded);
        Assert.True(c.IsRegression);
        Assert.Equal(HostJitterComparisonVerdict.Exceeded, c.Verdict);
    }

    [Fact]
    public void The_tail_regresses_on_its_own_by_the_same_rule()
    {
        var run = JitterRuns.FromFixture(threshold: Loose);
        var c = Cpu1(JitterComparer.Compare(new[] { run.With(1, 10, tail: 2) }, new[] { run.With(1, 10, tail: 6) }, Defaults));
        Assert.True(c.IsRegression);
        Assert.Equal("P99.99", c.RegressedMetrics);
        Assert.Equal(4, c.TailChangeMicroseconds);
        Assert.Equal(2, c.ReferenceTailMicroseconds);
        Assert.Equal(6, c.DifferenceTailMicroseconds);
        var within = Cpu1(JitterComparer.Compare(new[] { run.With(1, 10, tail: 2) }, new[] { run.With(1, 10, tail: 5) }, Defaults));
        Assert.False(within.IsRegression);
    }

    [Fact]
    public void With_three_or_more_runs_per_side_the_maxima_are_tested_and_a_shift_that_is_not_significant_is_no_regression()
    {
        var run = JitterRuns.FromFixture(threshold: Loose);
        HostJitterRun[] Side(params double[] maxima) => maxima.Select((m, i) => run.With(1, m)).ToArray();

        // Every tonight's maximum above every earlier one: exact one-sided p = 1 / C(10, 5) = 1/252.
        var c = Cpu1(JitterComparer.Compare(Side(10, 11, 10, 12, 11), Side(15, 16, 15, 17, 16), Defaults));
        Assert.Equal(5, c.ReferenceRuns);
        Assert.Equal(5, c.DifferenceRuns);
        Assert.Equal(11, c.ReferenceMaximumMicroseconds);
        Assert.Equal(16, c.DifferenceMaximumMicroseconds);
        Assert.NotNull(c.PValue);
        Assert.Equal(1.0 / 252, c.PValue!.Value, 6);
        Assert.True(c.IsRegression);
        Assert.StartsWith("Test:", c.Basis);

        // Medians 20 → 24, beyond 1 + 2 µs, but the maxima overlap: not significant, not a regression.
        var overlap = Cpu1(JitterComparer.Compare(Side(10, 20, 30), Side(14, 24, 34), Defaults));
        Assert.Equal(4, overlap.MaximumChangeMicroseconds);
        Assert.True(overlap.PValue > 0.05);
        Assert.False(overlap.IsRegression);

        // Two runs on a side: still a rule.
        Assert.Null(Cpu1(JitterComparer.Compare(Side(10, 11), Side(15, 16, 17), Defaults)).PValue);
    }

    [Fact]
    public void Runs_of_different_tools_are_not_compared()
    {
        var oslat = JitterRuns.FromFixture();
        var cyclic = JitterRuns.FromFixture(tool: RtTestsParser.Cyclictest);
        var e = Assert.Throws<JitterToolMismatchException>(() => JitterComparer.Compare(new[] { oslat }, new[] { cyclic }, Defaults));
        Assert.Contains("oslat", e.Message);
        Assert.Contains("cyclictest", e.Message);
    }

    [Fact]
    public void The_comparison_names_the_host_facts_durations_and_hosts_that_differ()
    {
        var before = JitterRuns.FromFixture("oslat-2.40-cpu1.json", threshold: Loose, kernel: "5.14.0-427.el9");
        var after = JitterRuns.FromFixture("oslat-2.40-cpu0-1.json", threshold: Loose, kernel: "5.14.0-503.el9", host: "lab2");
        after.Results[0].DurationSeconds = 600; after.DurationSeconds = 600;
        var c = JitterComparer.Compare(new[] { before }, new[] { after }, Defaults);
        Assert.All(c, x => Assert.Contains("kernel 5.14.0-427.el9 → 5.14.0-503.el9", x.HostDifferences));
        Assert.Contains("different durations", c[0].Notes);
        Assert.Contains("different hosts (lab1 against lab2)", c[0].Notes);
        // CPU 0 was not measured the night before: only its threshold decides.
        var cpu0 = c.Single(x => x.Cpu == 0);
        Assert.Null(cpu0.ReferenceMaximumMicroseconds);
        Assert.Equal(0, cpu0.ReferenceRuns);
        Assert.Contains("not in the reference runs", cpu0.Basis);
        Assert.Equal(HostJitterComparisonVerdict.Passed, cpu0.Verdict);
    }

    [Fact]
    public void Impossible_values_are_found()
    {
        var run = JitterRuns.FromFixture();
        Assert.Null(HostJitterRunRules.FindImpossibleValue(run));
        Assert.Contains("MaximumMicroseconds", HostJitterRunRules.FindImpossibleValue(run.With(1, double.NaN)));
        Assert.Contains("MaximumMicroseconds", HostJitterRunRules.FindImpossibleValue(run.With(1, -1)));
        var badCpu = run.With(1, 5);
        badCpu.Results[0].Cpu = -2;
        Assert.Contains("Cpu", HostJitterRunRules.FindImpossibleValue(badCpu));
    }
}
