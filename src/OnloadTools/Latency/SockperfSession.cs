using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using OnloadTools.Host;
using OnloadTools.Processes;

namespace OnloadTools.Latency;

/// <summary>
/// One Measure-SockperfLatency invocation: sockperf's command lines and how its output (and --full-log) becomes a
/// sample. Each protocol has its own server; a private `sockperf server` is started per protocol on a free loopback
/// port when none serves.
/// </summary>
internal sealed partial class SockperfSession : LatencySession
{
    public SockperfSession(IToolRunner runner, HostFileSystem fs, SockperfRequest request) : base(runner, fs)
    {
        Request = request;
    }

    public override SockperfRequest Request { get; }
    public override string Tool => "sockperf";
    public override string ServerName => "sockperf server";
    private protected override string ServerTool => "sockperf";
    private protected override int DefaultPort => SockperfRequest.DefaultPort;

    /// <summary>Time one iteration is expected to take (the run, sockperf's 0.4 s warm-up, start-up), for progress.</summary>
    public override TimeSpan ExpectedIterationTime => TimeSpan.FromSeconds(Request.DurationSeconds + 0.6);

    private protected override string ServerKey(string protocol) => protocol;

    public override string DescribeServer(string protocol) => $"sockperf {protocol} server";

    public override string Describe() =>
        $"Measuring against {Target} with sockperf {ToolVersion ?? "(unknown version)"}; latencies are {(Request.RoundTrip ? "round trips" : "one-way (half the round trip), as sockperf reports them")}.";

    [GeneratedRegex(@"version\s+(?<v>\S+)")]
    private static partial Regex VersionWord();

    private protected override ToolCommand VersionCommand => new("sockperf", "--version");

    private protected override string? ParseVersion(ToolResult v)
    {
        var m = VersionWord().Match(SockperfParser.StripAnsi(v.CombinedOutput));
        return m.Success ? m.Groups["v"].Value : SockperfParser.Parse(v.CombinedOutput).Version;
    }

