using OnloadTools.Host;
using OnloadTools.Processes;
using OnloadTools.Onload;

namespace OnloadTools.Latency;

/// <summary>
/// One latency measurement with one tool (netperf, sockperf …): checks the tools, reads their versions, resolves the
/// target or starts a private server on loopback, builds the runs and runs iterations one at a time. The cmdlet
/// drives the loop so it can report progress and emit each run as soon as it is complete. A tool brings its request,
/// its command lines and its parser; everything else is here.
/// </summary>
internal abstract class LatencySession : IDisposable
{
    private readonly Dictionary<string, int> _ports = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BackgroundProcess> _servers = new(StringComparer.Ordinal);

    private protected LatencySession(IToolRunner runner, HostFileSystem fs)
    {
        Runner = runner;
        Fs = fs;
    }

    private protected IToolRunner Runner { get; }
    private protected HostFileSystem Fs { get; }

    public abstract LatencyRequest Request { get; }
    /// <summary>The measuring tool, as on PATH: "netperf".</summary>
    public abstract string Tool { get; }
    /// <summary>Its server, for messages and ErrorIds: "netserver", "sockperf server".</summary>
    public abstract string ServerName { get; }
    /// <summary>The program that serves (started as the private server): "netserver", "sockperf".</summary>
    private protected abstract string ServerTool { get; }
    private protected abstract int DefaultPort { get; }

    /// <summary>The host or address the tool is pointed at.</summary>
    public string Target { get; private set; } = "127.0.0.1";
    public string? ToolVersion { get; private set; }
    public string? OnloadVersion { get; private set; }
    /// <summary>This host's facts, read once by <see cref="PrepareAsync"/> before any iteration; every run of the session carries them.</summary>
    public HostFacts? HostFacts { get; private set; }

    /// <summary>Time one iteration is expected to take, for progress and timeouts.</summary>
    public abstract TimeSpan ExpectedIterationTime { get; }

    /// <summary>Generous limit after which a hung tool is killed.</summary>
    public TimeSpan IterationTimeout => ExpectedIterationTime * 2 + TimeSpan.FromSeconds(30);

    /// <summary>Called with the tool's process id as each iteration starts (to inspect the running tool).</summary>
    public Action<int>? MeasuringToolStarted { get; set; }

    /// <summary>Each iteration should check that Onload really accelerated the tool (it runs on this host under onload).</summary>
    public virtual bool ProbesAcceleration => false;

    private protected bool RunsInContainer => Request.ClientPrefix is { Count: > 0 };

    /// <summary>Which server a test talks to: tests with the same key share one (netperf: one netserver for all).</summary>
    private protected virtual string ServerKey(string test) => "";

    /// <summary>The server of a test in words: "netserver", "sockperf UDP server".</summary>
    public virtual string DescribeServer(string test) => ServerName;

    public int PortFor(string test) =>
        _ports.TryGetValue(ServerKey(test), out int p) ? p : OwnerPort(test) ?? Request.Port ?? DefaultPort;

    private int? OwnerPortOfKey(string key) => _ports.TryGetValue(key, out int p) ? p : null;

    /// <summary>The port the <see cref="ServerOwner"/> found or started for a test's server, if any.</summary>
    private int? OwnerPort(string test) => ServerOwner is { } o && o._ports.TryGetValue(o.ServerKey(test), out int p) ? p : null;

    /// <summary>"host:port" of a test, for progress and errors.</summary>
    public string Where(string test) => $"{Target}:{PortFor(test)}";

    /// <summary>Command lines of the private servers this session started, by the first test each serves.</summary>
    public IReadOnlyDictionary<string, string> PrivateServers =>
        Request.Tests.GroupBy(ServerKey).Where(g => _servers.ContainsKey(g.Key)).ToDictionary(g => g.First(), g => _servers[g.Key].CommandLine);

    /// <summary>What the verbose stream says before the first iteration.</summary>
    public virtual string Describe() => $"Measuring against {Where(Request.Tests[0])} with {Tool} {ToolVersion ?? "(unknown version)"}.";

