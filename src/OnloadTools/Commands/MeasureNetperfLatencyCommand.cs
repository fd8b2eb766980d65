using System.Globalization;
using System.Management.Automation;
using OnloadTools.Containers;
using OnloadTools.Latency;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

/// <summary>Measure-NetperfLatency: netperf request/response tests as typed LatencyRun objects.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "NetperfLatency")]
[OutputType(typeof(LatencyRun))]
public sealed class MeasureNetperfLatencyCommand : MeasureLatencyCmdlet
{
    [Parameter]
    [ValidateSet("TCP_RR", "UDP_RR", "TCP_CRR", IgnoreCase = true)]
    public string[] TestName { get; set; } = { "TCP_RR", "UDP_RR" };

    [Parameter]
    [ValidateRange(1, 65507)]
    public int RequestSize { get; set; } = 1;

    [Parameter]
    [ValidateRange(1, 65507)]
    public int ResponseSize { get; set; } = 1;

    /// <summary>CPU netperf is bound to (netperf -T local,).</summary>
    [Parameter]
    [ValidateRange(0, 4095)]
    public int LocalCpu { get; set; } = -1;

    /// <summary>CPU netserver is bound to (netperf -T ,remote).</summary>
    [Parameter]
    [ValidateRange(0, 4095)]
    public int RemoteCpu { get; set; } = -1;

    /// <summary>netperf -I level: 95 or 99.</summary>
    [Parameter]
    [ValidateSet("95", "99")]
    public string? ConfidenceLevel { get; set; }

    /// <summary>netperf -I width: the confidence interval's total width in percent.</summary>
    [Parameter]
    [ValidateRange(0.1, 50.0)]
    public double ConfidenceWidth { get; set; }

    /// <summary>netperf -i max: the most internal iterations netperf may run to reach the confidence.</summary>
    [Parameter]
    [ValidateRange(3, 30)]
    public int MaxIterations { get; set; }

    /// <summary>Binds netperf to the CPU pair Get-NicCpuAffinity recommends for this interface (when -LocalCpu/-RemoteCpu are not given).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? InterfaceName { get; set; }

