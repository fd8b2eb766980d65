namespace OnloadTools.Latency;

/// <summary>Turns parsed netperf output into a <see cref="LatencySample"/>.</summary>
internal static class NetperfSampleMapper
{
    public static LatencySample ToSample(NetperfOutput output, string testName, int iteration)
    {
        string? unitsText = output.Values.TryGetValue("THROUGHPUT_UNITS", out var ut) ? ut : null;
        bool rr = testName.EndsWith("RR", StringComparison.Ordinal)
                  || output.Banner?.TestName?.EndsWith("RR", StringComparison.Ordinal) == true
                  || unitsText?.StartsWith("Tran", StringComparison.OrdinalIgnoreCase) == true;
        double? rate = output.GetDouble("TRANSACTION_RATE");
        if (rate is null && rr)
        {
            if (unitsText is null || unitsText.StartsWith("Tran", StringComparison.OrdinalIgnoreCase))
            {
                rate = output.GetDouble("THROUGHPUT");
            }
        }

        double? rt = output.GetDouble("RT_LATENCY");
        bool burst = output.Banner?.Flags.Any(f => f.StartsWith("first burst", StringComparison.Ordinal) && f != "first burst 0") == true;
        if (rt is null && rate is > 0 && rr && !burst)
        {
            rt = 1_000_000.0 / rate.Value;
        }

        double? confWidth = output.GetDouble("THROUGHPUT_CONFID");
        if (confWidth is < 0) confWidth = null; // netperf prints -1.000 when no confidence was asked for
        double? confLevel = output.GetDouble("CONFIDENCE_LEVEL");
        if (confLevel is <= 0) confLevel = null;
        confLevel ??= output.Banner?.ConfidenceLevel;
        bool? achieved = output.ConfidenceAchieved;
        if (achieved is null && confWidth is not null && output.Banner?.ConfidenceWidth is { } wanted)
        {
            achieved = confWidth <= wanted + 1e-9;
        }
        if (confWidth is null && output.ReportedConfidenceInterval is { } reported) confWidth = reported;

        var warnings = output.Warnings.ToList();
        if (achieved == false && !warnings.Any(w => w.Contains("confidence", StringComparison.OrdinalIgnoreCase)))
        {
            warnings.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Desired confidence was not achieved: the interval is {confWidth:0.###}% wide, {output.Banner?.ConfidenceWidth:0.###}% was asked for."));
        }

        return new LatencySample
        {
            TestName = testName,
            Iteration = iteration,
            MinLatency = output.GetDouble("MIN_LATENCY"),
            MeanLatency = output.GetDouble("MEAN_LATENCY"),
            P50Latency = output.GetDouble("P50_LATENCY"),
            P90Latency = output.GetDouble("P90_LATENCY"),
            P99Latency = output.GetDouble("P99_LATENCY"),
            MaxLatency = output.GetDouble("MAX_LATENCY"),
            StdDevLatency = output.GetDouble("STDDEV_LATENCY"),
            RoundTripLatency = rt,
            TransactionRate = rate,
            RequestSize = output.GetInt("REQUEST_SIZE"),
            ResponseSize = output.GetInt("RESPONSE_SIZE"),
            ElapsedSeconds = output.GetDouble("ELAPSED_TIME"),
            LocalCpu = output.GetInt("LOCAL_CPU_BIND") is { } l && l >= 0 ? l : null,
            RemoteCpu = output.GetInt("REMOTE_CPU_BIND") is { } r && r >= 0 ? r : null,
            ConfidenceLevel = confLevel,
            ConfidenceWidth = confWidth,
            ConfidenceIterations = output.GetInt("CONFIDENCE_ITERATION"),
            ConfidenceAchieved = achieved,
            Warnings = warnings.ToArray(),
        };
    }

    /// <summary>True when the output holds at least one latency or rate figure a latency run can use.</summary>
    public static bool HasLatency(LatencySample s) =>
        s.MeanLatency is not null || s.RoundTripLatency is not null || s.P99Latency is not null || s.MinLatency is not null;
}