    /// <summary>Checks the tools, reads their versions, resolves the target and makes sure a server answers for every test.</summary>
    /// <exception cref="ToolNotFoundException">The tool (or onload, or the server when one must be started) is missing.</exception>
    /// <exception cref="LatencyToolException">The name does not resolve, the client cannot run, or a private server would not start.</exception>
    public async Task PrepareAsync(CancellationToken ct)
    {
        if (!RunsInContainer)
        {
            if (Runner.Which(Tool) is null) throw new ToolNotFoundException(Tool);
            if (Request.Onload && Runner.Which(OnloadFacts.Tool) is null) throw new ToolNotFoundException(OnloadFacts.Tool);
        }

        try
        {
            ToolResult v = await Runner.RunAsync(OnClient(VersionCommand), TimeSpan.FromSeconds(20), ct).ConfigureAwait(false);
            ToolVersion = ParseVersion(v);
        }
        catch (ToolTimeoutException)
        {
            ToolVersion = null;
        }
        if (Request.Onload)
        {
            OnloadVersion = (await OnloadVersionQuery.ReadAsync(Runner, ct, c => OnClient(c)).ConfigureAwait(false)).Version;
        }
        // Once, before the first iteration: nothing reads the host while the tool measures. Never fails the measurement.
        HostFacts = await HostFactsReader.ReadAsync(Fs, Runner, Request.Onload ? Request.OnloadProfile : null, OnloadVersion, ct).ConfigureAwait(false);
        // In a container the profile is read by the image's onload from the image's files, which this host's are not.
        if (RunsInContainer) HostFacts.OnloadProfileSettings = null;

        if (Request.ComputerName is { Length: > 0 } host)
        {
            // In a container the name is resolved there, which may differ from this host.
            if (!RunsInContainer && await TargetHost.WhyUnresolvableAsync(host, ct).ConfigureAwait(false) is { } why)
            {
                throw Failure(LatencyFailure.UnresolvedHost, why, "", target: host,
                    action: "Give a name this host resolves (check it with: getent hosts NAME) or an IP address.");
            }
            Target = await AddressOfAsync(host, ct).ConfigureAwait(false);
            return;
        }

        Target = "127.0.0.1";
        if (RunsInContainer) return; // inside a container the server is whatever the container can reach
        foreach (string key in Request.Tests.Select(ServerKey).Distinct())
        {
            if (ServerOwner?.OwnerPortOfKey(key) is int owned)
            {
                _ports[key] = owned;   // the other arm's server: both arms measure against the same one
                continue;
            }
            int port = Request.Port ?? DefaultPort;
            // A server someone else started on the default port may go away mid-measurement: a session that must
            // own its server uses one that listens only where the admin pointed it (-Port).
            if ((Request.Port is not null || !OwnsServer) && IsServing(key, port))
            {
                _ports[key] = port;
                continue;
            }
            await StartPrivateServerAsync(key, Request.Port, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts its own private server on a free port unless -Port names one that listens, instead of using whatever
    /// listens on the tool's default port (which its owner may stop at any time). Invoke-LatencyComparison's sessions
    /// own their server: an experiment of many minutes must not depend on someone else's.
    /// </summary>
    public bool OwnsServer { get; init; }

    /// <summary>The session whose private server this one measures against too (a comparison's other arm), if any.</summary>
    public LatencySession? ServerOwner { get; init; }

    private BackgroundProcess? PrivateServer(string test) =>
        _servers.TryGetValue(ServerKey(test), out var server) ? server : ServerOwner?.PrivateServer(test);

    /// <summary>True when the test's server is a private one this session (or its <see cref="ServerOwner"/>) started and it has exited since.</summary>
    public bool PrivateServerExited(string test, out string? said)
    {
        said = null;
        if (PrivateServer(test) is not { HasExited: true } server) return false;
        said = $"'{server.CommandLine}' exited" + (server.ExitCode is { } code ? $" with code {code}" : "")
            + (Clean(server.StandardError + server.StandardOutput).Trim() is { Length: > 0 } text ? ": " + text : ".");
        return true;
    }

    /// <summary>The private server serving a test, if this session started one.</summary>
    public bool HasPrivateServer(string test) => PrivateServer(test) is not null;

    private protected abstract ToolCommand VersionCommand { get; }

    /// <summary>The tool's version from its answer to <see cref="VersionCommand"/>, or null.</summary>
    private protected abstract string? ParseVersion(ToolResult result);

    /// <summary>What the tool is pointed at for -ComputerName (a name that resolves).</summary>
    private protected virtual Task<string> AddressOfAsync(string host, CancellationToken ct) => Task.FromResult(host);

    /// <summary>Something answers on loopback for the server of <paramref name="key"/>.</summary>
    private protected virtual bool IsServing(string key, int port) => LoopbackPorts.TcpAccepts(port);

    private protected virtual int FreePort(string key) => LoopbackPorts.FreeTcpPort();

    /// <summary>The private server's command line (tethered: it dies with pwsh).</summary>
    public abstract ToolCommand BuildServerCommand(string key, int port);

    /// <summary>
    /// Starts the private server and waits until it serves. On a port of its own choosing (none given) a server that
    /// exits at once lost the port to another process between the choice and its bind: it is started again on
    /// another free port (three tries). Serving means its port answers while the server still runs, twice 50 ms apart,
    /// so a port answered by someone else while ours is failing is not taken for ours.
    /// </summary>
    private async Task StartPrivateServerAsync(string key, int? requestedPort, CancellationToken ct)
    {
        if (Runner.Which(ServerTool) is null) throw new ToolNotFoundException(ServerTool);
        for (int attempt = 1; ; attempt++)
        {
            int port = requestedPort ?? FreePort(key);
            var server = Runner.Start(BuildServerCommand(key, port));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            bool answered = false;
            while (DateTime.UtcNow < deadline)
            {
                ct.ThrowIfCancellationRequested();
                if (server.HasExited) break;
                if (IsServing(key, port))
                {
                    if (answered && !server.HasExited)
                    {
                        _servers[key] = server;
                        _ports[key] = port;
                        return;
                    }
                    answered = true;
                }
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
            string said = Clean(server.StandardError + server.StandardOutput).Trim();
            string cmdLine = server.CommandLine;
            bool exited = server.HasExited;
            server.Dispose();
            if (exited && requestedPort is null && attempt < 3) continue;
            throw Failure(LatencyFailure.ServerStart,
                $"The private {DescribeServer(key)} '{cmdLine}' did not start serving on 127.0.0.1:{port}." + (said.Length > 0 ? " It said: " + said : ""), said);
        }
    }

    /// <summary>The tool's output as shown to the admin (sockperf's colours removed).</summary>
    private protected virtual string Clean(string output) => output;

    /// <summary>The command run under onload when asked (with the profile), then through the client prefix (a container).</summary>
    private protected ToolCommand OnClient(ToolCommand cmd, bool underOnload = false)
    {
        if (underOnload && Request.Onload) cmd = cmd.WrappedBy(OnloadFacts.Tool, OnloadProfileName.Option(Request.OnloadProfile));
        return Request.ClientPrefix is { Count: > 0 } prefix ? cmd.PrefixedBy(prefix) : cmd;
    }

    /// <summary>The exact command line for one iteration of <paramref name="test"/>.</summary>
    public abstract ToolCommand BuildCommand(string test);

    /// <summary>A new, empty run for one test, with the environment recorded.</summary>
    public LatencyRun NewRun(string test)
    {
        var run = new LatencyRun
        {
            Label = Request.EffectiveLabel,
            TestName = test,
            Tool = Tool,
            ComputerName = Request.ComputerName is { Length: > 0 } h ? h : HostInfo.HostName(Fs),
            Port = PortFor(test),
            ClientLocation = Request.ClientLocation,
            StartTime = DateTime.UtcNow,
            DurationSeconds = Request.DurationSeconds,
            IterationsRequested = Request.Iterations,
            Onload = Request.Onload,
            OnloadProfile = Request.Onload ? Request.OnloadProfile : null,
            OnloadVersion = OnloadVersion,
            ToolVersion = ToolVersion,
            ServerCommandLine = _servers.TryGetValue(ServerKey(test), out var s) ? s.CommandLine : null,
            HostFacts = HostFacts?.Copy(),
        };
        Describe(run, test);
        return run.WithHostEnvironment(Fs);
    }

    /// <summary>Records what only this tool knows on a new run (sizes, CPUs, the kind of latency, its TestName).</summary>
    private protected abstract void Describe(LatencyRun run, string test);

    /// <summary>Runs one iteration of <paramref name="test"/> and returns its sample.</summary>
    /// <exception cref="LatencyToolException">The tool failed, found no server, or printed no usable result.</exception>
    /// <exception cref="ToolTimeoutException">The tool hung past <see cref="IterationTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException">Stopped; the tool has been killed.</exception>
    public abstract Task<LatencySample> RunIterationAsync(LatencyRun run, string test, int iteration, CancellationToken ct);

    /// <summary>Records on a sample what every tool's sample carries: its run's label and the command that measured it.</summary>
    private protected static LatencySample Stamp(LatencySample sample, LatencyRun run, ToolResult result)
    {
        sample.Label = run.Label;
        sample.CommandLine = result.CommandLine;
        sample.StartTime = result.StartTime;
        sample.EndTime = result.EndTime;
        return sample;
    }

    private protected LatencyToolException Failure(LatencyFailure failure, string message, string rawOutput, ToolResult? result = null,
        Exception? inner = null, string? target = null, string? action = null) =>
        new(Tool, ServerName, failure, message, rawOutput, result, inner) { Target = target, RecommendedAction = action };

    /// <summary>
    /// The one rule for what a failed iteration means for the rest, for every command that runs sessions
    /// (Measure-NetperfLatency, Measure-SockperfLatency, Invoke-LatencyComparison): while nothing of the test was
    /// measured (<paramref name="samplesOfTest"/> is 0), a server that does not answer will not answer the test's next
    /// iteration (nor any other test's, when they share it), and a tool that ran the wrong test or rejects its
    /// arguments will do so again. Once the test has measured something, or after a timeout or a cut-short
    /// iteration, the next iteration is tried.
    /// </summary>
    public (bool SkipRestOfTest, bool SkipAllTests) AfterFailure(Exception e, int samplesOfTest) =>
        e is LatencyToolException l && samplesOfTest == 0 ? Consequences(l) : (false, false);

    /// <summary>What a failed iteration means for the rest while nothing of the test was measured (<see cref="AfterFailure"/>).</summary>
    public (bool SkipRestOfTest, bool SkipAllTests) Consequences(LatencyToolException e) => e.Failure switch
    {
        LatencyFailure.Connection => (true, Request.Tests.Select(ServerKey).Distinct().Count() == 1),
        LatencyFailure.WrongTest or LatencyFailure.InvalidArgument => (true, false),
        _ => (false, false),
    };

    public void Dispose()
    {
        foreach (var server in _servers.Values) server.Dispose();
        _servers.Clear();
    }
}
