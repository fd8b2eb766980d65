using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using OnloadTools.Host;
using OnloadTools.Processes;
using OnloadTools.Onload;

namespace OnloadTools.Latency;

/// <summary>
/// One Measure-SockperfLatency invocation: finds sockperf, resolves the server (or starts a private
/// `sockperf server` per protocol on a free loopback port), runs ping-pong iterations one at a time and builds the
/// runs. The cmdlet drives the loop so it can report progress and emit each run as soon as it is complete.
/// </summary>
internal sealed partial class SockperfSession : IDisposable
{
    private readonly IToolRunner _runner;
    private readonly HostFileSystem _fs;
    private readonly Dictionary<string, int> _ports = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BackgroundProcess> _servers = new(StringComparer.Ordinal);

    public SockperfSession(IToolRunner runner, HostFileSystem fs, SockperfRequest request)
    {
        _runner = runner;
        _fs = fs;
        Request = request;
    }

    public SockperfRequest Request { get; }
    /// <summary>The IPv4 address sockperf is pointed at (sockperf -i takes addresses only).</summary>
    public string Target { get; private set; } = "127.0.0.1";
    public string? SockperfVersion { get; private set; }
    public string? OnloadVersion { get; private set; }

    /// <summary>Command lines of the private servers this session started, by protocol.</summary>
    public IReadOnlyDictionary<string, string> PrivateServers => _servers.ToDictionary(kv => kv.Key, kv => kv.Value.CommandLine);
    public IEnumerable<int> PrivateServerProcessIds => _servers.Values.Select(s => s.ProcessId);

    /// <summary>Called with sockperf's process id as each iteration starts (to inspect the running tool).</summary>
    public Action<int>? MeasuringToolStarted { get; set; }

    public int PortFor(string protocol) => _ports.TryGetValue(protocol, out int p) ? p : Request.Port ?? SockperfRequest.DefaultPort;

    /// <summary>Time one iteration is expected to take (the run, sockperf's 0.4 s warm-up, start-up), for progress.</summary>
    public TimeSpan ExpectedIterationTime => TimeSpan.FromSeconds(Request.DurationSeconds + 0.6);

    /// <summary>Generous limit after which a hung sockperf is killed.</summary>
    public TimeSpan IterationTimeout => ExpectedIterationTime * 2 + TimeSpan.FromSeconds(30);

    [GeneratedRegex(@"version\s+(?<v>\S+)")]
    private static partial Regex VersionWord();

    /// <summary>Checks the tools, resolves the target, and makes sure a server answers for every protocol.</summary>
    /// <exception cref="ToolNotFoundException">sockperf (or onload) is missing.</exception>
    /// <exception cref="SockperfException">The name does not resolve, or a private server would not start.</exception>
    public async Task PrepareAsync(CancellationToken ct)
    {
        if (_runner.Which("sockperf") is null) throw new ToolNotFoundException("sockperf");
        if (Request.Onload && _runner.Which("onload") is null) throw new ToolNotFoundException("onload");

        try
        {
            var v = await _runner.RunAsync(new ToolCommand("sockperf", "--version"), TimeSpan.FromSeconds(20), ct).ConfigureAwait(false);
            var m = VersionWord().Match(SockperfParser.StripAnsi(v.CombinedOutput));
            SockperfVersion = m.Success ? m.Groups["v"].Value : SockperfParser.Parse(v.CombinedOutput).Version;
        }
        catch (ToolTimeoutException)
        {
            SockperfVersion = null;
        }
        if (Request.Onload)
        {
            OnloadVersion = (await OnloadVersionQuery.ReadAsync(_runner, ct).ConfigureAwait(false)).Version;
        }

        if (Request.ComputerName is { Length: > 0 } host)
        {
            Target = await ResolveAsync(host, ct).ConfigureAwait(false);
            foreach (string p in Request.Protocols) _ports[p] = Request.Port ?? SockperfRequest.DefaultPort;
            return;
        }

        Target = "127.0.0.1";
        foreach (string protocol in Request.Protocols)
        {
            int port = Request.Port ?? SockperfRequest.DefaultPort;
            if (IsServing(protocol, port))
            {
                _ports[protocol] = port;
                continue;
            }
            await StartPrivateServerAsync(protocol, Request.Port ?? FreeLoopbackPort(protocol), ct).ConfigureAwait(false);
        }
    }

