using System.Globalization;
using OnloadTools.Host;
using OnloadTools.Processes;
using OnloadTools.Onload;

namespace OnloadTools.Latency;

/// <summary>
/// One Measure-NetperfLatency invocation: finds netperf, resolves (or starts) the netserver, runs iterations
/// one at a time and builds the runs. The cmdlet drives the loop so it can report progress and emit each run
/// as soon as it is complete.
/// </summary>
internal sealed class NetperfSession : IDisposable
{
    private readonly IToolRunner _runner;
    private readonly HostFileSystem _fs;
    private BackgroundProcess? _privateServer;

    public NetperfSession(IToolRunner runner, HostFileSystem fs, NetperfRequest request)
    {
        _runner = runner;
        _fs = fs;
        Request = request;
    }

    public NetperfRequest Request { get; }
    public string Target { get; private set; } = "127.0.0.1";
    public int Port { get; private set; } = NetperfRequest.DefaultPort;
    public string? NetperfVersion { get; private set; }
    public string? OnloadVersion { get; private set; }
    public string? PrivateServerCommandLine => _privateServer?.CommandLine;
    public bool StartedPrivateServer => _privateServer is not null;

    /// <summary>Time one sample is expected to take, for progress and timeouts.</summary>
    public TimeSpan ExpectedIterationTime =>
        TimeSpan.FromSeconds(Request.DurationSeconds * Request.NetperfIterationsPerSample + 1);

    /// <summary>Generous limit after which a hung netperf is killed.</summary>
    public TimeSpan IterationTimeout => ExpectedIterationTime * 2 + TimeSpan.FromSeconds(30);

    /// <summary>Checks the tools and makes sure a netserver is there to measure against.</summary>
    /// <exception cref="ToolNotFoundException">netperf (or onload, or netserver when one must be started) is missing.</exception>
    public async Task PrepareAsync(CancellationToken ct)
    {
        bool inContainer = Request.ClientPrefix is { Count: > 0 };
        if (!inContainer)
        {
            if (_runner.Which("netperf") is null) throw new ToolNotFoundException("netperf");
            if (Request.Onload && _runner.Which("onload") is null) throw new ToolNotFoundException("onload");
        }

        NetperfVersion = await QueryNetperfVersionAsync(ct).ConfigureAwait(false);
        if (Request.Onload)
        {
            OnloadVersion = (await OnloadVersionQuery.ReadAsync(_runner, ct, Prefixed).ConfigureAwait(false)).Version;
        }

        Port = Request.Port ?? NetperfRequest.DefaultPort;
        if (Request.ComputerName is { Length: > 0 } host)
        {
            // In a container the name is resolved there, which may differ from this host.
            if (!inContainer && await TargetHost.WhyUnresolvableAsync(host, ct).ConfigureAwait(false) is { } why)
            {
                throw new NetperfException(NetperfFailure.UnresolvedHost, why, "");
            }
            Target = host;
            return;
        }

        Target = "127.0.0.1";
        if (LoopbackPorts.TcpAccepts(Port)) return;
        if (inContainer) return; // inside a container the server is whatever the container can reach
        await StartPrivateServerAsync(Request.Port ?? LoopbackPorts.FreeTcpPort(), ct).ConfigureAwait(false);
    }

    private async Task<string?> QueryNetperfVersionAsync(CancellationToken ct)
    {
        ToolResult r;
        try
        {
            r = await _runner.RunAsync(Prefixed(new ToolCommand("netperf", "-V")), TimeSpan.FromSeconds(20), ct).ConfigureAwait(false);
        }
        catch (ToolTimeoutException)
        {
            return null;
        }
        string? version = Latency.NetperfVersion.Parse(r.CombinedOutput);
        if (version is null && r.ExitCode != 0 && Request.ClientPrefix is { Count: > 0 })
        {
            // Every iteration would fail the same way: say it once, with the engine's own words.
            throw new NetperfException(NetperfFailure.ClientUnavailable,
                $"netperf cannot be run in {Request.ClientLocation}: {r.Describe()}", r.CombinedOutput, r);
        }
        return version;
    }

