using System.Collections.Concurrent;
using System.Globalization;

namespace OnloadTools.Latency;

/// <summary>
/// The stopping rule of Invoke-LatencyComparison: a group-sequential design with repeated confidence intervals
/// (Jennison and Turnbull) at one level for every look, calibrated for the intervals actually used.
/// <para>
/// A look happens each time both arms have the same number of iterations n, from <see cref="MinimumIterations"/> to
/// <see cref="MaximumIterations"/> (so K = max − min + 1 looks at most). At every look the Fieller interval of the
/// ratio of means (Welch's t, Welch–Satterthwaite df) is computed at the level 1 − α′. The interval excludes a ratio of
/// 1 exactly when Welch's test rejects at α′, so the chance that some look declares a difference that is not there is
/// P(min over the looks of Welch's p ≤ α′). That chance depends on the looks, on n (small-sample t) and on how much
/// noisier one arm is than the other (Welch's df are an approximation, worst near a 1:4 to 1:10 ratio of standard
/// deviations). α′ is therefore found by simulating exactly that statistic on normal iterations at each of
/// <see cref="VarianceRatios"/> and taking the smallest α′ over them (<see cref="CalibratedAlpha"/>): the error holds
/// whichever arm is noisier. A Brownian-motion (Pocock) constant does not: it ignores both small n and unequal noise
/// (its 98.5 % looks erred 6.7 % of the time at a 1:4 ratio).
/// </para>
/// <para>The calibration aims at <see cref="CalibrationShare"/> of α, so that the promised α holds with the Monte Carlo
/// error of the calibration to spare; it is checked by an independent simulation of the whole rule in the tests
/// (unequal noise, serial correlation of the host, drift, a step: docs/statistics.md). The error rate is per test: an
/// experiment of T tests errs somewhere with probability at most T·α.</para>
/// </summary>
internal sealed class SequentialDecision
{
    private static readonly ConcurrentDictionary<string, double> Alphas = new();

    /// <summary>The ratios of the two arms' standard deviations the calibration guards against (the worst one decides).</summary>
    public static IReadOnlyList<double> VarianceRatios { get; } = new[] { 1.0, 1.5, 2, 3, 4, 6, 10, 30, 1000 };

    /// <summary>The share of α the calibration aims at: the Monte Carlo error of the simulation stays on the safe side.</summary>
    public const double CalibrationShare = 0.95;

    /// <summary>What the error rate is stated for: each test of an experiment on its own.</summary>
    public const string ErrorRateScope = "PerTest";

    public SequentialDecision(int minimumIterations, int maximumIterations, double confidenceLevel)
    {
        if (minimumIterations < 2) throw new ArgumentOutOfRangeException(nameof(minimumIterations), "At least 2 iterations per arm are needed for an interval.");
        if (maximumIterations < minimumIterations) throw new ArgumentOutOfRangeException(nameof(maximumIterations), "The maximum must be at least the minimum.");
        if (confidenceLevel is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(confidenceLevel), "The confidence level must be between 0 and 1.");
        MinimumIterations = minimumIterations;
        MaximumIterations = maximumIterations;
        ConfidenceLevel = confidenceLevel;
        double alpha = CalibratedAlpha(minimumIterations, maximumIterations, 1 - confidenceLevel);
        AdjustedConfidenceLevel = 1 - alpha;
        BoundaryConstant = NormalQuantile(1 - alpha / 2);
    }

    /// <summary>A fixed protocol: one look after exactly <paramref name="iterations"/> per arm, calibrated like every look
    /// (Welch's test is itself slightly liberal with few iterations and unequal noise).</summary>
    public static SequentialDecision Fixed(int iterations, double confidenceLevel) => new(iterations, iterations, confidenceLevel);

    public int MinimumIterations { get; }
    public int MaximumIterations { get; }
    /// <summary>The overall confidence the verdicts are given at (1 − α).</summary>
    public double ConfidenceLevel { get; }
    /// <summary>The largest number of looks (K).</summary>
    public int Looks => MaximumIterations - MinimumIterations + 1;
    /// <summary>The normal-equivalent constant of the looks, Φ⁻¹(1 − α′/2), for comparison with Pocock's tables.</summary>
    public double BoundaryConstant { get; }
    /// <summary>1 − α′: the level of each look's interval.</summary>
    public double AdjustedConfidenceLevel { get; }

    /// <summary>The look that <paramref name="iterationsPerArm"/> completed iterations (the smaller arm's count) make, 1 … K; 0 before the first.</summary>
    public int LookAt(int iterationsPerArm) =>
        iterationsPerArm < MinimumIterations ? 0 : Math.Min(Looks, iterationsPerArm - MinimumIterations + 1);

    /// <summary>
    /// One look at the values of one test: the comparison at the adjusted level, and whether it ends the test
    /// (a verdict other than Inconclusive, or the last look). The verdict and interval are LatencyComparer's.
    /// </summary>
    public SequentialLook Evaluate(string testName, string metric, double[] reference, double[] difference, ComparisonOptions options, bool outOfTime = false,
        IReadOnlyList<LatencyRun>? referenceRuns = null, IReadOnlyList<LatencyRun>? differenceRuns = null)
    {
        int n = Math.Min(reference.Length, difference.Length);
        var atLevel = new ComparisonOptions
        {
            EquivalenceMargin = options.EquivalenceMargin,
            RegressionThreshold = options.RegressionThreshold,
            ConfidenceLevel = AdjustedConfidenceLevel,
            MinimumIterations = Math.Min(options.MinimumIterations, MinimumIterations),
            Metrics = options.Metrics,
        };
        LatencyComparison c = LatencyComparer.CompareValues(testName, metric, reference, difference, atLevel, referenceRuns, differenceRuns);
        int look = LookAt(n);
        bool decided = look > 0 && c.Verdict != LatencyVerdict.Inconclusive;
        bool last = look >= Looks || outOfTime;
        return new SequentialLook(look, c, decided, decided || last);
    }

