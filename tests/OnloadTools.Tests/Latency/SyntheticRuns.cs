namespace OnloadTools.Tests.Latency;

/// <summary>Reproducible synthetic runs: per-iteration latencies drawn around a centre with a given relative noise. Their
/// command line names no measuring tool (the fractional percentiles are no netperf output), so comparisons take their
/// values as exact (resolution unknown, no widening); a test of resolution names the tool with <c>tool</c>.</summary>
public static class SyntheticRuns
{
    public static LatencyRun Make(string label, string test, double meanUs, double relativeNoise, int iterations, int seed,
        DateTime? start = null, string tool = "synthetic")
    {
        var rng = new Random(seed);
        var t0 = start ?? new DateTime(2026, 11, 20, 2, 0, 0, DateTimeKind.Utc);
        double Noise() => 1 + relativeNoise * (rng.NextDouble() * 2 - 1);
        var samples = Enumerable.Range(1, iterations).Select(i =>
        {
            double mean = meanUs * Noise();
            return new LatencySample
            {
                TestName = test,
                Iteration = i,
                Label = label,
                MeanLatency = mean,
                MinLatency = mean * 0.8 * Noise(),
                P50Latency = mean * 0.97 * Noise(),
                P90Latency = mean * 1.2 * Noise(),
                P99Latency = mean * 1.5 * Noise(),
                MaxLatency = mean * 3,
                StdDevLatency = mean * 0.1 * Noise(),
                TransactionRate = 1e6 / mean,
                StartTime = t0.AddSeconds(10 * i),
                EndTime = t0.AddSeconds(10 * i + 10),
                CommandLine = $"{tool} -H 127.0.0.1 -t {test}",
            };
        }).ToArray();
        return new LatencyRun
        {
            RunId = $"{label}-{test}-{seed}".ToLowerInvariant() + Guid.NewGuid().ToString("N")[..6],
            Label = label,
            TestName = test,
            ComputerName = "127.0.0.1",
            Port = 12865,
            StartTime = t0,
            EndTime = t0.AddSeconds(10 * iterations + 10),
            DurationSeconds = 10,
            IterationsRequested = iterations,
            Status = "Completed",
            Samples = samples,
            HostName = "synthetic",
        };
    }

    /// <summary>A run whose iterations have exactly these mean latencies (other metrics derived).</summary>
    public static LatencyRun WithMeans(string label, string test, params double[] means)
    {
        var run = Make(label, test, 10, 0, means.Length, 1);
        for (int i = 0; i < means.Length; i++)
        {
            var s = run.Samples[i];
            s.MeanLatency = means[i];
            s.MinLatency = means[i] * 0.8;
            s.P50Latency = means[i] * 0.97;
            s.P99Latency = means[i] * 1.5;
            s.StdDevLatency = means[i] * 0.1;
            s.TransactionRate = 1e6 / means[i];
        }
        return run;
    }
}
