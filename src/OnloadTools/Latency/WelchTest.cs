using System.Runtime.CompilerServices;
namespace OnloadTools.Latency;

/// <summary>
/// Welch's unequal-variance t-test of two means (Welch–Satterthwaite degrees of freedom) and Fieller's
/// confidence interval for their ratio, which gives the CI of the relative difference directly.
/// </summary>
internal static class WelchTest
{
    public readonly record struct Result(
        double ReferenceMean, double DifferenceMean, double T, double DegreesOfFreedom, double PValue,
        double? RatioLow, double? RatioHigh)
    {
        /// <summary>The interval of the relative difference in %: 100 × (ρ − 1), computed so that constant data give
        /// exactly 100 × (mD − mR) / mR.</summary>
        public double? PercentLow { get; init; }
        public double? PercentHigh { get; init; }
        /// <summary>The interval at the second level asked for (the equivalence test's), %; null when unbounded or not asked.</summary>
        public double? SecondPercentLow { get; init; }
        public double? SecondPercentHigh { get; init; }
    }

    /// <summary>Needs at least two values per side.</summary>
    public static Result Run(IReadOnlyList<double> reference, IReadOnlyList<double> difference, double confidenceLevel) =>
        Run(reference, difference, confidenceLevel, null);

    /// <summary>As <see cref="Run(IReadOnlyList{double}, IReadOnlyList{double}, double)"/>, with Fieller's interval at a
    /// second confidence level too (<see cref="Result.SecondPercentLow"/>), e.g. the 90 % one of a TOST at 5 %.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Result Run(IReadOnlyList<double> reference, IReadOnlyList<double> difference, double confidenceLevel, double? secondConfidenceLevel)
    {
        int nR = reference.Count, nD = difference.Count;
        if (nR < 2 || nD < 2) throw new ArgumentException("Welch's t-test needs at least two values on each side.");
        double mR = Mean(reference), mD = Mean(difference);
        double vR = Variance(reference, mR) / nR, vD = Variance(difference, mD) / nD;
        double se2 = vR + vD;
        double t, df, p;
        if (se2 <= 0 || double.IsNaN(se2))
        {
            // No spread on either side: the means are either equal or certainly different.
            df = nR + nD - 2;
            t = mD == mR ? 0 : Math.Sign(mD - mR) * double.PositiveInfinity;
            p = mD == mR ? 1 : 0;
        }
        else
        {
            t = (mD - mR) / Math.Sqrt(se2);
            double denom = (vR > 0 ? vR * vR / (nR - 1) : 0) + (vD > 0 ? vD * vD / (nD - 1) : 0);
            df = se2 * se2 / denom;
            p = StudentT.TwoSidedP(t, df);
        }

        // Fieller: the ρ for which (mD − ρ·mR)² ≤ q²(vD + ρ²vR), q the t quantile (Welch df). Divided by mR², with
        // r = mD/mR, g = q²vR/mR², w = q²vD/mR²: (1 − g)ρ² − 2rρ + r² − w ≤ 0, whose discriminant (over 4) is
        // g·r² + (1 − g)·w — a sum of non-negative terms for g < 1, where the textbook b² − 4ac subtracts two nearly
        // equal numbers (no interval at all for constant data). ρ − 1 = (δ + g ± √(g·r² + (1 − g)·w)) / (1 − g), with
        // δ = (mD − mR)/mR, so that constant data give exactly the relative difference.
        var main = Fieller(mR, mD, vR, vD, StudentT.Quantile(1 - (1 - confidenceLevel) / 2, df));
        var second = secondConfidenceLevel is { } l2 ? Fieller(mR, mD, vR, vD, StudentT.Quantile(1 - (1 - l2) / 2, df)) : default;
        return new Result(mR, mD, t, df, p, main.RatioLow, main.RatioHigh)
        {
            PercentLow = main.Low,
            PercentHigh = main.High,
            SecondPercentLow = second.Low,
            SecondPercentHigh = second.High,
        };
    }

    /// <summary>
    /// Fieller's interval of the relative difference (%) widened by the tool's resolution: the true means may lie
    /// <paramref name="referenceBelow"/> below to <paramref name="referenceAbove"/> above the reference's mean (and so
    /// for the difference), so the lower bound is Fieller's lower bound for the difference's lowest and the reference's
    /// highest mean, the upper bound for the opposite corner (the variances, which resolution does not shift, are the
    /// data's). With zero widths it is <see cref="Run(IReadOnlyList{double}, IReadOnlyList{double}, double)"/>'s
    /// interval. Null bounds where that interval is unbounded.
    /// </summary>
    internal static (double? Low, double? High) ResolvedPercentInterval(IReadOnlyList<double> reference, IReadOnlyList<double> difference, double level,
        double referenceBelow, double referenceAbove, double differenceBelow, double differenceAbove)
    {
        int nR = reference.Count, nD = difference.Count;
        if (nR < 2 || nD < 2) throw new ArgumentException("Welch's t-test needs at least two values on each side.");
        double mR = Mean(reference), mD = Mean(difference);
        double vR = Variance(reference, mR) / nR, vD = Variance(difference, mD) / nD;
        double se2 = vR + vD;
        double df = se2 <= 0 || double.IsNaN(se2)
            ? nR + nD - 2
            : se2 * se2 / ((vR > 0 ? vR * vR / (nR - 1) : 0) + (vD > 0 ? vD * vD / (nD - 1) : 0));
        double q = StudentT.Quantile(1 - (1 - level) / 2, df);
        if (referenceBelow == 0 && referenceAbove == 0 && differenceBelow == 0 && differenceAbove == 0)
        {
            var same = Fieller(mR, mD, vR, vD, q);
            return (same.Low, same.High);
        }
        var low = Fieller(mR + referenceAbove, Math.Max(0, mD - differenceBelow), vR, vD, q);
        var high = mR - referenceBelow > 0 ? Fieller(mR - referenceBelow, mD + differenceAbove, vR, vD, q) : default;
        return (low.Low, high.High);
    }

    private static (double? Low, double? High, double? RatioLow, double? RatioHigh) Fieller(double mR, double mD, double vR, double vD, double q)
    {
        if (mR == 0 || !double.IsFinite(q)) return default;
        double mR2 = mR * mR;
        double g = q * q * vR / mR2;
        if (!(g < 1)) return default;   // the reference mean is not distinguishable from zero: unbounded
        double r = mD / mR, w = q * q * vD / mR2;
        double half = Math.Sqrt(g * r * r + (1 - g) * w);
        double centre = 100 * (mD - mR) / mR;
        return ((centre + 100 * (g - half)) / (1 - g), (centre + 100 * (g + half)) / (1 - g), (r - half) / (1 - g), (r + half) / (1 - g));
    }

    /// <summary>The mean, shifted by the first value so that n copies of one value average to exactly that value.</summary>
    internal static double Mean(IReadOnlyList<double> v)
    {
        double first = v[0], s = 0;
        for (int i = 1; i < v.Count; i++) s += v[i] - first;
        return first + s / v.Count;
    }

    internal static double Variance(IReadOnlyList<double> v, double mean)
    {
        double ss = 0;
        for (int i = 0; i < v.Count; i++) ss += (v[i] - mean) * (v[i] - mean);
        return ss / (v.Count - 1);
    }
}
