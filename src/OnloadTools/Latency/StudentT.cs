using System.Runtime.CompilerServices;
namespace OnloadTools.Latency;

/// <summary>
/// Student's t distribution from first principles: the regularized incomplete beta function (continued fraction,
/// modified Lentz) and log-gamma (Lanczos). No statistics package is needed.
/// </summary>
internal static class StudentT
{
    /// <summary>P(T ≤ t) for T ~ t(df); df may be fractional (Welch–Satterthwaite).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Cdf(double t, double df)
    {
        if (double.IsNaN(t) || double.IsNaN(df) || df <= 0) return double.NaN;
        if (double.IsPositiveInfinity(t)) return 1;
        if (double.IsNegativeInfinity(t)) return 0;
        double x = df / (df + t * t);
        double tail = 0.5 * RegularizedIncompleteBeta(df / 2, 0.5, x); // P(T > |t|)
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>Two-sided p-value P(|T| ≥ |t|).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double TwoSidedP(double t, double df)
    {
        if (double.IsNaN(t) || double.IsNaN(df) || df <= 0) return double.NaN;
        if (double.IsInfinity(t)) return 0;
        return Math.Min(1, RegularizedIncompleteBeta(df / 2, 0.5, df / (df + t * t)));
    }

    /// <summary>The t with P(T ≤ t) = p (0 &lt; p &lt; 1): Newton's method on the CDF from a Cornish-Fisher start,
    /// with bisection as the fallback.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Quantile(double p, double df)
    {
        if (p <= 0 || p >= 1 || df <= 0 || double.IsNaN(df)) throw new ArgumentOutOfRangeException(nameof(p));
        if (p == 0.5) return 0;
        if (p < 0.5) return -Quantile(1 - p, df);
        double z = NormalQuantile(p);
        double t = z + (z * z * z + z) / (4 * df);
        double logC = LogGamma((df + 1) / 2) - LogGamma(df / 2) - 0.5 * Math.Log(df * Math.PI);
        for (int i = 0; i < 50 && t > 0 && double.IsFinite(t); i++)
        {
            double f = Cdf(t, df) - p;
            double pdf = Math.Exp(logC - (df + 1) / 2 * Math.Log(1 + t * t / df));
            double step = f / pdf;
            t -= step;
            if (Math.Abs(step) < 1e-12 * Math.Max(1, Math.Abs(t))) return t;
        }
        // Heavy tails (df near 1) can throw Newton off: bisect instead.
        double lo = 0, hi = 1;
        while (Cdf(hi, df) < p) { lo = hi; hi *= 2; if (hi > 1e12) return double.PositiveInfinity; }
        for (int i = 0; i < 200 && hi - lo > 1e-12 * Math.Max(1, hi); i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Cdf(mid, df) < p) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>Standard normal quantile for p ≥ 0.5 (Abramowitz &amp; Stegun 26.2.23, |error| &lt; 4.5e-4): a starting point.</summary>
    private static double NormalQuantile(double p)
    {
        double q = 1 - p;
        double t = Math.Sqrt(-2 * Math.Log(q));
        return t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
    }

    /// <summary>I_x(a, b), the regularized incomplete beta function.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double RegularizedIncompleteBeta(double a, double b, double x)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double lnFront = LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x);
        double front = Math.Exp(lnFront);
        // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
        if (x < (a + 1) / (a + b + 2)) return front * BetaContinuedFraction(a, b, x) / a;
        return 1 - front * BetaContinuedFraction(b, a, 1 - x) / b;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double BetaContinuedFraction(double a, double b, double x)
    {
        const double tiny = 1e-300, eps = 1e-15;
        double qab = a + b, qap = a + 1, qam = a - 1;
        double c = 1, d = 1 - qab * x / qap;
        if (Math.Abs(d) < tiny) d = tiny;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= 1000; m++)
        {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + aa / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d; h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + aa / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.Abs(del - 1) < eps) break;
        }
        return h;
    }

    private static readonly double[] Lanczos =
    {
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    };

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        double sum = Lanczos[0];
        for (int i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