    private async Task StartPrivateServerAsync(int port, CancellationToken ct)
    {
        if (_runner.Which("netserver") is null) throw new ToolNotFoundException("netserver");
        var cmd = new ToolCommand("netserver", "-D", "-p", port.ToString(CultureInfo.InvariantCulture), "-L", "127.0.0.1", "-4") { Tethered = true };
        if (Request.Onload) cmd = cmd.WrappedBy("onload", "--profile=" + Request.OnloadProfile);
        _privateServer = _runner.Start(cmd);
        Port = port;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            ct.ThrowIfCancellationRequested();
            if (_privateServer.HasExited) break;
            if (LoopbackPorts.TcpAccepts(port)) return;
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
        string said = (_privateServer.StandardError + _privateServer.StandardOutput).Trim();
        string cmdLine = _privateServer.CommandLine;
        _privateServer.Dispose();
        _privateServer = null;
        throw new NetperfException(NetperfFailure.ServerStart,
            $"The private netserver '{cmdLine}' did not start listening on 127.0.0.1:{port}." + (said.Length > 0 ? " It said: " + said : ""), said);
    }

    private ToolCommand Prefixed(ToolCommand cmd) =>
        Request.ClientPrefix is { Count: > 0 } prefix ? cmd.PrefixedBy(prefix) : cmd;

    /// <summary>Called with netperf's process id as each iteration starts (to inspect the running tool).</summary>
    public Action<int>? MeasuringToolStarted { get; set; }

    /// <summary>The exact netperf command line for one sample of <paramref name="testName"/>.</summary>
    public ToolCommand BuildCommand(string testName)
    {
        var r = Request;
        var args = new List<string>
        {
            "-H", Target,
            "-p", Port.ToString(CultureInfo.InvariantCulture),
            "-t", testName,
            "-l", r.DurationSeconds.ToString(CultureInfo.InvariantCulture),
        };
        if (r.LocalCpu is not null || r.RemoteCpu is not null)
        {
            args.Add("-T");
            args.Add($"{r.LocalCpu?.ToString(CultureInfo.InvariantCulture)},{r.RemoteCpu?.ToString(CultureInfo.InvariantCulture)}");
        }
        if (r.UsesConfidence)
        {
            args.Add("-I");
            args.Add(string.Create(CultureInfo.InvariantCulture, $"{r.ConfidenceLevel ?? 99},{r.ConfidenceWidth ?? 5}"));
            args.Add("-i");
            args.Add(string.Create(CultureInfo.InvariantCulture, $"{r.MaxIterations ?? 10},3"));
        }
        args.Add("--");
        args.Add("-r");
        args.Add(string.Create(CultureInfo.InvariantCulture, $"{r.RequestSize},{r.ResponseSize}"));
        args.Add("-k");
        args.Add(string.Join(",", NetperfParser.LatencySelectors));

        // Tethered: its own process group (a terminal's Ctrl+C does not cut the iteration short) and it dies with pwsh.
        var cmd = new ToolCommand("netperf", args) { Tethered = true, Started = MeasuringToolStarted };
        if (r.Onload) cmd = cmd.WrappedBy("onload", "--profile=" + r.OnloadProfile);
        return Prefixed(cmd);
    }

    /// <summary>A new, empty run for one test type, with the environment recorded.</summary>
    public LatencyRun NewRun(string testName) => new LatencyRun
    {
        Label = Request.EffectiveLabel,
        TestName = testName,
        Tool = "netperf",
        ComputerName = Request.ComputerName is { Length: > 0 } h ? h : HostInfo.HostName(_fs),
        Port = Port,
        ClientLocation = Request.ClientLocation,
        StartTime = DateTime.UtcNow,
        DurationSeconds = Request.DurationSeconds,
        RequestSize = Request.RequestSize,
        ResponseSize = Request.ResponseSize,
        IterationsRequested = Request.Iterations,
        Onload = Request.Onload,
        OnloadProfile = Request.Onload ? Request.OnloadProfile : null,
        OnloadVersion = OnloadVersion,
        LocalCpu = Request.LocalCpu,
        RemoteCpu = Request.RemoteCpu,
        ToolVersion = NetperfVersion,
        ServerCommandLine = PrivateServerCommandLine,
    }.WithHostEnvironment(_fs);

