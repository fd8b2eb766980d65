using System.Globalization;
using OnloadTools.Latency;

namespace OnloadTools.Bench;

/// <summary>
/// Goal of Invoke-LatencyComparison: the paper's verdicts (5 iterations of 120 s per arm and test, compared once at
/// 95 %) in at most a quarter of the wall time, at equal error rates. Simulated over the iteration distributions
/// recorded on this machine (bench/data/netperf-iterations.csv: netperf TCP_RR/UDP_RR means of 1 s and 4 s iterations
/// on loopback) and over a quiet host's (the same shapes scaled to 3 % noise).
/// <para>Model: an iteration's mean is centre × ratio × exp(s(D)·z), z drawn from the recorded standardised log-values of
/// that test (their real tails), s(D)² = b + w/D fitted to the two recorded durations (b: drift between iterations,
/// w: noise that averages out within one; both clamped at 0). Wall time: every netperf run costs D + 0.2 s.</para>
/// Options: [comparisons] (default 2000) [csv path].
/// </summary>
public static class ComparisonBenchmark
{
    private const double Overhead = 0.2;

    public static int Run(string[] args)
    {
        int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
        string csv = args.Length > 1 ? args[1] : Path.Combine(AppContext.BaseDirectory, "../../../../data/netperf-iterations.csv");
        if (!File.Exists(csv)) csv = Path.Combine(Directory.GetCurrentDirectory(), "bench/data/netperf-iterations.csv");
        var recorded = Load(csv);
        Console.WriteLine($"Iteration distributions from {Path.GetFullPath(csv)}:");
        foreach (var (test, m) in recorded)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {test}: s(1 s) = {m.S1:0.###}, s(4 s) = {m.S4:0.###} (log scale) → drift b = {m.B:0.####}, within w = {m.W:0.####}; s(10 s) = {m.S(10):0.###}, s(120 s) = {m.S(120):0.###}"));
        }

        var paper = SequentialDecision.Fixed(5, 0.95);
        var adaptive = new SequentialDecision(3, 10, 0.95);
        Console.WriteLine($"Paper: {paper.Describe()}, 120 s iterations. Adaptive: {adaptive.Describe()}, 10 s iterations.");
        bool fast = true, same = true;
        var shortfalls = new List<string>();
        foreach (string noise in new[] { "recorded", "quiet (3 %)" })
        {
            Console.WriteLine($"\nNoise: {noise}; {n} simulated comparisons (TCP_RR and UDP_RR together) per ratio");
            Console.WriteLine($"  {"ratio",6}  {"protocol",-9} {"Equivalent",10} {"Slower",7} {"Faster",7} {"Inconcl.",8}  {"mean time",10}");
            foreach (double ratio in new[] { 1.00, 1.05, 1.30, 0.60 })
            {
                var p = Simulate(paper, 120, ratio, recorded, noise != "recorded", n, seed: 1);
                var a = Simulate(adaptive, 10, ratio, recorded, noise != "recorded", n, seed: 2);
                Print(ratio, "paper", p);
                Print(ratio, "adaptive", a);
                double timeRatio = a.MeanSeconds / p.MeanSeconds;
                // The verdict the truth calls for: Equivalent at 1.00, Slower at and beyond the margin, Faster below.
                string right = ratio == 1.00 ? "Equivalent" : ratio > 1 ? "Slower" : "Faster";
                // "The same verdicts": the adaptive rule reaches the right one at least as often as the paper, within
                // three binomial standard deviations of the difference.
                double tolerance = 3 * Math.Sqrt((p.Rate(right) * (1 - p.Rate(right)) + a.Rate(right) * (1 - a.Rate(right))) / n);
                bool asGood = a.Rate(right) >= p.Rate(right) - tolerance;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {"",6}  time ratio adaptive/paper = {timeRatio:0.000} (goal ≤ 0.25); {right}: adaptive {a.Rate(right):P1}, paper {p.Rate(right):P1}: {(asGood ? "as good" : "FEWER right verdicts")}"));
                fast &= timeRatio <= 0.25;
                same &= asGood;
                if (!asGood) shortfalls.Add(string.Create(CultureInfo.InvariantCulture, $"{noise} noise at ratio {ratio:0.00} ({right} {a.Rate(right):P1} vs {p.Rate(right):P1})"));
            }
        }
        Console.WriteLine(fast ? "\nTime: MET, at most a quarter of the paper's wall time in every scenario." : "\nTime: NOT MET in some scenario (see above).");
        Console.WriteLine(same ? "Verdicts: MET, the right verdict at least as often as the paper in every scenario."
            : "Verdicts: NOT MET in " + string.Join("; ", shortfalls) + ". Where the noise lies within iterations, precision grows with the time measured: a quarter of the time cannot match the paper there.");
        return fast && same ? 0 : 1;
    }