    private static async Task<string> ResolveAsync(string host, CancellationToken ct)
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
            throw new SockperfException(SockperfFailure.Connection, $"The name '{host}' does not resolve: {e.Message}", e.Message, inner: e);
        }
        throw new SockperfException(SockperfFailure.Connection, $"The name '{host}' resolves to no address.", "");
    }

    /// <summary>Something answers on loopback: a TCP listener accepts, or a UDP socket holds the port.</summary>
    private static bool IsServing(string protocol, int port) =>
        protocol == "TCP" ? LoopbackPorts.TcpAccepts(port) : LoopbackPorts.UdpBound(port);

    private static int FreeLoopbackPort(string protocol) =>
        protocol == "TCP" ? LoopbackPorts.FreeTcpPort() : LoopbackPorts.FreeUdpPort();

    /// <summary>The private server's command for a protocol.</summary>
    public ToolCommand BuildServerCommand(string protocol, int port)
    {
        var args = new List<string> { "server", "-i", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture) };
        if (protocol == "TCP") args.Add("--tcp");
        var cmd = new ToolCommand("sockperf", args) { Tethered = true };
        return Request.Onload ? cmd.WrappedBy("onload", "--profile=" + Request.OnloadProfile) : cmd;
    }

    private async Task StartPrivateServerAsync(string protocol, int port, CancellationToken ct)
    {
        var server = _runner.Start(BuildServerCommand(protocol, port));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            ct.ThrowIfCancellationRequested();
            if (server.HasExited) break;
            if (IsServing(protocol, port))
            {
                _servers[protocol] = server;
                _ports[protocol] = port;
                return;
            }
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
        string said = SockperfParser.StripAnsi(server.StandardOutput + server.StandardError).Trim();
        string cmdLine = server.CommandLine;
        server.Dispose();
        throw new SockperfException(SockperfFailure.ServerStart,
            $"The private sockperf server '{cmdLine}' did not start serving {protocol} on 127.0.0.1:{port}." + (said.Length > 0 ? " It said: " + said : ""), said);
    }

    /// <summary>The exact sockperf ping-pong command line for one iteration of <paramref name="protocol"/>.</summary>
    public ToolCommand BuildCommand(string protocol, string? fullLogPath = null)
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
        var cmd = new ToolCommand("sockperf", args) { Tethered = true, Started = MeasuringToolStarted };
        return r.Onload ? cmd.WrappedBy("onload", "--profile=" + r.OnloadProfile) : cmd;
    }

    /// <summary>A new, empty run for one protocol, with the environment recorded.</summary>
    public LatencyRun NewRun(string protocol) => new LatencyRun
    {
        Label = Request.EffectiveLabel,
        TestName = SockperfRequest.TestNameFor(protocol),
        Tool = "sockperf",
        ComputerName = Request.ComputerName is { Length: > 0 } h ? h : HostInfo.HostName(_fs),
        Port = PortFor(protocol),
        ClientLocation = "host",
        StartTime = DateTime.UtcNow,
        DurationSeconds = Request.DurationSeconds,
        RequestSize = Request.MessageSize,
        ResponseSize = Request.MessageSize,
        IterationsRequested = Request.Iterations,
        Onload = Request.Onload,
        OnloadProfile = Request.Onload ? Request.OnloadProfile : null,
        OnloadVersion = OnloadVersion,
        ToolVersion = SockperfVersion,
        ServerCommandLine = _servers.TryGetValue(protocol, out var s) ? s.CommandLine : null,
        LatencyKind = Request.LatencyKind,
    }.WithHostEnvironment(_fs);

    /// <summary>Runs one iteration and returns its sample.</summary>
    /// <exception cref="SockperfException">sockperf failed, found no server, or printed no usable result.</exception>
    /// <exception cref="ToolTimeoutException">sockperf hung past <see cref="IterationTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException">Stopped; sockperf has been killed.</exception>
    public async Task<LatencySample> RunIterationAsync(LatencyRun run, string protocol, int iteration, CancellationToken ct)
    {
        string? fullLog = Request.FullDistribution ? SockperfFullLog.NewPath(Path.GetTempPath()) : null;
        try
        {
            ToolCommand cmd = BuildCommand(protocol, fullLog);
            ToolResult result = await _runner.RunAsync(cmd, IterationTimeout, ct).ConfigureAwait(false);
            string raw = SockperfParser.StripAnsi(result.CombinedOutput);
            SockperfOutput parsed = SockperfParser.Parse(result.CombinedOutput);
            string where = $"{Target}:{PortFor(protocol)}";

            // First: an interrupted sockperf may also say "No messages were sent", which is no error of its own.
            if (CutShort(raw, parsed) is { } why)
            {
                throw new SockperfException(SockperfFailure.CutShort,
                    $"{run.TestName} iteration {iteration} was cut short ({why}) and is not kept. Command: {result.CommandLine}", raw, result);
            }
            switch (parsed.ErrorKind)
            {
                case SockperfErrorKind.Connection:
                    throw new SockperfException(SockperfFailure.Connection,
                        $"No sockperf {protocol} server answered at {where}. sockperf said: {parsed.ErrorMessage}", raw, result);
                case SockperfErrorKind.InvalidArgument:
                    throw new SockperfException(SockperfFailure.InvalidArgument,
                        $"sockperf rejected '{result.CommandLine}': {parsed.ErrorMessage}", raw, result);
                case SockperfErrorKind.Other:
                    throw new SockperfException(SockperfFailure.ToolError, $"sockperf failed: {parsed.ErrorMessage} ({result.Describe()})", raw, result);
            }
            if (result.ExitCode != 0)
            {
                throw new SockperfException(SockperfFailure.ToolError, $"sockperf failed: {result.Describe()}", raw, result);
            }
            if (!parsed.HasResult || parsed.Mean is null && parsed.Percentile(50) is null)
            {
                throw new SockperfException(SockperfFailure.Unparsable,
                    $"sockperf's output for {run.TestName} iteration {iteration} holds no latency this module can read. Command: {result.CommandLine}", raw, result);
            }

            LatencySample sample = ToSample(parsed, run.TestName, iteration);
            sample.Label = run.Label;
            sample.CommandLine = result.CommandLine;
            sample.StartTime = result.StartTime;
            sample.EndTime = result.EndTime;
            sample.RequestSize = Request.MessageSize;
            sample.ResponseSize = Request.MessageSize;
            sample.LatencyKind = parsed.LatencyKind ?? Request.LatencyKind;

            if (fullLog is not null)
            {
                AddDistribution(sample, parsed, fullLog, raw, result, ct);
            }
            return sample;
        }
        finally
        {
            if (fullLog is not null)
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

    private static void AddDistribution(LatencySample sample, SockperfOutput parsed, string fullLog, string raw, ToolResult result, CancellationToken ct)
    {
        var distribution = new LatencyDistribution();
        SockperfFullLog.Result read;
        try
        {
            read = SockperfFullLog.ReadInto(fullLog, distribution, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SockperfException(SockperfFailure.FullLog,
                $"sockperf's full log '{fullLog}' could not be read: {e.Message}", raw, result, e);
        }
        if (distribution.Count == 0)
        {
            throw new SockperfException(SockperfFailure.FullLog,
                $"sockperf's full log '{fullLog}' holds no round trips ({read.Malformed} unreadable line(s)). Command: {result.CommandLine}", raw, result);
        }
        ApplyDistribution(sample, distribution);
        var warnings = sample.Warnings.ToList();
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
        sample.P999Latency = d.PercentileMicroseconds(99.9);
        sample.P9999Latency = d.PercentileMicroseconds(99.99);
        sample.P99999Latency = d.PercentileMicroseconds(99.999);
        sample.DistributionPercentiles = (double[])LatencyDistribution.LadderPercentiles.Clone();
        sample.DistributionLatencies = d.Ladder();
    }

    private static double? Round(double? v) => v is null ? null : Math.Round(v.Value, 3);


    public void Dispose()
    {
        foreach (var server in _servers.Values) server.Dispose();
        _servers.Clear();
    }
}
