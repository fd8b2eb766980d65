using System.Numerics;
using System.Reflection;
using System.Runtime.Loader;
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

    /// <summary>The exact two-sided p by an independent route for any tie pattern: a dynamic programme over the
    /// values one at a time (not over tie groups), on doubled mid-ranks.</summary>
    private static double ElementwiseExactP(double[] a, double[] b)
    {
        var all = a.Concat(b).ToArray();
        var sorted = all.Order().ToArray();
        int Doubled(double v) => Array.IndexOf(sorted, v) + Array.LastIndexOf(sorted, v) + 2;
        int n = b.Length, maxSum = sorted.Reverse().Take(n).Sum(Doubled);
        var count = new double[n + 1, maxSum + 1];
        count[0, 0] = 1;
        int seen = 0;
        foreach (double v in all)
        {
            int score = Doubled(v);
            seen++;
            for (int k = Math.Min(seen, n); k >= 1; k--)
                for (int s = maxSum - score; s >= 0; s--)
                    if (count[k - 1, s] != 0) count[k, s + score] += count[k - 1, s];
        }
        int observed = b.Sum(Doubled);
        double total = 0, le = 0, ge = 0;
        for (int s = 0; s <= maxSum; s++)
        {
            total += count[n, s];
            if (s <= observed) le += count[n, s];
            if (s >= observed) ge += count[n, s];
        }
        return Math.Min(1, 2 * Math.Min(le, ge) / total);
    }

    [Theory]
    [InlineData(60, 60, 1000, 11)]    // practically no ties
    [InlineData(70, 55, 60, 12)]      // many distinct values
    [InlineData(90, 90, 12, 13)]      // large and moderately tied
    public void Where_the_normal_approximation_is_used_it_is_within_0_005_of_the_exact_p(int m, int n, int distinct, int seed)
    {
        // The approximation is used only beyond ExactWorkLimit: large samples with many distinct values. Forced here
        // (work limit 0) on such samples and checked against the element-wise exact distribution.
        var rng = new Random(seed);
        for (int trial = 0; trial < 3; trial++)
        {
            var a = Enumerable.Range(0, m).Select(_ => 100.0 + rng.Next(distinct)).ToArray();
            var b = Enumerable.Range(0, n).Select(_ => 100.0 + rng.Next(distinct) + (trial == 0 ? 0 : distinct * 0.04 * trial)).Select(x => Math.Round(x)).ToArray();
            var approx = MannWhitneyTest.Run(a, b, 0.95, null, exactWorkLimit: 0);
            Assert.False(approx.Exact);
            Assert.InRange(Math.Abs(ElementwiseExactP(a, b) - approx.PValue), 0, 0.005);
        }
    }

    [Fact]
    public void Heavily_tied_samples_of_any_size_are_computed_exactly_and_large_spread_out_ones_approximately()
    {
        var rng = new Random(5);
        var tiedA = Enumerable.Range(0, 200).Select(_ => 19.0 + rng.Next(3)).ToArray();
        var tiedB = Enumerable.Range(0, 200).Select(_ => 19.0 + rng.Next(3)).ToArray();
        Assert.True(MannWhitneyTest.Run(tiedA, tiedB, 0.95).Exact);
        var wideA = Enumerable.Range(0, 300).Select(_ => rng.NextDouble()).ToArray();
        var wideB = Enumerable.Range(0, 300).Select(_ => rng.NextDouble()).ToArray();
        Assert.False(MannWhitneyTest.Run(wideA, wideB, 0.95).Exact);
    }

    [Fact]
    public void The_tie_group_programme_agrees_with_the_element_wise_one_on_random_tie_patterns()
    {
        var rng = new Random(17);
        for (int trial = 0; trial < 60; trial++)
        {
            int m = rng.Next(3, 35), n = rng.Next(3, 35), distinct = rng.Next(2, 25);
            var a = Enumerable.Range(0, m).Select(_ => 10.0 + rng.Next(distinct)).ToArray();
            var b = Enumerable.Range(0, n).Select(_ => 10.0 + rng.Next(distinct) + rng.Next(2)).ToArray();
            var r = MannWhitneyTest.Run(a, b, 0.95);
            Assert.True(r.Exact);
            Assert.Equal(ElementwiseExactP(a, b), r.PValue, 9);
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

    // ---- Issue 10: coinciding samples, state kept between calls ----

    /// <summary>A fresh copy of the module's assembly (its own static state, as in a fresh pwsh) in a collectible load context.</summary>
    private static (AssemblyLoadContext Context, Assembly Assembly) FreshModule()
    {
        var context = new AssemblyLoadContext("fresh-" + Guid.NewGuid().ToString("N"), isCollectible: true);
        return (context, context.LoadFromAssemblyPath(typeof(MannWhitneyTest).Assembly.Location));
    }

    private static object FreshRun(Assembly module, double[] reference, double[] difference) =>
        module.GetType("OnloadTools.Latency.MannWhitneyTest")!
            .GetMethod("Run", new[] { typeof(IReadOnlyList<double>), typeof(IReadOnlyList<double>), typeof(double) })!
            .Invoke(null, new object[] { reference, difference, 0.95 })!;

    private static T Get<T>(object o, string property) => (T)o.GetType().GetProperty(property)!.GetValue(o)!;

    public static readonly TheoryData<double[], double[]> CoincidingSamples = new()
    {
        { new double[] { 19, 19, 19, 19, 19 }, new double[] { 19, 19, 19, 19, 19 } },    // quiet host, whole-µs P50
        { new double[] { 10, 11, 12, 13, 14 }, new double[] { 10, 11, 12, 13, 14 } },    // a run against a copy of itself
        { new double[] { 19, 19, 19, 19 }, new double[] { 19, 19, 19, 19, 19, 19 } },
        { new double[] { 7, 7, 7, 7, 7, 7, 7, 7 }, new double[] { 7, 7, 7, 7, 7, 7, 7, 7 } },
    };

    [Theory]
    [MemberData(nameof(CoincidingSamples))]
    public void Coinciding_samples_as_the_first_call_in_a_fresh_module_give_p_one_and_the_brute_force_interval(double[] reference, double[] difference)
    {
        var (context, module) = FreshModule();
        try
        {
            var r = FreshRun(module, reference, difference);
            Assert.Equal(BruteForceP(reference, difference), Get<double>(r, "PValue"), 12);
            Assert.Equal(1.0, Get<double>(r, "PValue"), 12);
            var (lo, hi) = BruteForceHodgesLehmann(reference, difference);
            Assert.Equal(lo, Get<double?>(r, "RatioLow")!.Value, 12);
            Assert.Equal(hi, Get<double?>(r, "RatioHigh")!.Value, 12);
        }
        finally { context.Unload(); }
    }

    [Fact]
    public void A_comparison_gives_the_same_answer_whatever_the_process_compared_before()
    {
        // Every ordering of a few comparisons (ties, no ties, 5 × 5 and others) in a fresh module must give each the
        // answer it gives as the very first call: no state kept between calls may change a result.
        var cases = new (double[] R, double[] D)[]
        {
            (new double[] { 19, 19, 19, 19, 19 }, new double[] { 19, 19, 19, 19, 19 }),
            (new double[] { 20, 20, 20, 20, 20 }, new double[] { 21, 21, 21, 21, 21 }),
            (new double[] { 10, 11, 12, 13, 14 }, new double[] { 10, 11, 12, 13, 14 }),
            (new double[] { 1.5, 2.5, 3.5, 4.5, 5.5 }, new double[] { 6.1, 7.1, 8.1, 9.1, 10.1 }),
            (new double[] { 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 }, new double[] { 4, 4, 4, 4, 4, 4, 4, 4, 4, 4 }),
        };
        var first = new (double P, double? Lo, double? Hi)[cases.Length];
        for (int i = 0; i < cases.Length; i++)
        {
            var (context, module) = FreshModule();
            try
            {
                var r = FreshRun(module, cases[i].R, cases[i].D);
                first[i] = (Get<double>(r, "PValue"), Get<double?>(r, "RatioLow"), Get<double?>(r, "RatioHigh"));
                Assert.Equal(BruteForceP(cases[i].R, cases[i].D), first[i].P, 12);
            }
            finally { context.Unload(); }
        }
        foreach (var order in new[] { new[] { 1, 0, 2, 3, 4 }, new[] { 3, 0, 2, 1, 4 }, new[] { 4, 3, 2, 1, 0 }, new[] { 0, 1, 2, 3, 4 } })
        {
            var (context, module) = FreshModule();
            try
            {
                foreach (int i in order)
                {
                    var r = FreshRun(module, cases[i].R, cases[i].D);
                    Assert.Equal(first[i].P, Get<double>(r, "PValue"), 15);
                    Assert.Equal(first[i].Lo, Get<double?>(r, "RatioLow"));
                    Assert.Equal(first[i].Hi, Get<double?>(r, "RatioHigh"));
                }
            }
            finally { context.Unload(); }
        }
    }

    // ---- Issue 10: Fieller's interval without cancellation ----

    [Fact]
    public void Fieller_interval_of_constant_samples_is_the_exact_ratio()
    {
        // No spread on either side: the interval is the ratio itself (closed form), here 15.3 / 15 = 1.02.
        var r = WelchTest.Run(new double[] { 15, 15, 15, 15, 15 }, new double[] { 15.3, 15.3, 15.3, 15.3, 15.3 }, 0.95);
        Assert.NotNull(r.RatioLow);
        Assert.Equal(15.3 / 15, r.RatioLow!.Value, 14);
        Assert.Equal(15.3 / 15, r.RatioHigh!.Value, 14);
        Assert.Equal(0, r.PValue);
    }

    [Theory]
    [InlineData(15.0, 15.3125, 20)]     // nearly constant: b² and 4ac agree in 15 digits
    [InlineData(15.0, 15.3125, 12)]
    [InlineData(20.0, 21.0, 24)]
    [InlineData(1000.0, 1000.5, 16)]
    public void Fieller_interval_of_nearly_constant_samples_matches_28_digit_decimal_arithmetic(double centreR, double centreD, int noiseBits)
    {
        // Inputs are dyadic, so exactly the same numbers in double and decimal; the reference solves the textbook
        // quadratic (b² − 4ac) in decimal arithmetic, where the cancellation costs nothing.
        double unit = Math.Pow(2, -noiseBits);
        var reference = new[] { 0, 1, 2, 1, 0, 3 }.Select(k => centreR + k * unit).ToArray();
        var difference = new[] { 2, 0, 1, 1, 3 }.Select(k => centreD + k * unit).ToArray();
        var r = WelchTest.Run(reference, difference, 0.95);
        decimal q = (decimal)StudentT.Quantile(0.975, r.DegreesOfFreedom);
        decimal mR = reference.Select(v => (decimal)v).Average(), mD = difference.Select(v => (decimal)v).Average();
        decimal vR = reference.Select(v => ((decimal)v - mR) * ((decimal)v - mR)).Sum() / (reference.Length - 1) / reference.Length;
        decimal vD = difference.Select(v => ((decimal)v - mD) * ((decimal)v - mD)).Sum() / (difference.Length - 1) / difference.Length;
        decimal a = mR * mR - q * q * vR, b = -2 * mD * mR, c = mD * mD - q * q * vD;
        decimal root = DecimalSqrt(b * b - 4 * a * c);
        double lo = (double)((-b - root) / (2 * a)), hi = (double)((-b + root) / (2 * a));
        double width = hi - lo;
        Assert.True(width > 0);
        Assert.NotNull(r.RatioLow);
        Assert.InRange(r.RatioLow!.Value, lo - 1e-6 * width, lo + 1e-6 * width);
        Assert.InRange(r.RatioHigh!.Value, hi - 1e-6 * width, hi + 1e-6 * width);
    }

    private static decimal DecimalSqrt(decimal x)
    {
        if (x <= 0) return 0;
        decimal g = (decimal)Math.Sqrt((double)x);
        for (int i = 0; i < 8; i++) g = (g + x / g) / 2;
        return g;
    }

    // ---- Issue 10: exact p-values with heavy ties beyond 20 × 20 ----

    /// <summary>
    /// The exact two-sided p of the rank-sum test with ties by a route independent of the module: enumerate how many
    /// of the difference sample fall in each tie group (j₁ … j_G, Σ j = n), each with Π C(g, j) arrangements, in
    /// exact integer arithmetic. Feasible when there are few distinct values — the heavy-ties case.
    /// </summary>
    private static double TieGroupEnumerationP(double[] reference, double[] difference)
    {
        var all = reference.Concat(difference).ToArray();
        var values = all.Distinct().Order().ToArray();
        int[] size = values.Select(v => all.Count(x => x == v)).ToArray();
        var doubledRank = new long[values.Length];
        long before = 0;
        for (int g = 0; g < values.Length; g++) { doubledRank[g] = 2 * before + size[g] + 1; before += size[g]; }
        long observed = difference.Sum(v => doubledRank[Array.IndexOf(values, v)]);
        BigInteger total = 0, le = 0, ge = 0;
        var j = new int[values.Length];
        void Walk(int g, int left, long w, BigInteger ways)
        {
            if (g == values.Length)
            {
                if (left != 0) return;
                total += ways;
                if (w <= observed) le += ways;
                if (w >= observed) ge += ways;
                return;
            }
            for (int k = 0; k <= Math.Min(size[g], left); k++) Walk(g + 1, left - k, w + k * doubledRank[g], ways * Binomial(size[g], k));
        }
        Walk(0, difference.Length, 0, BigInteger.One);
        BigInteger tail = BigInteger.Min(le, ge) * 2;
        return tail >= total ? 1.0 : (double)(tail * BigInteger.Pow(10, 30) / total) / 1e30;
    }

    private static BigInteger Binomial(int n, int k)
    {
        BigInteger r = 1;
        for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
        return r;
    }

    [Theory]
    [InlineData(25, 25, 3, 1)]
    [InlineData(25, 25, 4, 2)]
    [InlineData(30, 30, 3, 3)]
    [InlineData(30, 30, 4, 4)]
    [InlineData(21, 26, 4, 5)]
    [InlineData(40, 40, 5, 6)]
    [InlineData(60, 50, 4, 7)]
    public void With_heavy_ties_beyond_twenty_by_twenty_the_p_value_is_the_exact_one(int m, int n, int distinct, int seed)
    {
        // Whole-µs percentiles on a quiet host: 3–5 distinct values. Several draws per size, one shifted by a value.
        var rng = new Random(seed);
        for (int trial = 0; trial < 6; trial++)
        {
            int shift = trial % 3 == 0 ? 0 : 1;
            var a = Enumerable.Range(0, m).Select(_ => 19.0 + rng.Next(distinct)).ToArray();
            var b = Enumerable.Range(0, n).Select(_ => 19.0 + Math.Min(distinct - 1, rng.Next(distinct) + (rng.Next(3) == 0 ? shift : 0))).ToArray();
            double exact = TieGroupEnumerationP(a, b);
            var r = MannWhitneyTest.Run(a, b, 0.95);
            Assert.True(r.Exact, $"{m}×{n}: exact expected");
            Assert.Equal(exact, r.PValue, 10);
        }
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

    /// <summary>The Hodges-Lehmann 95 % interval of the ratio by sorting all pairwise log-ratios and an exact critical
    /// value found by enumerating every assignment of ranks 1…N (no ties: the continuous null distribution of U).</summary>
    private static (double Low, double High) BruteForceHodgesLehmann(double[] reference, double[] difference)
    {
        int m = reference.Length, n = difference.Length;
        var (uCounts, total) = ExactRankReference.UDistribution(m, n);
        int c = ExactRankReference.LowerCriticalValue(uCounts, total, 0.025);   // P(U ≤ c) ≤ 0.025
        var logs = difference.SelectMany(y => reference.Select(x => Math.Log(y) - Math.Log(x))).Order().ToArray();
        return (Math.Exp(logs[c]), Math.Exp(logs[m * n - 1 - c]));
    }
}