    /// <summary>Half the width of a look's interval, % (the precision reached); null when it is unbounded.</summary>
    public static double? HalfWidth(LatencyComparison c) =>
        c.ConfidenceIntervalLow is { } lo && c.ConfidenceIntervalHigh is { } hi ? (hi - lo) / 2 : null;

    /// <summary>What the rule is, in one sentence, for Method and the docs.</summary>
    public string Describe() => Looks == 1
        ? string.Create(CultureInfo.InvariantCulture, $"fixed protocol: {MinimumIterations} iterations per arm, one look at {AdjustedConfidenceLevel * 100:0.##}% for at most {(1 - ConfidenceLevel) * 100:0.##}% false verdicts per test")
        : string.Create(CultureInfo.InvariantCulture,
            $"group-sequential: up to {Looks} looks at {MinimumIterations}…{MaximumIterations} iterations per arm, repeated {AdjustedConfidenceLevel * 100:0.##}% intervals for at most {(1 - ConfidenceLevel) * 100:0.##}% false verdicts per test");

    // ------------------------------------------------------------------ the calibration

    /// <summary>
    /// α′ for looks at n = min … max per arm and an overall α: the smallest, over <see cref="VarianceRatios"/>, of the
    /// (<see cref="CalibrationShare"/>·α)-quantile of min over the looks of Welch's two-sided p, simulated on normal
    /// iterations (fixed seeds, so the rule is reproducible). Cached per (min, max, α).
    /// </summary>
    internal static double CalibratedAlpha(int min, int max, double alpha) =>
        Alphas.GetOrAdd(string.Create(CultureInfo.InvariantCulture, $"{min}/{max}/{alpha:R}"), _ => VarianceRatios.AsParallel().Select((k, i) => MinPQuantile(min, max, alpha * CalibrationShare, k, Paths(min, max), 20_261_207 + i)).Min());

    /// <summary>Simulated paths per variance ratio: 50,000 for up to 10 looks, fewer for long designs (at least 10,000).</summary>
    internal static int Paths(int min, int max) => Math.Clamp(500_000 / (max - min + 1), 10_000, 50_000);

    /// <summary>The q-quantile of min over looks of Welch's two-sided p, arms N(0, 1) and N(0, k²).</summary>
    internal static double MinPQuantile(int min, int max, double q, double k, int paths, int seed)
    {
        var rng = new Random(seed);
        var minima = new double[paths];
        for (int p = 0; p < paths; p++)
        {
            // Running sums (Welford) of both arms, one new iteration each per step.
            double meanA = 0, m2A = 0, meanB = 0, m2B = 0, best = 1;
            for (int n = 1; n <= max; n++)
            {
                double a = Normal(rng), b = k * Normal(rng);
                double dA = a - meanA; meanA += dA / n; m2A += dA * (a - meanA);
                double dB = b - meanB; meanB += dB / n; m2B += dB * (b - meanB);
                if (n < min) continue;
                double vA = m2A / (n - 1) / n, vB = m2B / (n - 1) / n, se2 = vA + vB;
                double t = (meanB - meanA) / Math.Sqrt(se2);
                double df = se2 * se2 / ((vA * vA + vB * vB) / (n - 1));
                double pv = StudentT.TwoSidedP(t, df);
                if (pv < best) best = pv;
            }
            minima[p] = best;
        }
        Array.Sort(minima);
        return minima[Math.Max(0, (int)Math.Floor(q * paths) - 1)];
    }

    private static double Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Standard normal CDF, through erfc (Numerical Recipes' Chebyshev fit, relative error &lt; 1.2e-7).</summary>
    internal static double NormalCdf(double z)
    {
        double x = Math.Abs(z) / Math.Sqrt(2);
        double t = 1 / (1 + 0.5 * x);
        double erfc = t * Math.Exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
                      t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return z >= 0 ? 1 - erfc / 2 : erfc / 2;
    }

    /// <summary>Inverse of <see cref="NormalCdf"/> by bisection.</summary>
    internal static double NormalQuantile(double p)
    {
        double lo = -40, hi = 40;
        for (int i = 0; i < 200; i++)
        {
            double mid = (lo + hi) / 2;
            if (NormalCdf(mid) < p) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }
}

/// <summary>One look of the sequential rule at one test.</summary>
/// <param name="Look">1 … K; 0 before the first look (too few iterations).</param>
/// <param name="Comparison">The comparison at the adjusted level.</param>
/// <param name="Decided">The interval gave a verdict (Equivalent, Slower or Faster).</param>
/// <param name="Final">Nothing more will be measured for this test (decided, last look, or out of time).</param>
internal sealed record SequentialLook(int Look, LatencyComparison Comparison, bool Decided, bool Final);
