using System.Management.Automation;
using OnloadTools.Latency;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

/// <summary>Measure-SockperfLatency: sockperf ping-pong (UDP and TCP) as typed LatencyRun objects, with percentiles to p99.999.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "SockperfLatency")]
[OutputType(typeof(LatencyRun))]
public sealed class MeasureSockperfLatencyCommand : MeasureLatencyCmdlet
{
    /// <summary>Udp and/or Tcp: one run per protocol (TestName UDP_PINGPONG / TCP_PINGPONG).</summary>
    [Parameter]
    [ValidateSet("Udp", "Tcp", IgnoreCase = true)]
    public string[] Protocol { get; set; } = { "Udp" };

    /// <summary>Bytes per message (sockperf -m). sockperf's minimum is 14.</summary>
    [Parameter]
    [ValidateRange(14, 65507)]
    public int MessageSize { get; set; } = 14;

    /// <summary>Messages per second (sockperf --mps): a number, or max (the default).</summary>
    [Parameter]
    [ValidatePattern(@"^(?i:max|[1-9][0-9]{0,8})$")]
    public string Mps { get; set; } = "max";

    /// <summary>Reports round trips (sockperf --full-rtt) instead of sockperf's default one-way latency (half the round trip).</summary>
    [Parameter]
    public SwitchParameter RoundTrip { get; set; }

    /// <summary>Reads every round trip from sockperf's --full-log into a histogram: exact percentiles and a CDF ladder.</summary>
    [Parameter]
    public SwitchParameter FullDistribution { get; set; }

    protected override string ToolName => "Sockperf";
    protected override int ProgressId => 2;

    private SockperfRequest BuildRequest(string? computerName) => new()
    {
        ComputerName = computerName,
        Port = BoundPort,
        Protocols = Protocol.Select(p => p.ToUpperInvariant()).Distinct().ToArray(),
        MessageSize = MessageSize,
        DurationSeconds = Duration,
        Iterations = Iterations,
        MessagesPerSecond = string.Equals(Mps, "max", StringComparison.OrdinalIgnoreCase) ? null : int.Parse(Mps, System.Globalization.CultureInfo.InvariantCulture),
        RoundTrip = RoundTrip.IsPresent,
        Onload = Onload.IsPresent,
        OnloadProfile = OnloadProfile,
        Label = Label,
        FullDistribution = FullDistribution.IsPresent,
        HistoryPath = ResolvedHistoryPath,
    };

    protected override void ProcessRecord()
    {
        var request = BuildRequest(ComputerName);
        using var session = new SockperfSession(Runner, HostFs, request);
        Measure(session);
    }

    /// <summary>Runs every protocol of the session, emitting each run as soon as its iterations are done.</summary>
    internal void Measure(SockperfSession session)
    {
        var request = session.Request;
        try
        {
            Await(session.PrepareAsync(Cancellation));
        }
        catch (Exception e) when (e is ToolNotFoundException or ToolTimeoutException)
        {
            ThrowCommon(e, ComputerName);
        }
        catch (SockperfException e) when (e.Failure == SockperfFailure.Connection)
        {
            ThrowTerminatingError(Error(e, "SockperfServerUnreachable", ErrorCategory.ConnectionError, ComputerName));
        }
        catch (SockperfException e)
        {
            ThrowTerminatingError(Error(e, "SockperfServerStartFailed", ErrorCategory.ResourceUnavailable, e.RawOutput));
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        foreach (var (protocol, server) in session.PrivateServers)
        {
            WriteVerbose($"No sockperf {protocol} server was listening on this host; started '{server}' for this measurement.");
        }
        WriteVerbose($"Measuring against {session.Target} with sockperf {session.SockperfVersion ?? "(unknown version)"}; latencies are {(request.RoundTrip ? "round trips" : "one-way (half the round trip), as sockperf reports them")}.");

        var plans = request.Protocols.Select(protocol => (Func<TestPlan>)(() =>
        {
            LatencyRun run = session.NewRun(protocol);
            return new TestPlan
            {
                Run = run,
                Where = $"{session.Target}:{session.PortFor(protocol)}",
                CommandLine = session.BuildCommand(protocol).CommandLine,
                RunIteration = (i, ct) => session.RunIterationAsync(run, protocol, i, ct),
            };
        })).ToArray();
        MeasureAll(plans, request.Iterations, session.ExpectedIterationTime.TotalSeconds, request.HistoryPath,
            (e, plan) => e is SockperfException se
                // Nobody answers, or sockperf refuses the arguments: the protocol's next iterations would fail alike.
                ? new IterationFailure(IterationError(se, plan.Where, plan.Run.TestName),
                    SkipRestOfTest: se.Failure is SockperfFailure.Connection or SockperfFailure.InvalidArgument, SkipAllTests: false)
                : null);
    }

    private ErrorRecord IterationError(SockperfException e, string where, string test) => e.Failure switch
    {
        SockperfFailure.Connection => Error(e, "SockperfServerUnreachable", ErrorCategory.ConnectionError, where,
            "Start 'sockperf server -p PORT' (add --tcp for TCP) on the target, open the port in its firewall, or omit -ComputerName to measure this host."),
        SockperfFailure.InvalidArgument => Error(e, "SockperfInvalidArgument", ErrorCategory.InvalidArgument, test),
        SockperfFailure.Unparsable => Error(e, "SockperfOutputUnparsable", ErrorCategory.InvalidResult, e.RawOutput),
        SockperfFailure.FullLog => Error(e, "SockperfFullLogUnreadable", ErrorCategory.InvalidResult, e.RawOutput),
        SockperfFailure.CutShort => Error(e, "SockperfIterationCutShort", ErrorCategory.OperationStopped, test),
        _ => Error(e, "SockperfFailed", ErrorCategory.InvalidResult, e.RawOutput),
    };
}
