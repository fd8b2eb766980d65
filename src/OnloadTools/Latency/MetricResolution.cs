using System.Globalization;

namespace OnloadTools.Latency;

/// <summary>
/// The resolution of a measuring tool: for a value the tool reported, the interval of true values it stands for.
/// A comparison widens its interval by it, so that no interval or verdict claims more precision than the instrument has.
/// </summary>
/// <remarks>
/// <para>netperf (read in netlib.c and nettest_omni.c of HewlettPackard/netperf). Each transaction is timed by
/// <c>delta_micro</c> in whole microseconds. On Linux (glibc has no <c>gethrtime</c>; Debian's and RHEL's netperf import
/// <c>gettimeofday</c>, not <c>clock_gettime</c>) it is the difference of two whole-µs clock readings, so one transaction
/// of true duration d is recorded as ⌊d⌋ or ⌈d⌉ — off by less than 1 µs either way, and unbiased over many transactions
/// because the start falls anywhere within a clock tick (a build with <c>gethrtime</c> truncates nanoseconds / 1000
/// instead: [v, v + 1), inside the interval used here for every metric but the mean).</para>
/// <para><c>HIST_add</c> puts each whole-µs time in a histogram of 1 µs buckets below 100 µs, 10 µs up to 1 ms, 100 µs up
/// to 10 ms, 1 ms up to 100 ms (a decade's width / 10), and <c>HIST_get_percentile</c> returns, for P50/P90/P99_LATENCY,
/// the bucket holding the percentile's observation, linearly interpolated inside it and truncated to a whole µs: below
/// 100 µs the bucket's own value, above it a point inside the bucket. So a reported percentile v stands for a true value
/// in [L − 1, L + w]: L the lower edge of v's bucket, w its width, the 1 µs below for the clock. (Where the percentile's
/// observation is the last of its bucket the interpolation returns the bucket's upper edge; that edge case, one in the
/// bucket's count, is not widened for.) Measured on this machine's netperf 2.7.0 (loopback TCP_RR, 3 × 2 s): P50 17–18,
/// P99 152–866 µs, each a whole number.</para>
/// <para>MIN_LATENCY is <c>hmin</c>, the smallest whole-µs time (no bucket): [v − 1, v + 1]. MEAN_LATENCY is
/// <c>sum / total</c> of the whole-µs times, printed "%.2f": with the clock's unbiased rounding its only resolution is
/// the printing, ± 0.005 µs (measured: MEAN_LATENCY − RT_LATENCY = −0.08 to −0.09 µs over three runs, the loop's own
/// overhead; a truncating clock would put it near −0.5). STDDEV_LATENCY is the population standard deviation of the
/// whole-µs times: the rounding adds at most 1/4 µs² of variance, so the truth is in [√(v² − 0.25), v] ± 0.005.
/// RT_LATENCY and the transaction rate come from the elapsed time and the count, printed to 3 decimals: ± 0.0005.</para>
/// <para>sockperf times each message with the TSC or a nanosecond clock and prints every latency (avg-lat, std-dev,
/// percentiles, MIN/MAX) in µs with 3 decimals: ± 0.0005 µs. With --full-log (Measure-SockperfLatency
/// -FullDistribution, Invoke-LatencyComparison -Tool Sockperf) the percentiles come from an HdrHistogram of 4
/// significant digits (<see cref="LatencyDistribution"/>): exact below 32.768 µs; above, a value is the highest of its
/// bucket, 2^(⌊log2 ns⌋ − 14) ns wide, so the truth lies up to that width below it.</para>
/// <para>Unknown tool (a run whose samples carry no netperf or sockperf command line, e.g. a hand-made hashtable): the
/// values are taken as exact, resolution 0, no widening — the comparison says so in its ResolutionBasis.</para>
/// </remarks>
internal sealed class MetricResolution
{
    public const string Netperf = "netperf";
    public const string Sockperf = "sockperf";
    public const string Unknown = "unknown";

    /// <summary>netperf's clock: each transaction's time is a difference of two whole-µs readings.</summary>
    public const double NetperfClock = 1;

    private MetricResolution(string tool, bool histogram = false)
    {
        Tool = tool;
        Histogram = histogram;
    }

    /// <summary>netperf, sockperf or unknown.</summary>
    public string Tool { get; }

    /// <summary>sockperf's percentiles were read from its full log into a histogram (4 significant digits).</summary>
    public bool Histogram { get; }

    /// <summary>The width in µs of the histogram bucket a full-log percentile of <paramref name="value"/> µs stands for
    /// (0 below 32.768 µs, where every nanosecond has its own).</summary>
    public static double HistogramBucketWidth(double value)
    {
        double ns = Math.Round(value * 1000);
        if (!(ns >= 32768)) return 0;
        return Math.Pow(2, Math.Floor(Math.Log2(ns)) - 14) / 1000;
    }

    private bool FromHistogram(string metric) => Tool == Sockperf && Histogram && metric is "P50" or "P90" or "P99" or "P999";

    public static MetricResolution ForTool(string? tool) => new(tool switch
    {
        Netperf => Netperf,
        Sockperf => Sockperf,
        _ => Unknown,
    });

    /// <summary>True when the tool is known (netperf or sockperf).</summary>
    public bool IsKnown => Tool != Unknown;

    /// <summary>The width of netperf's histogram bucket holding a whole-µs time: 1 µs below 100 µs, then a tenth of the decade.</summary>
    public static double NetperfBucketWidth(double value)
    {
        if (!(value >= 100)) return 1;
        double decade = Math.Pow(10, Math.Floor(Math.Log10(value)));
        // Math.Log10 of an exact power of ten is exact, but guard against 999.9999 → 100 style rounding either way.
        if (decade * 10 <= value) decade *= 10;
        else if (decade > value) decade /= 10;
        return decade / 10;
    }