    private static void Print(double ratio, string name, Outcome o) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {ratio,6:0.00}  {name,-9} {o.Rate("Equivalent"),10:P1} {o.Rate("Slower"),7:P1} {o.Rate("Faster"),7:P1} {o.Rate("Inconclusive"),8:P1}  {o.MeanSeconds,8:0} s"));

    private sealed class Outcome
    {
        public Dictionary<string, int> Verdicts { get; } = new();
        public int Count { get; set; }
        public double MeanSeconds { get; set; }
        public double Rate(string v) => Verdicts.TryGetValue(v, out int c) ? (double)c / Count : 0;
    }

    private static Outcome Simulate(SequentialDecision rule, int duration, double ratio, Dictionary<string, Model> models, bool quiet, int n, int seed)
    {
        var rng = new Random(seed);
        var o = new Outcome();
        double totalSeconds = 0;
        var tests = models.Keys.ToArray();
        for (int i = 0; i < n; i++)
        {
            var exp = new LatencyExperiment(tests, rule, new ComparisonOptions());
            double seconds = 0;
            while (exp.NextStep() is { } step)
            {
                foreach (string t in step.Tests)
                {
                    var m = models[t];
                    double s = quiet ? 0.03 : m.S(duration);
                    double z = m.Z[rng.Next(m.Z.Length)];
                    double centre = 30 * (step.Arm == 1 ? ratio : 1);
                    exp.Record(t, step.Arm, centre * Math.Exp(s * z));
                    seconds += duration + Overhead;
                }
                exp.EndStep();
            }
            foreach (string t in tests)
            {
                string v = exp.LastLook(t)!.Comparison.Verdict;
                o.Verdicts[v] = o.Verdicts.GetValueOrDefault(v) + 1;
                o.Count++;
            }
            totalSeconds += seconds;
        }
        o.MeanSeconds = totalSeconds / n;
        return o;
    }

    private sealed class Model
    {
        public double S1 { get; init; }
        public double S4 { get; init; }
        public double B { get; init; }
        public double W { get; init; }
        public double[] Z { get; init; } = Array.Empty<double>();
        public double S(double d) => Math.Sqrt(Math.Max(1e-8, B + W / d));
    }

    private static Dictionary<string, Model> Load(string path)
    {
        var rows = File.ReadAllLines(path).Skip(1)
            .Select(l => l.Split(','))
            .Where(f => f.Length == 4 && double.TryParse(f[3], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            .Select(f => (Test: f[0], D: int.Parse(f[1], CultureInfo.InvariantCulture), Log: Math.Log(double.Parse(f[3], CultureInfo.InvariantCulture))))
            .ToArray();
        var models = new Dictionary<string, Model>();
        foreach (var g in rows.GroupBy(r => r.Test))
        {
            double Sd(IEnumerable<double> v) { var a = v.ToArray(); double m = a.Average(); return Math.Sqrt(a.Sum(x => (x - m) * (x - m)) / (a.Length - 1)); }
            var byD = g.GroupBy(r => r.D).ToDictionary(x => x.Key, x => x.Select(r => r.Log).ToArray());
            double s1 = Sd(byD[1]), s4 = Sd(byD[4]);
            // s² = b + w/D at D = 1 and 4: w = (s1² − s4²)·4/3, b = s4² − w/4 (clamped at 0).
            double w = Math.Max(0, (s1 * s1 - s4 * s4) * 4 / 3);
            double b = Math.Max(0, s4 * s4 - w / 4);
            if (b == 0 && w == 0) b = s4 * s4;
            var z = byD.Values.SelectMany(v => { double m = v.Average(), s = Sd(v); return v.Select(x => (x - m) / s); }).ToArray();
            models[g.Key] = new Model { S1 = s1, S4 = s4, B = b, W = w, Z = z };
        }
        return models;
    }
}
