using System.Collections.Concurrent;
using System.Globalization;

namespace OnloadTools.Latency;

/// <summary>
/// The stopping rule of Invoke-LatencyComparison: a group-sequential design with repeated confidence intervals
/// (Jennison and Turnbull) at a Pocock-type constant level.
/// <para>
/// A look happens each time both arms have the same number of iterations n, from <see cref="MinimumIterations"/> to
/// <see cref="MaximumIterations"/> (so K = max − min + 1 looks at most). At every look the Fieller interval of the
/// ratio of means is computed at the adjusted level 1 − α′ instead of 1 − α, where α′ = 2(1 − Φ(c)) and c is the
/// constant with P(max over the looks of |Z_k| ≥ c) = α for the standardised statistics Z_k of those very look sizes
/// (a Brownian motion observed at n = min … max). The intervals then cover the true ratio at every look at once with
/// probability ≥ 1 − α, so whatever the verdict rule does with them (stop at the first Equivalent, Slower or Faster)
/// a false verdict, which needs an interval that misses the true ratio, happens with probability ≤ α.
/// </para>
/// <para>c is found by simulation of the look sizes with a fixed seed (200,000 paths, reproducible); the error rates
/// of the whole rule with Welch's small-sample intervals are checked by simulation in the tests (docs/statistics.md).</para>
/// </summary>
internal sealed class SequentialDecision
{
    private static readonly ConcurrentDictionary<string, double> Constants = new();

    public SequentialDecision(int minimumIterations, int maximumIterations, double confidenceLevel)
    {
        if (minimumIterations < 2) throw new ArgumentOutOfRangeException(nameof(minimumIterations), "At least 2 iterations per arm are needed for an interval.");
        if (maximumIterations < minimumIterations) throw new ArgumentOutOfRangeException(nameof(maximumIterations), "The maximum must be at least the minimum.");
        if (confidenceLevel is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(confidenceLevel), "The confidence level must be between 0 and 1.");
        MinimumIterations = minimumIterations;
        MaximumIterations = maximumIterations;
        ConfidenceLevel = confidenceLevel;
        BoundaryConstant = Looks == 1 ? NormalQuantile(1 - (1 - confidenceLevel) / 2) : PocockConstant(minimumIterations, maximumIterations, 1 - confidenceLevel);
        AdjustedConfidenceLevel = Looks == 1 ? confidenceLevel : 1 - 2 * (1 - NormalCdf(BoundaryConstant));
    }

    /// <summary>A fixed protocol: one look after exactly <paramref name="iterations"/> per arm, at the nominal level.</summary>
    public static SequentialDecision Fixed(int iterations, double confidenceLevel) => new(iterations, iterations, confidenceLevel);

    public int MinimumIterations { get; }
    public int MaximumIterations { get; }
    /// <summary>The overall confidence the verdicts are given at (1 − α).</summary>
    public double ConfidenceLevel { get; }
    /// <summary>The largest number of looks (K).</summary>
    public int Looks => MaximumIterations - MinimumIterations + 1;
    /// <summary>The Pocock-type constant c of the repeated intervals.</summary>
    public double BoundaryConstant { get; }
    /// <summary>1 − α′: the level of each look's interval (the nominal level when there is a single look).</summary>
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
        ? string.Create(CultureInfo.InvariantCulture, $"fixed protocol: {MinimumIterations} iterations per arm, one look at {ConfidenceLevel * 100:0.##}%")
        : string.Create(CultureInfo.InvariantCulture,
            $"group-sequential: up to {Looks} looks at {MinimumIterations}…{MaximumIterations} iterations per arm, repeated {AdjustedConfidenceLevel * 100:0.##}% intervals (Pocock c = {BoundaryConstant:0.###}) for {ConfidenceLevel * 100:0.##}% overall");

    // ------------------------------------------------------------------ the constant

    /// <summary>c with P(max_k |S(n_k)|/√n_k ≥ c) = α for a standard random walk S observed at n = min … max.</summary>
    internal static double PocockConstant(int min, int max, double alpha) =>
        Constants.GetOrAdd(string.Create(CultureInfo.InvariantCulture, $"{min}/{max}/{alpha:R}"), _ => SimulateConstant(min, max, alpha));

    private static double SimulateConstant(int min, int max, double alpha)
    {
        const int paths = 200_000;
        var rng = new Random(20_061_130);
        var maxima = new double[paths];
        for (int p = 0; p < paths; p++)
        {
            // S(min) ~ N(0, min), then one N(0,1) increment per further iteration.
            double s = Normal(rng) * Math.Sqrt(min);
            double m = Math.Abs(s) / Math.Sqrt(min);
            for (int n = min + 1; n <= max; n++)
            {
                s += Normal(rng);
                double z = Math.Abs(s) / Math.Sqrt(n);
                if (z > m) m = z;
            }
            maxima[p] = m;
        }
        Array.Sort(maxima);
        return maxima[(int)Math.Ceiling((1 - alpha) * paths) - 1];
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