    /// <summary>The interval [Low, High] of true values a reported value of the metric stands for.</summary>
    public (double Low, double High) TrueRange(string metric, double value)
    {
        if (!double.IsFinite(value)) return (value, value);
        switch (Tool)
        {
            case Netperf:
                switch (metric)
                {
                    case "P50" or "P90" or "P99":
                        double w = NetperfBucketWidth(value);
                        double edge = w <= 1 ? value : Math.Floor(value / w) * w;
                        return (edge - NetperfClock, edge + w);
                    case "Min":
                        return (value - NetperfClock, value + NetperfClock);
                    case "Mean":
                        return (value - 0.005, value + 0.005);
                    case "StdDev":
                        return (Math.Sqrt(Math.Max(0, value * value - 0.25)) - 0.005, value + 0.005);
                    default:   // TransactionRate, RT_LATENCY
                        return (value - 0.0005, value + 0.0005);
                }
            case Sockperf:
                return (value - (FromHistogram(metric) ? HistogramBucketWidth(value) : 0) - 0.0005, value + 0.0005);
            default:
                return (value, value);
        }
    }

    /// <summary>How far below the reported value the truth may lie (≥ 0).</summary>
    public double Below(string metric, double value) => value - TrueRange(metric, value).Low;
    /// <summary>How far above the reported value the truth may lie (≥ 0).</summary>
    public double Above(string metric, double value) => TrueRange(metric, value).High - value;
    /// <summary>The width of the interval of true values at the value, in the metric's unit (0 for an unknown tool).</summary>
    public double Width(string metric, double value)
    {
        var (lo, hi) = TrueRange(metric, value);
        return hi - lo;
    }

    /// <summary>In words, for the comparison's ResolutionBasis.</summary>
    public string Describe(string metric, double value)
    {
        string v = value.ToString("0.###", CultureInfo.InvariantCulture);
        var (lo, hi) = TrueRange(metric, value);
        string range = $"[{lo.ToString("0.###", CultureInfo.InvariantCulture)}, {hi.ToString("0.###", CultureInfo.InvariantCulture)}]";
        return Tool switch
        {
            Netperf => metric switch
            {
                "P50" or "P90" or "P99" => $"netperf: {v} stands for {range} µs ({NetperfBucketWidth(value).ToString("0.###", CultureInfo.InvariantCulture)} µs histogram bucket, whole-µs clock)",
                "Min" => $"netperf: {v} stands for {range} µs (whole-µs clock)",
                "Mean" => $"netperf: {v} ± 0.005 µs (mean of whole-µs times, printed to 2 decimals)",
                "StdDev" => $"netperf: {v} stands for {range} µs (whole-µs times add up to 0.25 µs² of variance)",
                _ => $"netperf: {v} ± 0.0005 (printed to 3 decimals)",
            },
            Sockperf when FromHistogram(metric) && HistogramBucketWidth(value) > 0 =>
                $"sockperf full log: {v} stands for {range} µs (the highest value of a {(HistogramBucketWidth(value) * 1000).ToString("0", CultureInfo.InvariantCulture)} ns histogram bucket)",
            Sockperf => $"sockperf: {v} ± 0.0005 (printed to 3 decimals)",
            _ => "unknown tool (no netperf or sockperf command line on the samples): values taken as exact, no widening",
        };
    }

    /// <summary>
    /// The tool that measured these runs: the program named in the samples' command lines (netperf or sockperf, also
    /// behind onload or podman exec), else sockperf when the run says Tool sockperf; otherwise unknown (LatencyRun.Tool
    /// defaults to netperf, so on its own it does not prove netperf: a hashtable without Tool binds as netperf). When
    /// the runs mix tools, the coarser one (netperf) wins, so the widening covers every value.
    /// </summary>
    public static MetricResolution Of(IEnumerable<LatencyRun>? runs)
    {
        if (runs is null) return ForTool(Unknown);
        bool netperf = false, sockperf = false, histogram = false;
        foreach (var run in runs)
        {
            string? tool = null;
            foreach (var s in run.Samples ?? Array.Empty<LatencySample>())
            {
                tool = ToolInCommandLine(s.CommandLine);
                if (tool is not null) break;
            }
            // a sample whose percentiles came from sockperf's full log (its command line has --full-log)
            histogram |= tool == Sockperf && (run.Samples ?? Array.Empty<LatencySample>()).Any(s => s.CommandLine?.Contains(" --full-log ", StringComparison.Ordinal) == true);
            tool ??= string.Equals(run.Tool, Sockperf, StringComparison.OrdinalIgnoreCase) ? Sockperf : null;
            if (tool == Netperf) netperf = true;
            if (tool == Sockperf) sockperf = true;
        }
        return netperf ? ForTool(Netperf) : sockperf ? new MetricResolution(Sockperf, histogram) : ForTool(Unknown);
    }

    /// <summary>netperf or sockperf when a word of the command line is that program (a path to it too), else null.</summary>
    internal static string? ToolInCommandLine(string? commandLine)
    {
        if (string.IsNullOrWhiteSpace(commandLine)) return null;
        foreach (string raw in commandLine.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            string word = raw.Trim('\'', '"');
            string name = word.Contains('/') ? word[(word.LastIndexOf('/') + 1)..] : word;
            if (name == Netperf) return Netperf;
            if (name == Sockperf) return Sockperf;
        }
        return null;
    }
}
