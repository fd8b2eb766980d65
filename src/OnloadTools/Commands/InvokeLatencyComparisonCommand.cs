using System.Collections;
using System.Management.Automation;
using OnloadTools.Containers;
using OnloadTools.Latency;
using OnloadTools.Onload;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

/// <summary>
/// Invoke-LatencyComparison: the reference architecture's experiment in one command. Two arms (bare metal and an
/// Onload container by default, or two -Arm descriptions) measured with netperf (or sockperf: -Tool) in interleaved order (A B B A …) by
/// <see cref="ComparisonExperimentRunner"/>, which stops each test as soon as its verdict is decided. This cmdlet binds
/// the parameters, asks ShouldProcess, shows progress and emits each test's comparisons as soon as it is decided
/// (a verdict table); each comparison's Runs holds its two runs, and -PassThru emits the runs too.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "LatencyComparison", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(LatencyComparison), typeof(LatencyRun))]
public sealed partial class InvokeLatencyComparisonCommand : ContainerCmdlet
{
    /// <summary>netserver host for both arms. Default: this host, against the comparison's own private netserver.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? ComputerName { get; set; }

    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>netperf's tests; with -Tool Sockperf, the protocols UDP and TCP (TCP_RR and UDP_RR stand for them).</summary>
    [Parameter]
    [ValidateTestName(TestNameSet.Comparison)]
    [ArgumentCompleter(typeof(ComparisonTestNameCompleter))]
    public string[] TestName { get; set; } = { NetperfRequest.TcpRr, NetperfRequest.UdpRr };

    /// <summary>The measuring tool of both arms: netperf (default) or sockperf ping-pong, whose every round trip is read
    /// from its full log so that each iteration has its own p99, p99.9 and p99.99.</summary>
    [Parameter]
    [ValidateSet("Netperf", "Sockperf", IgnoreCase = true)]
    public string Tool { get; set; } = "Netperf";

    private ComparisonTool ToolKind => Enum.Parse<ComparisonTool>(Tool, ignoreCase: true);

    /// <summary>Seconds per iteration (netperf -l).</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Duration { get; set; } = LatencyRequest.DefaultDurationSeconds;

    /// <summary>CPU netperf is bound to in both arms (netperf -T local,), inside a container arm too.</summary>
    [Parameter]
    [ValidateRange(0, 4095)]
    public int LocalCpu { get; set; } = -1;

    /// <summary>CPU netserver is bound to (netperf -T ,remote).</summary>
    [Parameter]
    [ValidateRange(0, 4095)]
    public int RemoteCpu { get; set; } = -1;

    /// <summary>A fixed protocol: exactly this many iterations per arm, one comparison at the end (-Iterations 5 -Duration 120 is the paper's).</summary>
    [Parameter]
    [ValidateRange(2, 1000)]
    public int Iterations { get; set; }

    /// <summary>The adaptive rule's largest number of iterations per arm (its last look).</summary>
    [Parameter]
    [ValidateRange(3, 1000)]
    public int MaxIterations { get; set; } = ComparisonSettings.DefaultMaxIterations;

    /// <summary>The adaptive rule stops when the next step would not fit; undecided tests are then Inconclusive.</summary>
    [Parameter]
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromMinutes(ComparisonSettings.DefaultMaxDurationMinutes);

    /// <summary>Overall confidence of the verdicts (the error rates are at most 1 − this).</summary>
    [Parameter]
    [ValidateRange(ComparisonOptions.MinConfidenceLevel, ComparisonOptions.MaxConfidenceLevel)]
    public double ConfidenceLevel { get; set; } = ComparisonOptions.DefaultConfidenceLevel;

    /// <summary>± % inside which the whole interval must lie for Equivalent.</summary>
    [Parameter]
    [ValidateRange(ComparisonOptions.MinEquivalenceMargin, ComparisonOptions.MaxEquivalenceMargin)]
    public double EquivalenceMargin { get; set; } = ComparisonOptions.DefaultEquivalenceMargin;

    /// <summary>Two arm descriptions (hashtables): Label, and any of Onload, OnloadProfile, Container, Image, Prepare (a scriptblock run before each switch to the arm).</summary>
    [Parameter]
    [ValidateCount(2, 2)]
    [ValidateNotNull]
    public Hashtable[]? Arm { get; set; }

    /// <summary>The Onload image of the container arm. Default: localhost/onloadtools-comparison:latest, built from -BaseImage when absent.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(OnloadImageNameCompleter))]
    public string? Image { get; set; }

    /// <summary>The base image New-OnloadImage builds the container arm's image from when it does not exist (it must have netperf).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? BaseImage { get; set; }

