using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

/// <summary>
/// Invoke-LatencyComparison's domain without processes: the interleaved order, the group-sequential stopping rule,
/// and its error rates by simulation (2,000 comparisons at a true ratio of 1.00 and at the equivalence margin).
/// </summary>
public class SequentialTests
{
    private static readonly ComparisonOptions Defaults = new();

    [Fact]
    public void Arms_alternate_A_B_B_A()
    {
        Assert.Equal("ABBAABBAAB", string.Concat(Enumerable.Range(0, 10).Select(p => LatencyExperiment.Letter(LatencyExperiment.ArmAt(p)))));
    }

    [Fact]
    public void The_experiment_records_its_order_and_numbers_each_arms_iterations()
    {
        var exp = new LatencyExperiment(new[] { "TCP_RR" }, SequentialDecision.Fixed(3, 0.95), Defaults);
        var steps = new List<ExperimentStep>();
        while (exp.NextStep() is { } step)
        {
            steps.Add(step);
            exp.Record("TCP_RR", step.Arm, 20.0 + step.Position % 3);
            exp.EndStep();
        }
        Assert.Equal("ABBAAB", exp.Order);
        Assert.Equal(new[] { 1, 1, 2, 2, 3, 3 }, steps.Select(s => s.Iteration));
        Assert.Equal(new[] { 0, 1, 1, 0, 0, 1 }, steps.Select(s => s.Arm));
        var (a, b) = exp.Values("TCP_RR");
        Assert.Equal(3, a.Length);
        Assert.Equal(3, b.Length);
        Assert.True(exp.IsFinished);
        Assert.Equal(1, exp.LastLook("TCP_RR")!.Look);
    }

    [Fact]
    public void A_fixed_protocol_looks_once_at_the_nominal_level_and_never_stops_early()
    {
        var rule = SequentialDecision.Fixed(5, 0.95);
        Assert.Equal(1, rule.Looks);
        Assert.Equal(0.95, rule.AdjustedConfidenceLevel, 9);
        var exp = new LatencyExperiment(new[] { "TCP_RR" }, rule, Defaults);
        int steps = 0;
        while (exp.NextStep() is { } step)
        {
            exp.Record("TCP_RR", step.Arm, step.Arm == 0 ? 20 + 0.01 * steps : 30 + 0.01 * steps); // a huge difference: decided at once
            exp.EndStep();
            steps++;
        }
        Assert.Equal(10, steps);
        Assert.Equal("Slower", exp.LastLook("TCP_RR")!.Comparison.Verdict);
    }

    [Theory]
    [InlineData(3, 10, 0.95)]
    [InlineData(3, 20, 0.95)]
    [InlineData(4, 8, 0.99)]
    public void The_repeated_intervals_are_wider_than_the_nominal_one_and_narrower_than_Bonferroni(int min, int max, double level)
    {
        var rule = new SequentialDecision(min, max, level);
        double alpha = 1 - level;
        double adjusted = 1 - rule.AdjustedConfidenceLevel;
        Assert.True(adjusted < alpha, $"α′ = {adjusted}");
        Assert.True(adjusted > alpha / rule.Looks, $"α′ = {adjusted} is not above Bonferroni's {alpha / rule.Looks}");
        Assert.True(rule.BoundaryConstant > SequentialDecision.NormalQuantile(1 - alpha / 2));
    }

    [Fact]
    public void The_constant_matches_Pocock_for_two_looks_at_equal_spacing()
    {
        // Looks at n = 1 and 2 are Pocock's K = 2, equally spaced: c = 2.178 for α = 0.05 (Pocock 1977, table 1).
        Assert.Equal(2.178, SequentialDecision.PocockConstant(1, 2, 0.05), 2);
    }

    [Fact]
    public void A_clear_difference_stops_at_the_first_look()
    {
        var exp = new LatencyExperiment(new[] { "TCP_RR", "UDP_RR" }, new SequentialDecision(3, 10, 0.95), Defaults);
        var rng = new Random(5);
        IReadOnlyList<SequentialLook> looks = Array.Empty<SequentialLook>();
        while (exp.NextStep() is { } step)
        {
            foreach (string t in step.Tests)
            {
                double centre = t == "TCP_RR" ? (step.Arm == 0 ? 20 : 30) : 25; // TCP 50 % slower, UDP identical
                exp.Record(t, step.Arm, centre * (1 + 0.01 * (rng.NextDouble() - 0.5)));
            }
            var l = exp.EndStep();
            if (l.Count > 0) looks = l;
        }
        Assert.Equal("Slower", exp.LastLook("TCP_RR")!.Comparison.Verdict);
        Assert.Equal(1, exp.LastLook("TCP_RR")!.Look);
        Assert.Equal("Equivalent", exp.LastLook("UDP_RR")!.Comparison.Verdict);
        Assert.Equal(6, exp.Position);
    }