    /// <summary>sockperf -i takes addresses only: a name is resolved here (IPv4 first).</summary>
    private protected override async Task<string> AddressOfAsync(string host, CancellationToken ct)
    {
        if (IPAddress.TryParse(host, out var ip)) return ip.ToString();
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            if (chosen is not null) return chosen.ToString();
        }
        catch (SocketException e)
        {
            throw Failure(LatencyFailure.Connection, $"The name '{host}' does not resolve: {e.Message}", e.Message, inner: e, target: host);
        }
        throw Failure(LatencyFailure.Connection, $"The name '{host}' resolves to no address.", "", target: host);
    }

    /// <summary>Something answers on loopback: a TCP listener accepts, or a UDP socket holds the port.</summary>
    private protected override bool IsServing(string protocol, int port) =>
        protocol == "TCP" ? LoopbackPorts.TcpAccepts(port) : LoopbackPorts.UdpBound(port);

    private protected override int FreePort(string protocol) =>
        protocol == "TCP" ? LoopbackPorts.FreeTcpPort() : LoopbackPorts.FreeUdpPort();

    private protected override string Clean(string output) => SockperfParser.StripAnsi(output);

    /// <summary>The private server's command for a protocol.</summary>
    public override ToolCommand BuildServerCommand(string protocol, int port)
    {
        var args = new List<string> { "server", "-i", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture) };
        if (protocol == "TCP") args.Add("--tcp");
        return OnClient(new ToolCommand("sockperf", args) { Tethered = true }, underOnload: true);
    }

    public override ToolCommand BuildCommand(string protocol) => BuildCommand(protocol, null);

    /// <summary>The exact sockperf ping-pong command line for one iteration of <paramref name="protocol"/>.</summary>
    public ToolCommand BuildCommand(string protocol, string? fullLogPath)
    {
        var r = Request;
        var args = new List<string>
        {
            "ping-pong",
            "-i", Target,
            "-p", PortFor(protocol).ToString(CultureInfo.InvariantCulture),
            "-t", r.DurationSeconds.ToString(CultureInfo.InvariantCulture),
            "-m", r.MessageSize.ToString(CultureInfo.InvariantCulture),
            "--mps=" + (r.MessagesPerSecond is int mps ? mps.ToString(CultureInfo.InvariantCulture) : "max"),
        };
        if (protocol == "TCP") args.Add("--tcp");
        if (r.RoundTrip) args.Add("--full-rtt");
        if (fullLogPath is not null)
        {
            args.Add("--full-log");
            args.Add(fullLogPath);
        }
        // Tethered: its own process group (a terminal's Ctrl+C does not cut the iteration short) and it dies with pwsh.
        return OnClient(new ToolCommand("sockperf", args) { Tethered = true, Started = MeasuringToolStarted }, underOnload: true);
    }

    private protected override void Describe(LatencyRun run, string protocol)
    {
        run.TestName = SockperfRequest.TestNameFor(protocol);
        run.RequestSize = Request.MessageSize;
        run.ResponseSize = Request.MessageSize;
        run.LatencyKind = Request.LatencyKind;
    }

    public override async Task<LatencySample> RunIterationAsync(LatencyRun run, string protocol, int iteration, CancellationToken ct)
    {
        // In a container sockperf writes its log in the container's /tmp, read back through the engine (cat) and removed.
        string? fullLog = !Request.FullDistribution ? null
            : RunsInContainer ? $"/tmp/{SockperfFullLog.Prefix}{Guid.NewGuid():N}.csv"
            : SockperfFullLog.NewPath(Path.GetTempPath());
        try
        {
            ToolCommand cmd = BuildCommand(protocol, fullLog);
            ToolResult result = await Runner.RunAsync(cmd, IterationTimeout, ct).ConfigureAwait(false);
            string raw = SockperfParser.StripAnsi(result.CombinedOutput);
            SockperfOutput parsed = SockperfParser.Parse(result.CombinedOutput);
            string where = Where(protocol);

            // First: an interrupted sockperf may also say "No messages were sent", which is no error of its own.
            if (CutShort(raw, parsed) is { } why)
            {
                throw Failure(LatencyFailure.CutShort,
                    $"{run.TestName} iteration {iteration} was cut short ({why}) and is not kept. Command: {result.CommandLine}", raw, result);
            }
            switch (parsed.ErrorKind)
            {
                case SockperfErrorKind.Connection:
                    throw Failure(LatencyFailure.Connection,
                        $"No sockperf {protocol} server answered at {where}. sockperf said: {parsed.ErrorMessage}", raw, result, target: where,
                        action: "Start 'sockperf server -p PORT' (add --tcp for TCP) on the target, open the port in its firewall, or omit -ComputerName to measure this host.");
                case SockperfErrorKind.InvalidArgument:
                    throw Failure(LatencyFailure.InvalidArgument,
                        $"sockperf rejected '{result.CommandLine}': {parsed.ErrorMessage}", raw, result);
                case SockperfErrorKind.Other:
                    throw Failure(LatencyFailure.ToolError, $"sockperf failed: {parsed.ErrorMessage} ({result.Describe()})", raw, result);
            }
            if (result.ExitCode != 0)
            {
                throw Failure(LatencyFailure.ToolError, $"sockperf failed: {result.Describe()}", raw, result);
            }
            if (!parsed.HasResult || parsed.Mean is null && parsed.Percentile(50) is null)
            {
                throw Failure(LatencyFailure.Unparsable,
                    $"sockperf's output for {run.TestName} iteration {iteration} holds no latency this module can read. Command: {result.CommandLine}", raw, result);
            }

            LatencySample sample = Stamp(ToSample(parsed, run.TestName, iteration), run, result);
            sample.RequestSize = Request.MessageSize;
            sample.ResponseSize = Request.MessageSize;
            sample.LatencyKind = parsed.LatencyKind ?? Request.LatencyKind;

            if (fullLog is not null)
            {
                await AddDistributionAsync(sample, parsed, fullLog, raw, result, ct).ConfigureAwait(false);
            }
            return sample;
        }
        finally
        {
            if (fullLog is not null && RunsInContainer)
            {
                try { await Runner.RunAsync(OnClient(new ToolCommand("rm", "-f", "--", fullLog)), TimeSpan.FromSeconds(20), CancellationToken.None).ConfigureAwait(false); }
                catch (Exception e) when (e is ToolTimeoutException or IOException or InvalidOperationException) { /* the container's /tmp goes with the container */ }
            }
            else if (fullLog is not null)
            {
                try { File.Delete(fullLog); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    /// <summary>
    /// Why an iteration ran shorter than asked, or null. sockperf ends a run on SIGINT with "Test end (interrupted
    /// by user)", prints the figures of the shortened run and exits 0; its "[Total Run] RunTime" (to 1 ms) is the
    /// whole run, warm-up included.
    /// </summary>
    internal string? CutShort(string output, SockperfOutput parsed)
    {
        if (output.Contains("interrupted by user", StringComparison.Ordinal)) return "sockperf was interrupted";
        if (parsed.TotalRunTimeSeconds is double total && total + 0.0015 < Request.DurationSeconds)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{total:0.000} s of the {Request.DurationSeconds} s asked for");
        }
        return null;
    }

    /// <summary>Maps sockperf's summary to a sample (µs as printed; the run's kind decides one-way or round trip).</summary>
    public static LatencySample ToSample(SockperfOutput o, string testName, int iteration)
    {
        var s = new LatencySample
        {
            TestName = testName,
            Iteration = iteration,
            MinLatency = o.Min,
            MeanLatency = o.Mean,
            StdDevLatency = o.StdDev,
            P50Latency = o.Percentile(50),
            P90Latency = o.Percentile(90),
            P99Latency = o.Percentile(99),
            P999Latency = o.Percentile(99.9),
            P9999Latency = o.Percentile(99.99),
            P99999Latency = o.Percentile(99.999),
            MaxLatency = o.Max,
            Observations = o.Observations,
            ElapsedSeconds = o.ValidRunTimeSeconds,
            TransactionRate = o.ReceivedMessages is long rx && o.ValidRunTimeSeconds is > 0 ? Math.Round(rx / o.ValidRunTimeSeconds.Value, 3) : null,
            LatencyKind = o.LatencyKind ?? "OneWay",
            Warnings = o.Warnings.ToArray(),
        };
        return s;
    }

    private async Task AddDistributionAsync(LatencySample sample, SockperfOutput parsed, string fullLog, string raw, ToolResult result, CancellationToken ct)
    {
        var distribution = new LatencyDistribution();
        SockperfFullLog.Result read;
        try
        {
            if (RunsInContainer)
            {
                ToolResult cat = await Runner.RunAsync(OnClient(new ToolCommand("cat", "--", fullLog)), IterationTimeout, ct).ConfigureAwait(false);
                if (cat.ExitCode != 0) throw new IOException($"reading it in {Request.ClientLocation} failed: {cat.Describe()}");
                using var text = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(cat.StandardOutput));
                read = SockperfFullLog.ReadInto(text, distribution, ct);
            }
            else
            {
                read = SockperfFullLog.ReadInto(fullLog, distribution, ct);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(LatencyFailure.FullLog,
                $"sockperf's full log '{fullLog}' could not be read: {e.Message}", raw, result, e);
        }
        if (distribution.Count == 0)
        {
            throw Failure(LatencyFailure.FullLog,
                $"sockperf's full log '{fullLog}' holds no round trips ({read.Malformed} unreadable line(s)). Command: {result.CommandLine}", raw, result);
        }
        ApplyDistribution(sample, distribution);
        var warnings = sample.Warnings.ToList();
        if (TooFewWarning(distribution.Count) is { } tooFew) warnings.Add(tooFew);
        if (parsed.Observations is long n && n != distribution.Count)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"sockperf's summary counted {n} observations but its full log holds {distribution.Count} readable round trips."));
        }
        if (read.Malformed > 0 || distribution.Rejected > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{read.Malformed + distribution.Rejected} line(s) of sockperf's full log could not be read and were left out."));
        }
        sample.Warnings = warnings.ToArray();
    }

    /// <summary>Replaces the summary's figures with those of every round trip.</summary>
    public static void ApplyDistribution(LatencySample sample, LatencyDistribution d)
    {
        sample.Observations = d.Count;
        sample.MinLatency = d.MinMicroseconds;
        sample.MaxLatency = d.MaxMicroseconds;
        sample.MeanLatency = Round(d.MeanMicroseconds);
        sample.StdDevLatency = Round(d.StdDevMicroseconds);
        sample.P50Latency = d.PercentileMicroseconds(50);
        sample.P90Latency = d.PercentileMicroseconds(90);
        sample.P99Latency = d.PercentileMicroseconds(99);
        sample.P999Latency = Meaningful(d, 99.9);
        sample.P9999Latency = Meaningful(d, 99.99);
        sample.P99999Latency = Meaningful(d, 99.999);
        sample.DistributionPercentiles = (double[])LatencyDistribution.LadderPercentiles.Clone();
        sample.DistributionLatencies = d.Ladder();
    }

    /// <summary>The tail percentiles of a sample (p99.9, p99.99, p99.999).</summary>
    public static readonly double[] TailPercentiles = { 99.9, 99.99, 99.999 };

    /// <summary>
    /// A percentile of the full distribution, or null when the count cannot give it: with n round trips the p-th
    /// percentile is meaningful only when at least one round trip is expected beyond it, n·(1 − p/100) ≥ 1 (p99.9 needs
    /// 1,000 round trips, p99.99 10,000, p99.999 100,000); below that it is the maximum under another name.
    /// </summary>
    public static double? Meaningful(LatencyDistribution d, double percentile) =>
        HasEnoughFor(d.Count, percentile) ? d.PercentileMicroseconds(percentile) : null;

    /// <summary>n·(1 − p/100) ≥ 1, computed exactly (1e-9 absorbs 100 − 99.99 not being 0.01 in binary).</summary>
    public static bool HasEnoughFor(long count, double percentile) => count * (100 - percentile) >= 100 - 1e-9;

    /// <summary>How <see cref="TooFewWarning"/> begins (a comparison says it once per arm).</summary>
    public const string TooFewPrefix = "Too few round trips for ";

    /// <summary>"Too few round trips for p99.999 (it needs at least 100000; this iteration had 20007) …", or null.</summary>
    public static string? TooFewWarning(long count)
    {
        double[] missing = TooFewFor(count);
        if (missing.Length == 0) return null;
        double p = missing[0];
        return string.Create(CultureInfo.InvariantCulture,
            $"{TooFewPrefix}{string.Join(", ", missing.Select(x => "p" + x))} (p{p} needs at least {Math.Round(100 / (100 - p))}; this iteration had {count}): with fewer, no round trip lies beyond it and it would only repeat the maximum, so it is left empty. Run longer (or faster) for it.");
    }

    /// <summary>The tail percentiles a count is too small for.</summary>
    public static double[] TooFewFor(long count) => TailPercentiles.Where(p => !HasEnoughFor(count, p)).ToArray();

    private static double? Round(double? v) => v is null ? null : Math.Round(v.Value, 3);
}