    /// <summary>Onload packages for that build (New-OnloadImage -OnloadPackage).</summary>
    [Parameter]
    [ValidateNotNull]
    public object[]? OnloadPackage { get; set; }

    [Parameter]
    [ValidateOnloadProfile]
    [ArgumentCompleter(typeof(OnloadProfileCompleter))]
    public string OnloadProfile { get; set; } = OnloadProfileName.Default;

    /// <summary>A folder (or .jsonl file) where each run is saved after every completed iteration.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HistoryPath { get; set; }

    /// <summary>Writes the HTML report of the runs here at the end.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ReportPath { get; set; }

    /// <summary>Emits each test's two runs before its comparisons (by default only the comparisons, whose Runs holds them).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private string? ResolvedHistoryPath => ResolveHistoryPath(HistoryPath);

    protected override void Begin() => RefuseUnusableHistory(ResolvedHistoryPath);

    protected override void Process()
    {
        var tests = TestsForTool();
        List<(ComparisonArm Arm, ScriptBlock? Prepare)> arms = ResolveArms();
        string what = ComparisonPlan.Title(arms.Select(a => a.Arm).ToArray()), detail = ComparisonPlan.Detail(arms.Select(a => a.Arm).ToArray(), ToolKind);
        if (!ShouldProcess($"Interleaved latency comparison {what}: {detail}", $"Run the latency comparison {what} ({detail})?", "Invoke-LatencyComparison"))
        {
            return;
        }
        bool isFixed = MyInvocation.BoundParameters.ContainsKey(nameof(Iterations));
        var settings = new ComparisonSettings
        {
            ComputerName = ComputerName,
            Port = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : null,
            TestNames = tests,
            Tool = ToolKind,
            DurationSeconds = Duration,
            FixedIterations = isFixed ? Iterations : null,
            MaxIterations = MaxIterations,
            MaxDuration = MaxDuration,
            ConfidenceLevel = ConfidenceLevel,
            EquivalenceMargin = EquivalenceMargin,
            LocalCpu = LocalCpu >= 0 ? LocalCpu : null,
            RemoteCpu = RemoteCpu >= 0 ? RemoteCpu : null,
            HistoryPath = ResolvedHistoryPath,
        };
        using var experiment = new ComparisonExperimentRunner(Runner, HostFs, settings, arms.Select(a => a.Arm).ToArray());
        var host = new ExperimentHost(this, arms.Where(a => a.Prepare is not null).ToDictionary(a => a.Arm, a => a.Prepare!));
        try
        {
            foreach (var (arm, _) in arms) PrepareArm(experiment, arm);
            WriteVerbose($"Rule: {experiment.Rule.Describe()}.");
            experiment.Run(host, Cancellation);
            WriteProgress(new ProgressRecord(3, "Invoke-LatencyComparison", "Done") { RecordType = ProgressRecordType.Completed });
            if (ReportPath is not null) WriteReport(experiment);
        }
        finally
        {
            // However it ended (Ctrl+C surfaces from any Write* call as PipelineStoppedException), no run is left
            // InProgress, and nothing started for the experiment outlives it.
            experiment.FinishUnfinished();
            foreach (string problem in experiment.CleanUp())
            {
                if (!Stopping) WriteWarning($"Container {problem}. Remove it with: {Service.Engine.Name} rm --force {problem.Split(':')[0]}");
            }
        }
    }

    /// <summary>The experiment's tests for the tool (<see cref="ComparisonPlan.TestsFor"/>); what the tool cannot take is refused.</summary>
    private IReadOnlyList<string> TestsForTool()
    {
        string? cpu = LocalCpu >= 0 ? nameof(LocalCpu) : RemoteCpu >= 0 ? nameof(RemoteCpu) : null;
        if (cpu is not null && ComparisonPlan.OptionProblem(ToolKind, cpu) is { } notForTool)
        {
            ThrowTerminatingError(Error(new ArgumentException(notForTool, cpu), "ParameterNotForTool", ErrorCategory.InvalidArgument, cpu));
        }
        var selection = ComparisonPlan.TestsFor(ToolKind, TestName);
        if (selection.Refused is { } refused)
        {
            ThrowTerminatingError(Error(new ArgumentException(selection.Problem, nameof(TestName)), "TestNameNotForTool", ErrorCategory.InvalidArgument, refused));
        }
        return selection.Tests;
    }

    // ------------------------------------------------------------------ arms

