using System.Globalization;
using System.Management.Automation;
using OnloadTools.Containers;
using OnloadTools.Latency;
using OnloadTools.Onload;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

/// <summary>Measure-NetperfLatency: netperf request/response tests as typed LatencyRun objects.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "NetperfLatency")]
[OutputType(typeof(LatencyRun))]
public sealed class MeasureNetperfLatencyCommand : MeasureLatencyCmdlet
{
    [Parameter]
    [ValidateTestName(TestNameSet.Netperf)]
    [ArgumentCompleter(typeof(NetperfTestNameCompleter))]
    public string[] TestName { get; set; } = { NetperfRequest.TcpRr, NetperfRequest.UdpRr };

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

    protected override int ProgressId => 1;

    private protected override LatencySession CreateSession(string? computerName) => new NetperfSession(Runner, HostFs, Requested(new NetperfRequest
    {
        TestNames = TestName.Select(t => t.ToUpperInvariant()).Distinct().ToArray(),
        RequestSize = RequestSize,
        ResponseSize = ResponseSize,
        LocalCpu = LocalCpu >= 0 ? LocalCpu : NicCpus()?.RecommendedLocalCpu,
        RemoteCpu = RemoteCpu >= 0 ? RemoteCpu : NicCpus()?.RecommendedRemoteCpu,
        ConfidenceLevel = ConfidenceLevel is null ? null : int.Parse(ConfidenceLevel, CultureInfo.InvariantCulture),
        ConfidenceWidth = MyInvocation.BoundParameters.ContainsKey(nameof(ConfidenceWidth)) ? ConfidenceWidth : null,
        MaxIterations = MyInvocation.BoundParameters.ContainsKey(nameof(MaxIterations)) ? MaxIterations : null,
        ClientPrefix = Container?.ExecPrefix(Runner),
        ClientLocation = Container?.Location ?? "host",
    }, computerName));

    /// <summary>Refuses a container name the engine would read as an option (--privileged) or reject, before anything runs.</summary>
    protected override void Begin()
    {
        if (Container is { } container
            && ContainerNames.ContainerNameProblem(container.Name, container.Engine?.ToLowerInvariant() ?? ContainerEngine.Podman) is { } problem)
        {
            ThrowTerminatingError(Error(new ArgumentException(problem, nameof(Container)), ErrorIds.InvalidContainerName, ErrorCategory.InvalidArgument, container.Name));
        }
        base.Begin();
    }

    private bool _containerInspected;
    private Func<int, bool>? _containerScope;

    /// <summary>
    /// With -Container: when its image carries Onload (the org.openonload.version label) or -Onload is given, each
    /// iteration looks for libonload in the netperf processes of that container (its cgroup), as Invoke-LatencyComparison
    /// does for its container arm: Onload lost in a container (started without the devices, an image whose onload does
    /// nothing) is what admins miss. Inspected once per invocation; a container that cannot be inspected is measured
    /// unchecked, with a warning.
    /// </summary>
    private protected override Func<int, bool>? AccelerationScope(LatencySession session)
    {
        if (Container is not { } container) return base.AccelerationScope(session);
        if (_containerInspected) return _containerScope;
        _containerInspected = true;
        var probe = Await(ContainerProbe.ScopeAsync(Runner, HostFs, container, Onload, Cancellation));
        if (probe.Warning is { } warning) WriteWarning(warning);
        if (probe.Verbose is { } verbose) WriteVerbose(verbose);
        return _containerScope = probe.Scope;
    }

    private NicCpuAffinity? _nicCpus;

    /// <summary>-InterfaceName's NIC-local CPU pair, looked up once; null when no interface is given or CPUs were given.</summary>
    private NicCpuAffinity? NicCpus()
    {
        if (InterfaceName is null || LocalCpu >= 0 || RemoteCpu >= 0) return null;
        if (_nicCpus is not null) return _nicCpus;
        _nicCpus = new OnloadTools.Tuning.NicTopology(HostFs).Describe(InterfaceName);   // no such interface: InterfaceNotFound, through the funnel
        if (_nicCpus!.NetperfCpuArgument is null)
            WriteWarning($"No CPU pair to bind netperf to for {InterfaceName}: {string.Join(" ", _nicCpus.Notes)} netperf runs unbound.");
        else
            WriteVerbose($"{InterfaceName} (NUMA node {_nicCpus.NumaNode?.ToString() ?? "-"}): binding netperf {_nicCpus.NetperfCpuArgument}.");
        return _nicCpus;
    }
}

/// <summary>Which -TestName set a cmdlet takes.</summary>
internal enum TestNameSet
{
    /// <summary>netperf's tests (<see cref="NetperfRequest.KnownTests"/>): Measure-NetperfLatency.</summary>
    Netperf,
    /// <summary>netperf's tests and sockperf's protocols (<see cref="ComparisonPlan.TestNames"/>): Invoke-LatencyComparison.</summary>
    Comparison,
}

/// <summary>
/// -TestName's set, written once in the domain (<see cref="TestNameSet"/>). Case-insensitive, refused at binding
/// before anything runs, with ValidateSet's message (a ValidateSet cannot take its values from a list).
/// </summary>
internal sealed class ValidateTestNameAttribute(TestNameSet set) : ValidateEnumeratedArgumentsAttribute
{
    public static IReadOnlyList<string> ValuesOf(TestNameSet set) => set == TestNameSet.Netperf ? NetperfRequest.KnownTests : ComparisonPlan.TestNames;

    protected override void ValidateElement(object element)
    {
        string? name = (element is PSObject p ? p.BaseObject : element)?.ToString();
        var valid = ValuesOf(set);
        if (name is null || !valid.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            throw new ValidationMetadataException($"The argument \"{name}\" does not belong to the set \"{string.Join(",", valid)}\". " +
                "Supply an argument that is in the set and then try the command again.");
        }
    }

    internal static IEnumerable<CompletionResult> Complete(TestNameSet set, string? wordToComplete)
    {
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        return ValuesOf(set).Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }
}

/// <summary>Completes Measure-NetperfLatency -TestName: netperf's tests.</summary>
internal sealed class NetperfTestNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters) =>
        ValidateTestNameAttribute.Complete(TestNameSet.Netperf, wordToComplete);
}

/// <summary>Completes Invoke-LatencyComparison -TestName: netperf's tests and sockperf's protocols.</summary>
internal sealed class ComparisonTestNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters) =>
        ValidateTestNameAttribute.Complete(TestNameSet.Comparison, wordToComplete);
}
