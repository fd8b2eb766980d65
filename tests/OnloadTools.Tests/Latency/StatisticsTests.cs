using OnloadTools.Latency;

using CsCheck;

namespace OnloadTools.Tests.Latency;

/// <summary>The statistical building blocks against values known from tables or computed independently.</summary>
public class StatisticsTests
{
    [Theory]
    // Two-sided p of Student's t, from standard tables.
    [InlineData(2.0, 10, 0.0734)]
    [InlineData(2.228139, 10, 0.05)]
    [InlineData(12.7062, 1, 0.05)]
    [InlineData(1.959964, 1e7, 0.05)]
    [InlineData(0.0, 5, 1.0)]
    [InlineData(3.0, 3, 0.0577)]
    public void Student_t_two_sided_p_matches_tables(double t, double df, double expected)
    {
        Assert.Equal(expected, StudentT.TwoSidedP(t, df), 3);
        Assert.Equal(expected, StudentT.TwoSidedP(-t, df), 3);
    }

    [Fact]
    public void Student_t_cdf_agrees_with_numerical_integration_of_the_density()
    {
        // An independent route: Simpson's rule on the t density, with fractional (Welch) degrees of freedom.
        foreach (double df in new[] { 1.0, 2.5, 5.882, 17.3 })
        {
            double logC = StudentT.LogGamma((df + 1) / 2) - StudentT.LogGamma(df / 2) - 0.5 * Math.Log(df * Math.PI);
            double Pdf(double x) => Math.Exp(logC - (df + 1) / 2 * Math.Log(1 + x * x / df));
            foreach (double t in new[] { 0.3, 1.0, 1.8974, 3.5 })
            {
                int n = 20000;
                double h = t / n, sum = Pdf(0) + Pdf(t);
                for (int i = 1; i < n; i++) sum += Pdf(i * h) * (i % 2 == 1 ? 4 : 2);
                double integral = sum * h / 3;
                Assert.Equal(0.5 + integral, StudentT.Cdf(t, df), 6);
            }
        }
    }

    [Theory]
    [InlineData(0.975, 10, 2.228139)]
    [InlineData(0.975, 1, 12.7062)]
    [InlineData(0.975, 30, 2.042272)]
    [InlineData(0.95, 4, 2.131847)]
    [InlineData(0.025, 10, -2.228139)]
    public void Student_t_quantiles_match_tables(double p, double df, double expected)
    {
        Assert.Equal(expected, StudentT.Quantile(p, df), 3);
    }

    [Fact]
    public void Incomplete_beta_matches_the_binomial_identity()
    {
        // I_x(a, b) for integer a, b equals P(Binomial(a+b−1, x) ≥ a): I_0.5(2,3) = 11/16.
        Assert.Equal(11.0 / 16, StudentT.RegularizedIncompleteBeta(2, 3, 0.5), 10);
        double x = 0.3; // I_0.3(1, 4) = 1 − 0.7^4
        Assert.Equal(1 - Math.Pow(0.7, 4), StudentT.RegularizedIncompleteBeta(1, 4, x), 10);
    }

    [Fact]
    public void Welch_statistic_and_degrees_of_freedom_match_a_hand_calculation()
    {
        // R = 1..5 (mean 3, var 2.5), D = 2,4,…,10 (mean 6, var 10): se² = 0.5 + 2, t = 3/√2.5,
        // df = 2.5² / (0.5²/4 + 2²/4) = 6.25 / 1.0625.
        var r = WelchTest.Run(new double[] { 1, 2, 3, 4, 5 }, new double[] { 2, 4, 6, 8, 10 }, 0.95);
        Assert.Equal(3 / Math.Sqrt(2.5), r.T, 10);
        Assert.Equal(6.25 / 1.0625, r.DegreesOfFreedom, 10);
        Assert.Equal(StudentT.TwoSidedP(r.T, r.DegreesOfFreedom), r.PValue, 12);
        Assert.InRange(r.PValue, 0.10, 0.115);
    }

    [Fact]
    public void Fieller_interval_endpoints_solve_the_fieller_equation_and_contain_the_ratio()
    {
        var reference = new double[] { 10.1, 9.8, 10.3, 10.0, 9.9, 10.2 };
        var difference = new double[] { 12.2, 11.8, 12.5, 12.0, 11.9 };
        var r = WelchTest.Run(reference, difference, 0.95);
        double vR = Variance(reference) / reference.Length, vD = Variance(difference) / difference.Length;
        double q = StudentT.Quantile(0.975, r.DegreesOfFreedom);
        foreach (double rho in new[] { r.RatioLow!.Value, r.RatioHigh!.Value })
        {
            double lhs = Math.Pow(r.DifferenceMean - rho * r.ReferenceMean, 2);
            double rhs = q * q * (vD + rho * rho * vR);
            Assert.Equal(rhs, lhs, 8);
        }
        Assert.InRange(r.DifferenceMean / r.ReferenceMean, r.RatioLow.Value, r.RatioHigh.Value);
    }

    [Fact]
    public void Mann_Whitney_fully_separated_three_by_three_has_exact_p_one_tenth()
    {
        // Only 2 of the C(6,3) = 20 equally likely arrangements are this extreme: p = 2/20.
        Assert.Equal(0.1, MannWhitneyTest.ExactPValue(new double[] { 1, 2, 3 }, new double[] { 4, 5, 6 }), 12);
        Assert.Equal(0.1, MannWhitneyTest.ExactPValue(new double[] { 4, 5, 6 }, new double[] { 1, 2, 3 }), 12);
        // 4 × 4 separated: 2/70.
        Assert.Equal(2.0 / 70, MannWhitneyTest.ExactPValue(new double[] { 1, 2, 3, 4 }, new double[] { 5, 6, 7, 8 }), 12);
    }