    private List<(ComparisonArm Arm, ScriptBlock? Prepare)> ResolveArms()
    {
        if (Arm is null)
        {
            if (Image is not null) ValidateImage(Image, nameof(Image));
            if (BaseImage is not null) ValidateImage(BaseImage, nameof(BaseImage));
            return ComparisonPlan.DefaultArms(Image, OnloadProfile).Select(a => (a, (ScriptBlock?)null)).ToList();
        }
        var arms = new List<(ComparisonArm Arm, ScriptBlock? Prepare)>();
        foreach (Hashtable h in Arm)
        {
            var (arm, prepare, problem) = ComparisonArmBinder.Bind(h, OnloadProfile);
            if (problem is not null) ThrowInvalidArm(problem, h);
            arms.Add((arm!, prepare));
            if (arms[^1].Arm.Container is { } container) ValidateContainerName(container, nameof(Arm));
            if (arms[^1].Arm.Image is { } image) ValidateImage(image, nameof(Arm));
        }
        if (ComparisonPlan.ArmsProblem(arms.Select(a => a.Arm).ToArray()) is { } pairProblem) ThrowInvalidArm(pairProblem, Arm);
        return arms;
    }

    private void ThrowInvalidArm(string message, object target) =>
        ThrowTerminatingError(Error(new ArgumentException(message, nameof(Arm)), "InvalidArm", ErrorCategory.InvalidArgument, target));

    private void PrepareArm(ComparisonExperimentRunner experiment, ComparisonArm arm)
    {
        // A container failure ends the command through the funnel, with the image or container as its target.
        if (arm.Image is { } image)
        {
            ContainerService service = Service;
            ImageInspect inspect = FindImage(service, image) ?? BuildImage(service, image);
            var started = Run(ct => experiment.StartContainerAsync(arm, service, image, inspect, ct), image);
            foreach (string name in started.Removed) WriteVerbose($"Removed container {name}, left by a comparison whose pwsh is gone.");
            foreach (string w in started.Warnings) WriteWarning(w);
            WriteVerbose($"Arm {arm.Label}: started container {arm.Container} with: {arm.StartedContainer!.RunCommand.CommandLine}");
        }
        else if (arm.Container is not null) Run(ct => experiment.ResolveContainerAsync(arm, Service, ct), arm.Container);
        LatencySession session = experiment.CreateSession(arm, arm.Container is null ? null : Service.Engine);
        if (PrepareLatencySession(session, "comparison") is { } unresolved) ThrowTerminatingError(unresolved);
        WriteVerbose($"Arm {arm.Label}: {session.BuildCommand(session.Request.Tests[0]).CommandLine}");
    }

    private ImageInspect? FindImage(ContainerService service, string image)
    {
        var inspect = Run(ct => service.FindImageAsync(image, ct), image);
        if (inspect is not null) WriteVerbose($"Reusing image {image} ({inspect.Id}).");
        return inspect;
    }

    /// <summary>New-OnloadImage itself, in a nested pipeline of this runspace (one home for building images), when
    /// the default image is absent and -BaseImage was given.</summary>
    private ImageInspect BuildImage(ContainerService service, string tag)
    {
        if (ComparisonPlan.MissingImageProblem(tag, Arm is not null, BaseImage) is { } missing)
        {
            ThrowTerminatingError(Error(new ItemNotFoundException(missing), ErrorIds.ImageNotFound, ErrorCategory.ObjectNotFound, tag, "Build it with New-OnloadImage, or give -BaseImage so Invoke-LatencyComparison builds it."));
        }
        WriteVerbose($"Building {tag} from {BaseImage} with New-OnloadImage.");
        using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddCommand("New-OnloadImage").AddParameter("Tag", tag).AddParameter("BaseImage", BaseImage);
        if (OnloadPackage is { Length: > 0 }) ps.AddParameter("OnloadPackage", OnloadPackage);
        if (Engine is not null) ps.AddParameter("Engine", Engine);
        ps.AddParameter("Confirm", false);
        try { ps.Invoke(); }
        catch (RuntimeException e) { ThrowTerminatingError(new ErrorRecord(e.ErrorRecord, e)); }
        foreach (var w in ps.Streams.Warning) WriteWarning(w.Message);
        if (ps.HadErrors || ps.Streams.Error.Count > 0)
        {
            ThrowTerminatingError(ps.Streams.Error.FirstOrDefault() ?? Error(new InvalidOperationException($"New-OnloadImage could not build {tag}."), ErrorIds.ImageBuildFailed, ErrorCategory.InvalidResult, tag));
        }
        return FindImage(service, tag) ?? throw new PipelineStoppedException();
    }

    private void WriteReport(ComparisonExperimentRunner experiment)
    {
        string path = GetUnresolvedProviderPathFromPSPath(ReportPath!);
        try
        {
            if (experiment.WriteReport(path)) WriteVerbose($"Report written to {path}.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(WriteFailure(e, ErrorIds.ReportWriteFailed, path));
        }
    }
}
