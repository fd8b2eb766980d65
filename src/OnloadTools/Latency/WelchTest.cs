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
        double? RatioLow, double? RatioHigh);

    /// <summary>Needs at least two values per side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Result Run(IReadOnlyList<double> reference, IReadOnlyList<double> difference, double confidenceLevel)
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

        // Fieller: the ρ for which (mD − ρ·mR)² ≤ q²(vD + ρ²vR), q the t quantile (Welch df).
        double q = StudentT.Quantile(1 - (1 - confidenceLevel) / 2, df);
        double a = mR * mR - q * q * vR;
        double b = -2 * mD * mR;
        double c = mD * mD - q * q * vD;
        double? lo = null, hi = null;
        if (a > 0)
        {
            double disc = b * b - 4 * a * c;
            if (disc >= 0)
            {
                double s = Math.Sqrt(disc);
                double r1 = (-b - s) / (2 * a), r2 = (-b + s) / (2 * a);
                lo = Math.Min(r1, r2);
                hi = Math.Max(r1, r2);
            }
        }
        return new Result(mR, mD, t, df, p, lo, hi);
    }

    internal static double Mean(IReadOnlyList<double> v)
    {
        double s = 0;
        for (int i = 0; i < v.Count; i++) s += v[i];
        return s / v.Count;
    }

    internal static double Variance(IReadOnlyList<double> v, double mean)
    {
        double ss = 0;
        for (int i = 0; i < v.Count; i++) ss += (v[i] - mean) * (v[i] - mean);
        return ss / (v.Count - 1);
    }
}