    /// <summary>Runs one iteration and returns its sample.</summary>
    /// <exception cref="NetperfException">netperf failed, could not connect, or printed no usable result.</exception>
    /// <exception cref="ToolTimeoutException">netperf hung past <see cref="IterationTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException">Stopped; netperf has been killed.</exception>
    public async Task<LatencySample> RunIterationAsync(LatencyRun run, int iteration, CancellationToken ct)
    {
        ToolCommand cmd = BuildCommand(run.TestName);
        ToolResult result = await _runner.RunAsync(cmd, IterationTimeout, ct).ConfigureAwait(false);
        string raw = result.CombinedOutput;
        NetperfOutput parsed = NetperfParser.Parse(result.StandardOutput, result.StandardError);

        switch (parsed.ErrorKind)
        {
            case NetperfErrorKind.Connection:
                throw new NetperfException(NetperfFailure.Connection,
                    $"No netserver answered at {Target}:{Port}. netperf (exit code {result.ExitCode}) said: {parsed.ErrorMessage}", raw, result);
            case NetperfErrorKind.UnknownTest:
                throw new NetperfException(NetperfFailure.UnknownTest, $"{parsed.ErrorMessage} ({result.Describe()})", raw, result);
        }

        if (parsed.HasResult && NetperfParser.TestMismatch(parsed, run.TestName) is { } mismatch)
        {
            throw new NetperfException(NetperfFailure.WrongTest, $"{mismatch} Command: {result.CommandLine}", raw, result);
        }
        if (!parsed.HasResult || result.ExitCode != 0)
        {
            if (parsed.ErrorKind == NetperfErrorKind.Other || result.ExitCode != 0)
            {
                throw new NetperfException(NetperfFailure.ToolError,
                    $"netperf failed: {result.Describe()}", raw, result);
            }
            throw new NetperfException(NetperfFailure.Unparsable,
                $"netperf's output for {run.TestName} iteration {iteration} holds no result this module can read. Command: {result.CommandLine}", raw, result);
        }

        LatencySample sample = NetperfSampleMapper.ToSample(parsed, run.TestName, iteration);
        if (!NetperfSampleMapper.HasLatency(sample))
        {
            throw new NetperfException(NetperfFailure.Unparsable,
                $"netperf's output for {run.TestName} iteration {iteration} holds no latency figures. Command: {result.CommandLine}", raw, result);
        }
        if (CutShort(sample.ElapsedSeconds, result) is { } why)
        {
            throw new NetperfException(NetperfFailure.CutShort,
                $"{run.TestName} iteration {iteration} was cut short ({why} of the {Request.DurationSeconds} s asked for: netperf was interrupted) and is not kept. Command: {result.CommandLine}", raw, result);
        }
        sample.Label = run.Label;
        sample.CommandLine = result.CommandLine;
        sample.StartTime = result.StartTime;
        sample.EndTime = result.EndTime;
        sample.RequestSize ??= Request.RequestSize;
        sample.ResponseSize ??= Request.ResponseSize;
        return sample;
    }

    /// <summary>
    /// Why an iteration ran shorter than asked (netperf prints the result of a run a signal ended early, and exits 0),
    /// or null when it ran its full length. netperf prints the elapsed time to 10 ms; without it, the wall time.
    /// </summary>
    internal string? CutShort(double? elapsedSeconds, ToolResult result)
    {
        double asked = Request.DurationSeconds;
        if (asked <= 0) return null; // -l -N: a count of transactions, not a time
        if (elapsedSeconds is double e)
        {
            return e + 0.015 < asked ? string.Create(CultureInfo.InvariantCulture, $"{e:0.00} s") : null;
        }
        double wall = result.Duration.TotalSeconds;
        return wall + 0.015 < asked
            ? string.Create(CultureInfo.InvariantCulture, $"{wall:0.00} s") : null;
    }

    public void Dispose()
    {
        _privateServer?.Dispose();
        _privateServer = null;
    }
}