    [Fact]
    public void Out_of_time_is_Inconclusive_with_the_precision_reached()
    {
        var exp = new LatencyExperiment(new[] { "TCP_RR" }, new SequentialDecision(3, 10, 0.95), Defaults);
        var rng = new Random(6);
        for (int i = 0; i < 6; i++)
        {
            var step = exp.NextStep()!;
            exp.Record("TCP_RR", step.Arm, 20 * (1 + 0.3 * (rng.NextDouble() - 0.5))); // very noisy: nothing decided
            exp.EndStep();
        }
        Assert.False(exp.IsFinished);
        var last = Assert.Single(exp.Stop());
        Assert.True(last.Final);
        Assert.False(last.Decided);
        Assert.Equal("Inconclusive", last.Comparison.Verdict);
        Assert.NotNull(SequentialDecision.HalfWidth(last.Comparison));
        Assert.True(exp.IsFinished);
    }

    // ------------------------------------------------------------------ error rates by simulation

    /// <summary>One simulated comparison: per-iteration means with relative noise <paramref name="cv"/> (normal), the difference arm at <paramref name="ratio"/>.</summary>
    internal static (string Verdict, int PerArm) Simulate(SequentialDecision rule, double ratio, double cv, Random rng, ComparisonOptions? options = null)
    {
        var exp = new LatencyExperiment(new[] { "TCP_RR" }, rule, options ?? Defaults);
        while (exp.NextStep() is { } step)
        {
            double centre = step.Arm == 0 ? 20 : 20 * ratio;
            exp.Record("TCP_RR", step.Arm, centre * (1 + cv * Gaussian(rng)));
            exp.EndStep();
        }
        var look = exp.LastLook("TCP_RR")!;
        return (look.Comparison.Verdict, look.Comparison.ReferenceCount);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private const int Comparisons = 2000;
    // 3 binomial standard deviations of a rate of 0.05 over 2,000 comparisons.
    private const double Tolerance = 0.015;

    [Theory]
    [InlineData(0.02)]
    [InlineData(0.05)]
    public void At_a_true_ratio_of_one_a_difference_is_declared_at_most_alpha_of_the_time(double cv)
    {
        var rule = new SequentialDecision(3, 10, 0.95);
        var rng = new Random(1130);
        int falseDifference = 0, equivalent = 0;
        for (int i = 0; i < Comparisons; i++)
        {
            var (verdict, _) = Simulate(rule, 1.00, cv, rng);
            if (verdict is "Slower" or "Faster") falseDifference++;
            if (verdict == "Equivalent") equivalent++;
        }
        double rate = (double)falseDifference / Comparisons;
        Assert.True(rate <= 0.05 + Tolerance, $"false Slower/Faster at ratio 1.00: {rate:P2}");
        // And the rule is useful: with 2 % noise nearly every comparison ends Equivalent.
        if (cv == 0.02) Assert.True(equivalent > 0.9 * Comparisons, $"only {equivalent} of {Comparisons} Equivalent");
    }

    [Theory]
    [InlineData(1.05)]
    [InlineData(0.95)]
    public void At_the_margin_Equivalent_is_declared_at_most_alpha_of_the_time(double ratio)
    {
        var rule = new SequentialDecision(3, 10, 0.95);
        var rng = new Random(1131);
        int falseEquivalent = 0;
        for (int i = 0; i < Comparisons; i++)
        {
            if (Simulate(rule, ratio, 0.03, rng).Verdict == "Equivalent") falseEquivalent++;
        }
        double rate = (double)falseEquivalent / Comparisons;
        Assert.True(rate <= 0.05 + Tolerance, $"false Equivalent at ratio {ratio}: {rate:P2}");
    }

    [Fact]
    public void Peeking_at_the_nominal_level_would_inflate_false_differences()
    {
        // The same looks with unadjusted 95 % intervals: the inflation the adjusted level prevents (why the test above can fail).
        var naive = new NaiveRule(3, 10);
        var rng = new Random(1132);
        int falseDifference = 0;
        for (int i = 0; i < Comparisons; i++)
        {
            var exp = new LatencyExperiment(new[] { "TCP_RR" }, naive.Rule, Defaults);
            string verdict = "Inconclusive";
            while (exp.NextStep() is { } step)
            {
                exp.Record("TCP_RR", step.Arm, 20 * (1 + 0.08 * Gaussian(rng)));
                exp.EndStep();
                var (a, b) = exp.Values("TCP_RR");
                if (a.Length == b.Length && a.Length >= 3)
                {
                    verdict = LatencyComparer.CompareValues("TCP_RR", "Mean", a, b, Defaults).Verdict;
                    if (verdict != "Inconclusive") break;
                }
            }
            if (verdict is "Slower" or "Faster") falseDifference++;
        }
        Assert.True(falseDifference > 0.08 * Comparisons, $"naive peeking gave only {falseDifference} false differences");
    }

    private sealed class NaiveRule(int min, int max)
    {
        public SequentialDecision Rule { get; } = new(min, max, 0.95);
    }
}
