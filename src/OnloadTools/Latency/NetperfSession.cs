using System.Globalization;
using OnloadTools.Host;
using OnloadTools.Processes;

namespace OnloadTools.Latency;

/// <summary>
/// One Measure-NetperfLatency invocation (or one arm of Invoke-LatencyComparison): netperf's command lines and how its
/// output becomes a sample. One netserver serves every test; a private one is started on loopback when none listens.
/// </summary>
internal sealed class NetperfSession : LatencySession
{
    public NetperfSession(IToolRunner runner, HostFileSystem fs, NetperfRequest request) : base(runner, fs)
    {
        Request = request;
    }

    public override NetperfRequest Request { get; }
    public override string Tool => "netperf";
    public override string ServerName => "netserver";
    private protected override string ServerTool => "netserver";
    private protected override int DefaultPort => NetperfRequest.DefaultPort;

    /// <summary>The netserver's port (one for every test).</summary>
    public int Port => PortFor("");

    public override TimeSpan ExpectedIterationTime =>
        TimeSpan.FromSeconds(Request.DurationSeconds * Request.NetperfIterationsPerSample + 1);

    /// <summary>With -Onload on this host, each iteration looks for libonload in netperf's maps.</summary>
    public override bool ProbesAcceleration => Request.Onload && !RunsInContainer;

    private protected override ToolCommand VersionCommand => NetperfVersion.Command;

    private protected override string? ParseVersion(ToolResult r)
    {
        string? version = NetperfVersion.Parse(r.CombinedOutput);
        if (version is null && r.ExitCode != 0 && RunsInContainer)
        {
            // Every iteration would fail the same way: say it once, with the engine's own words.
            throw Failure(LatencyFailure.ClientUnavailable,
                $"netperf cannot be run in {Request.ClientLocation}: {r.Describe()}", r.CombinedOutput, r, target: Request.ClientLocation);
        }
        return version;
    }

    public override ToolCommand BuildServerCommand(string key, int port) => OnClient(
        new ToolCommand("netserver", "-D", "-p", port.ToString(CultureInfo.InvariantCulture), "-L", "127.0.0.1", "-4") { Tethered = true },
        underOnload: true);

    public override ToolCommand BuildCommand(string testName)
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
        return OnClient(new ToolCommand("netperf", args) { Tethered = true, Started = MeasuringToolStarted }, underOnload: true);
    }

    private protected override void Describe(LatencyRun run, string test)
    {
        run.RequestSize = Request.RequestSize;
        run.ResponseSize = Request.ResponseSize;
        run.LocalCpu = Request.LocalCpu;
        run.RemoteCpu = Request.RemoteCpu;
    }

    public override async Task<LatencySample> RunIterationAsync(LatencyRun run, string test, int iteration, CancellationToken ct)
    {
        ToolCommand cmd = BuildCommand(test);
        ToolResult result = await Runner.RunAsync(cmd, IterationTimeout, ct).ConfigureAwait(false);
        string raw = result.CombinedOutput;
        NetperfOutput parsed = NetperfParser.Parse(result.StandardOutput, result.StandardError);

        switch (parsed.ErrorKind)
        {
            case NetperfErrorKind.Connection:
                throw Failure(LatencyFailure.Connection,
                    $"No netserver answered at {Target}:{Port}. netperf (exit code {result.ExitCode}) said: {parsed.ErrorMessage}"
                    + (PrivateServerExited(test, out string? said) ? $" The private netserver this command started, {said}"
                        : HasPrivateServer(test) ? " It was the private netserver this command started." : ""), raw, result,
                    target: Where(test), action: UnreachableAction(test));
            case NetperfErrorKind.UnknownTest:
                throw Failure(LatencyFailure.UnknownTest, $"{parsed.ErrorMessage} ({result.Describe()})", raw, result);
        }

        if (parsed.HasResult && NetperfParser.TestMismatch(parsed, test) is { } mismatch)
        {
            throw Failure(LatencyFailure.WrongTest, $"{mismatch} Command: {result.CommandLine}", raw, result,
                action: "Check which netperf is first on PATH (Get-Command netperf) and that it honours -t.");
        }
        if (!parsed.HasResult || result.ExitCode != 0)
        {
            if (parsed.ErrorKind == NetperfErrorKind.Other || result.ExitCode != 0)
            {
                throw Failure(LatencyFailure.ToolError, NetperfParser.FailureMessage(result), raw, result);
            }
            throw Failure(LatencyFailure.Unparsable,
                $"netperf's output for {test} iteration {iteration} holds no result this module can read. Command: {result.CommandLine}", raw, result);
        }

        LatencySample sample = NetperfSampleMapper.ToSample(parsed, test, iteration);
        if (!NetperfSampleMapper.HasLatency(sample))
        {
            throw Failure(LatencyFailure.Unparsable,
                $"netperf's output for {test} iteration {iteration} holds no latency figures. Command: {result.CommandLine}", raw, result);
        }
        if (CutShort(sample.ElapsedSeconds, result) is { } why)
        {
            throw Failure(LatencyFailure.CutShort,
                $"{test} iteration {iteration} was cut short ({why} of the {Request.DurationSeconds} s asked for: netperf was interrupted) and is not kept. Command: {result.CommandLine}", raw, result);
        }
        Stamp(sample, run, result);
        sample.RequestSize ??= Request.RequestSize;
        sample.ResponseSize ??= Request.ResponseSize;
        return sample;
    }

    /// <summary>What the admin can do about a netserver that did not answer: only what fits how it was asked.</summary>
    private string UnreachableAction(string test) =>
        Request.ComputerName is { Length: > 0 }
            ? "Start netserver on the target (netserver -p PORT), open the port in its firewall, or omit -ComputerName to measure this host."
            : HasPrivateServer(test)
                ? "The netserver this command started on this host stopped answering: run the command again; if it recurs, look for what ends processes on this host."
                : RunsInContainer
                    ? $"netperf in {Request.ClientLocation} must reach a netserver on 127.0.0.1:{Port}: the container needs the host's network (--net=host), or give -ComputerName."
                    : $"Start netserver on this host (netserver -p {Port}) or omit -Port to let the command start its own.";

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
}