    [Fact]
    public void Mann_Whitney_critical_values_match_the_published_table()
    {
        // Two-sided 0.05 critical values of U (Mann & Whitney 1947 tables): none for 3×3, 0 for 4×4, 2 for 5×5,
        // 13 for 8×8, 37 for 12×12 (the largest U with P(U ≤ c) ≤ 0.025).
        Assert.Equal(-1, MannWhitneyTest.LowerCriticalU(3, 3, 0.025));
        Assert.Equal(0, MannWhitneyTest.LowerCriticalU(4, 4, 0.025));
        Assert.Equal(2, MannWhitneyTest.LowerCriticalU(5, 5, 0.025));
        Assert.Equal(13, MannWhitneyTest.LowerCriticalU(8, 8, 0.025));
        Assert.Equal(37, MannWhitneyTest.LowerCriticalU(12, 12, 0.025));
    }

    [Fact]
    public void Mann_Whitney_exact_p_with_ties_equals_brute_force_permutation()
    {
        // netperf reports percentiles in whole µs, so ties are the rule: the DP over mid-ranks must equal a full
        // enumeration of the C(N, n) relabellings.
        var rng = new Random(7);
        for (int trial = 0; trial < 40; trial++)
        {
            int m = rng.Next(2, 8), n = rng.Next(2, 8);
            var a = Enumerable.Range(0, m).Select(_ => (double)rng.Next(10, 16)).ToArray();
            var b = Enumerable.Range(0, n).Select(_ => (double)rng.Next(11, 17)).ToArray();
            Assert.Equal(BruteForceP(a, b), MannWhitneyTest.ExactPValue(a, b), 10);
        }
    }

    [Fact]
    public void Beyond_twenty_by_twenty_tied_samples_use_a_normal_approximation_close_to_the_exact_p()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 5; trial++)
        {
            var a = Enumerable.Range(0, 25).Select(_ => (double)rng.Next(10, 20)).ToArray();
            var b = Enumerable.Range(0, 25).Select(_ => (double)rng.Next(11, 21)).ToArray();
            var approx = MannWhitneyTest.Run(a, b, 0.95);
            var exact = MannWhitneyTest.Run(a, b, 0.95, exactPairLimitWithTies: 10_000);
            Assert.False(approx.Exact);
            Assert.True(exact.Exact);
            Assert.InRange(Math.Abs(exact.PValue - approx.PValue), 0, 0.005);
        }
    }

    [Fact]
    public void Hodges_Lehmann_interval_uses_the_critical_order_statistics()
    {
        var reference = new double[] { 10, 11, 12, 13, 14 };
        var difference = new double[] { 20, 22, 24, 26, 28 };
        var r = MannWhitneyTest.Run(reference, difference, 0.95);
        var logDiffs = difference.SelectMany(y => reference.Select(x => Math.Log(y) - Math.Log(x))).Order().ToArray();
        // c = 2 for 5×5: the 3rd smallest and 3rd largest of the 25 pairwise log-ratios.
        Assert.Equal(Math.Exp(logDiffs[2]), r.RatioLow!.Value, 12);
        Assert.Equal(Math.Exp(logDiffs[22]), r.RatioHigh!.Value, 12);
        Assert.Equal(Math.Exp(logDiffs[12]), r.RatioEstimate, 12);
        Assert.Equal(2.0 / 252, r.PValue, 12);
    }

    [Fact]
    public void Quickselect_finds_the_same_order_statistic_as_sorting()
    {
        CsCheck.Gen.Select(CsCheck.Gen.Double[-5, 5].Array[1, 200], CsCheck.Gen.Int[0, 1000], (a, k) => (a, k % a.Length))
            .Sample(t =>
            {
                var (values, k) = t;
                var copy = (double[])values.Clone();
                Assert.Equal(values.Order().ElementAt(k), MannWhitneyTest.Select(copy, k));
            }, iter: 2000);
        // Many ties, as whole-µs differences give.
        var tied = Enumerable.Range(0, 900).Select(i => (double)(i % 7)).ToArray();
        for (int k = 0; k < 900; k += 37) Assert.Equal(tied.Order().ElementAt(k), MannWhitneyTest.Select((double[])tied.Clone(), k));
    }

    [Fact]
    public void Three_by_three_rank_interval_is_unbounded()
    {
        var r = MannWhitneyTest.Run(new double[] { 1, 2, 3 }, new double[] { 4, 5, 6 }, 0.95);
        Assert.Null(r.RatioLow);
        Assert.Null(r.RatioHigh);
    }

    private static double Variance(double[] v)
    {
        double mean = v.Average();
        return v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1);
    }

    private static double BruteForceP(double[] a, double[] b)
    {
        var all = a.Concat(b).ToArray();
        var sorted = all.Order().ToArray();
        double Rank(double v)
        {
            int first = Array.IndexOf(sorted, v), last = Array.LastIndexOf(sorted, v);
            return (first + last + 2) / 2.0;
        }
        var ranks = all.Select(Rank).ToArray();
        double observed = ranks.Skip(a.Length).Sum();
        int N = all.Length, n = b.Length;
        long total = 0, le = 0, ge = 0;
        for (int mask = 0; mask < 1 << N; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != n) continue;
            double s = 0;
            for (int i = 0; i < N; i++) if ((mask & (1 << i)) != 0) s += ranks[i];
            total++;
            if (s <= observed + 1e-9) le++;
            if (s >= observed - 1e-9) ge++;
        }
        return Math.Min(1, 2.0 * Math.Min(le, ge) / total);
    }
}