    /// <summary>Runs the netperf client inside this container (engine exec): a name or an OnloadContainer.</summary>
    [Parameter]
    [ContainerReferenceTransformation]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(RunningOnloadContainerCompleter))]
    public ContainerReference? Container { get; set; }

    protected override string ToolName => "Netperf";
    protected override int ProgressId => 1;

    private NetperfRequest BuildRequest(string? computerName) => new()
    {
        ComputerName = computerName,
        Port = BoundPort,
        TestNames = TestName.Select(t => t.ToUpperInvariant()).Distinct().ToArray(),
        DurationSeconds = Duration,
        Iterations = Iterations,
        RequestSize = RequestSize,
        ResponseSize = ResponseSize,
        LocalCpu = LocalCpu >= 0 ? LocalCpu : NicCpus()?.RecommendedLocalCpu,
        RemoteCpu = RemoteCpu >= 0 ? RemoteCpu : NicCpus()?.RecommendedRemoteCpu,
        Onload = Onload.IsPresent,
        OnloadProfile = OnloadProfile,
        Label = Label,
        ConfidenceLevel = ConfidenceLevel is null ? null : int.Parse(ConfidenceLevel, CultureInfo.InvariantCulture),
        ConfidenceWidth = MyInvocation.BoundParameters.ContainsKey(nameof(ConfidenceWidth)) ? ConfidenceWidth : null,
        MaxIterations = MyInvocation.BoundParameters.ContainsKey(nameof(MaxIterations)) ? MaxIterations : null,
        HistoryPath = ResolvedHistoryPath,
        ClientPrefix = Container?.ExecPrefix(Runner),
        ClientLocation = Container?.Location ?? "host",
    };

    /// <summary>Refuses a container name the engine would read as an option (--privileged) or reject, before anything runs.</summary>
    protected override void BeginProcessing()
    {
        if (Container is { } container
            && ContainerNames.ContainerNameProblem(container.Name, container.Engine?.ToLowerInvariant() ?? ContainerEngine.Podman) is { } problem)
        {
            ThrowTerminatingError(Error(new ArgumentException(problem, nameof(Container)), "InvalidContainerName", ErrorCategory.InvalidArgument, container.Name));
        }
        base.BeginProcessing();
    }

    protected override void ProcessRecord()
    {
        var request = BuildRequest(ComputerName);
        using var session = new NetperfSession(Runner, HostFs, request);
        Measure(session);
    }

    /// <summary>Runs every test of the session, emitting each run as soon as its iterations are done.</summary>
    internal void Measure(NetperfSession session)
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
        catch (NetperfException e) when (e.Failure == NetperfFailure.UnresolvedHost)
        {
            // Per computer: the next name piped in may resolve.
            WriteError(Error(e, "ComputerNameNotResolved", ErrorCategory.ObjectNotFound, request.ComputerName,
                "Give a name this host resolves (check it with: getent hosts NAME) or an IP address."));
            return;
        }
        catch (NetperfException e) when (e.Failure == NetperfFailure.ClientUnavailable)
        {
            ThrowTerminatingError(Error(e, "NetperfClientUnavailable", ErrorCategory.ObjectNotFound, request.ClientLocation));
        }
        catch (NetperfException e)
        {
            ThrowTerminatingError(Error(e, "NetserverStartFailed", ErrorCategory.ResourceUnavailable, e.RawOutput));
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        if (session.StartedPrivateServer)
        {
            WriteVerbose($"No netserver was listening on this host; started '{session.PrivateServerCommandLine}' for this measurement.");
        }
        WriteVerbose($"Measuring against {session.Target}:{session.Port} with netperf {session.NetperfVersion ?? "(unknown version)"}.");

        var plans = request.TestNames.Select(test => (Func<TestPlan>)(() =>
        {
            LatencyRun run = session.NewRun(test);
            return new TestPlan
            {
                Run = run,
                Where = $"{session.Target}:{session.Port}",
                CommandLine = session.BuildCommand(test).CommandLine,
                // Was it really accelerated? With -Onload on the host, each iteration looks for libonload in netperf's maps.
                RunIteration = request.Onload && request.ClientPrefix is null
                    ? async (i, ct) =>
                    {
                        var sample = await AccelerationProbe.RunCheckedAsync(c => session.RunIterationAsync(run, i, c), HostFs, session.BuildCommand(test),
                            AccelerationProbe.ChildrenOfThisProcess(HostFs), AccelerationProbe.DelayFor(request.DurationSeconds), ct).ConfigureAwait(false);
                        run.Accelerated = AccelerationProbe.Combine(run.Samples.Append(sample));
                        return sample;
                    }
                    : (i, ct) => session.RunIterationAsync(run, i, ct),
            };
        })).ToArray();
        MeasureAll(plans, request.Iterations, session.ExpectedIterationTime.TotalSeconds, request.HistoryPath,
            (e, plan) => e is NetperfException ne
                ? new IterationFailure(IterationError(ne, session, plan.Run.TestName), SkipRestOfTest: ne.Failure == NetperfFailure.WrongTest,
                    SkipAllTests: ne.Failure == NetperfFailure.Connection)
                : null);
    }

    private ErrorRecord IterationError(NetperfException e, NetperfSession session, string test) => e.Failure switch
    {
        NetperfFailure.Connection => Error(e, "NetserverUnreachable", ErrorCategory.ConnectionError, $"{session.Target}:{session.Port}",
            "Start netserver on the target (netserver -p PORT), open the port in its firewall, or omit -ComputerName to measure this host."),
        NetperfFailure.UnknownTest => Error(e, "NetperfUnknownTest", ErrorCategory.InvalidArgument, test),
        NetperfFailure.Unparsable => Error(e, "NetperfOutputUnparsable", ErrorCategory.InvalidResult, e.RawOutput),
        NetperfFailure.WrongTest => Error(e, "NetperfWrongTest", ErrorCategory.InvalidResult, e.RawOutput,
            "Check which netperf is first on PATH (Get-Command netperf) and that it honours -t."),
        NetperfFailure.CutShort => Error(e, "NetperfIterationCutShort", ErrorCategory.OperationStopped, test),
        _ => Error(e, "NetperfFailed", ErrorCategory.InvalidResult, e.RawOutput),
    };

    private NicCpuAffinity? _nicCpus;

    /// <summary>-InterfaceName's NIC-local CPU pair, looked up once; null when no interface is given or CPUs were given.</summary>
    private NicCpuAffinity? NicCpus()
    {
        if (InterfaceName is null || LocalCpu >= 0 || RemoteCpu >= 0) return null;
        if (_nicCpus is not null) return _nicCpus;
        try
        {
            _nicCpus = new OnloadTools.Tuning.NicTopology(HostFs).Describe(InterfaceName);
        }
        catch (OnloadTools.Tuning.InterfaceNotFoundException e)
        {
            ThrowTerminatingError(Error(e, "InterfaceNotFound", ErrorCategory.ObjectNotFound, InterfaceName));
        }
        if (_nicCpus!.NetperfCpuArgument is null)
            WriteWarning($"No CPU pair to bind netperf to for {InterfaceName}: {string.Join(" ", _nicCpus.Notes)} netperf runs unbound.");
        else
            WriteVerbose($"{InterfaceName} (NUMA node {_nicCpus.NumaNode?.ToString() ?? "-"}): binding netperf {_nicCpus.NetperfCpuArgument}.");
        return _nicCpus;
    }
}
