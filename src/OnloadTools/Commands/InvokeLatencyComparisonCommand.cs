using System.Collections;
using System.Globalization;
using System.Management.Automation;
using OnloadTools.Containers;
using OnloadTools.Latency;
using OnloadTools.Onload;
using OnloadTools.Processes;
using OnloadTools.Reporting;

namespace OnloadTools.Commands;

/// <summary>
/// Invoke-LatencyComparison: the reference architecture's experiment in one command. Two arms (bare metal and an
/// Onload container by default, or two -Arm descriptions) measured with netperf in interleaved order (A B B A …),
/// compared after each pair by the group-sequential rule of <see cref="SequentialDecision"/>, stopping each test as
/// soon as its verdict is decided (or with -Iterations, a fixed protocol). Emits each test's two runs and their
/// comparisons as soon as the test is decided.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "LatencyComparison", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(LatencyRun), typeof(LatencyComparison))]
public sealed class InvokeLatencyComparisonCommand : ContainerCmdlet
{
    /// <summary>The image of the default container arm when no -Image is given (built from -BaseImage when absent).</summary>
    public const string DefaultImage = "localhost/onloadtools-comparison:latest";
    private static readonly string[] ArmKeys = { "Label", "Onload", "OnloadProfile", "Container", "Image", "Prepare" };

    /// <summary>netserver host for both arms. Default: this host (a private netserver when none listens).</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? ComputerName { get; set; }

    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    [Parameter]
    [ValidateSet("TCP_RR", "UDP_RR", "TCP_CRR", IgnoreCase = true)]
    public string[] TestName { get; set; } = { "TCP_RR", "UDP_RR" };

    /// <summary>Seconds per iteration (netperf -l).</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Duration { get; set; } = 10;

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
    public int MaxIterations { get; set; } = 10;

    /// <summary>The adaptive rule stops when the next step would not fit; undecided tests are then Inconclusive.</summary>
    [Parameter]
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Overall confidence of the verdicts (the error rates are at most 1 − this).</summary>
    [Parameter]
    [ValidateRange(0.5, 0.999)]
    public double ConfidenceLevel { get; set; } = 0.95;

    /// <summary>± % inside which the whole interval must lie for Equivalent.</summary>
    [Parameter]
    [ValidateRange(0.1, 100.0)]
    public double EquivalenceMargin { get; set; } = 5;

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
    [ValidateNotNullOrEmpty]
    [ValidatePattern(@"^[A-Za-z0-9_.\-]+$")]
    public string OnloadProfile { get; set; } = "latency";

    /// <summary>A folder (or .jsonl file) where each run is saved after every completed iteration.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HistoryPath { get; set; }

    /// <summary>Writes the HTML report of the runs here at the end.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ReportPath { get; set; }

    private sealed class ArmState
    {
        public required string Label { get; init; }
        public bool Onload { get; set; }
        public string OnloadProfile { get; set; } = "latency";
        public string? Container { get; set; }
        public string? Image { get; set; }
        public ScriptBlock? Prepare { get; init; }
        /// <summary>The container this command started for the arm (stopped and removed at the end).</summary>
        public string? StartedContainer { get; set; }
        /// <summary>The full id of the arm's container, for finding its netperf in /proc.</summary>
        public string? ContainerId { get; set; }
        /// <summary>Onload is expected: asked for, or the image carries it.</summary>
        public bool ExpectsOnload { get; set; }
        public NetperfSession? Session { get; set; }
        public Dictionary<string, LatencyRun> Runs { get; } = new(StringComparer.OrdinalIgnoreCase);
        public bool WarnedNotAccelerated { get; set; }
    }

    private readonly List<LatencyRun> _allRuns = new();

    protected override void ProcessRecord()
    {
        List<ArmState> arms = ResolveArms();
        string what = $"{arms[0].Label} vs {arms[1].Label}";
        string detail = string.Join("; ", arms.Select(Describe));
        if (!ShouldProcess($"Interleaved latency comparison {what}: {detail}", $"Run the latency comparison {what} ({detail})?", "Invoke-LatencyComparison"))
        {
            return;
        }

        try
        {
            foreach (ArmState arm in arms) PrepareArm(arm, arms[0]);
            RunExperiment(arms);
        }
        finally
        {
            // However the experiment ended (Ctrl+C can surface from any Write* call as PipelineStoppedException),
            // no run is left InProgress: what was measured is saved, marked Stopped.
            foreach (var r in _allRuns.Where(r => r.Status == "InProgress"))
            {
                r.Finish(stopped: true);
                PersistRun(r, ResolvedHistoryPath);
            }
            CleanUp(arms);
        }
    }

    // ------------------------------------------------------------------ arms

    private List<ArmState> ResolveArms()
    {
        if (Arm is null)
        {
            if (Image is not null) ValidateImage(Image, nameof(Image));
            if (BaseImage is not null) ValidateImage(BaseImage, nameof(BaseImage));
            return new List<ArmState>
            {
                new() { Label = "bare-metal", OnloadProfile = OnloadProfile },
                new() { Label = "container", Image = Image ?? DefaultImage, OnloadProfile = OnloadProfile },
            };
        }
        var arms = new List<ArmState>();
        foreach (Hashtable h in Arm)
        {
            foreach (object key in h.Keys)
            {
                if (!ArmKeys.Contains(key.ToString(), StringComparer.OrdinalIgnoreCase))
                {
                    ThrowInvalidArm($"-Arm has an unknown key '{key}'. Known keys: {string.Join(", ", ArmKeys)}.", h);
                }
            }
            object? Get(string k) => h.Keys.Cast<object>().FirstOrDefault(x => string.Equals(x.ToString(), k, StringComparison.OrdinalIgnoreCase)) is { } key
                ? (h[key] is PSObject p ? p.BaseObject : h[key]) : null;
            string? label = Get("Label")?.ToString();
            if (label is not { Length: > 0 }) ThrowInvalidArm("Each -Arm needs a Label (for example @{ Label = 'onload'; Onload = $true }).", h);
            var prepare = Get("Prepare");
            if (prepare is not null and not ScriptBlock) ThrowInvalidArm($"-Arm '{label}': Prepare must be a scriptblock.", h);
            string? container = Get("Container") switch
            {
                null => null,
                OnloadContainer c => c.Name,
                var o => PSObject.AsPSObject(o).Properties["Name"]?.Value?.ToString() ?? o.ToString(),
            };
            string? image = Get("Image")?.ToString();
            if (container is not null && image is not null) ThrowInvalidArm($"-Arm '{label}': give Container or Image, not both.", h);
            if (container is not null) ValidateContainerName(container, nameof(Arm));
            if (image is not null) ValidateImage(image, nameof(Arm));
            string profile = Get("OnloadProfile")?.ToString() ?? OnloadProfile;
            arms.Add(new ArmState
            {
                Label = label!,
                Onload = LanguagePrimitives.IsTrue(Get("Onload")),
                OnloadProfile = profile,
                Container = container,
                Image = image,
                Prepare = prepare as ScriptBlock,
            });
        }
        if (string.Equals(arms[0].Label, arms[1].Label, StringComparison.OrdinalIgnoreCase))
        {
            ThrowInvalidArm($"The two arms have the same label '{arms[0].Label}': give each its own.", Arm);
        }
        return arms;
    }

    private void ThrowInvalidArm(string message, object target) =>
        ThrowTerminatingError(Error(new ArgumentException(message, nameof(Arm)), "InvalidArm", ErrorCategory.InvalidArgument, target));

    private static string Describe(ArmState a) =>
        a.Label + ": " + (a.Image is not null ? $"netperf in a container of {a.Image}" : a.Container is not null ? $"netperf in container {a.Container}" : "netperf on this host")
        + (a.Onload ? " under onload" : "") + (a.Prepare is not null ? ", prepared by a scriptblock" : "");

    private void PrepareArm(ArmState arm, ArmState reference)
    {
        if (arm.Image is not null) StartContainer(arm);
        if (arm.Container is not null && arm.StartedContainer is null)
        {
            arm.ExpectsOnload |= arm.Onload;
            try
            {
                arm.ContainerId = Run(ct => Service.InspectContainerAsync(arm.Container, ct), arm.Container).Id;
            }
            catch (Exception e) when (IsReportable(e))
            {
                ThrowTerminatingError(ContainerError(e, arm.Container));
            }
        }
        else if (arm.Container is null)
        {
            arm.ExpectsOnload = arm.Onload;
        }

        var request = new NetperfRequest
        {
            ComputerName = ComputerName,
            Port = ReferenceEquals(arm, reference) ? (MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : null) : reference.Session!.Port,
            TestNames = TestName.Select(t => t.ToUpperInvariant()).Distinct().ToArray(),
            DurationSeconds = Duration,
            Iterations = Iterations,
            LocalCpu = LocalCpu >= 0 ? LocalCpu : null,
            RemoteCpu = RemoteCpu >= 0 ? RemoteCpu : null,
            Onload = arm.Onload,
            OnloadProfile = arm.OnloadProfile,
            Label = arm.Label,
            HistoryPath = ResolvedHistoryPath,
            ClientPrefix = arm.Container is null ? null : new ContainerReference(arm.Container, Service.Engine.Name).ExecPrefix(Runner),
            ClientLocation = arm.Container is null ? "host" : "container:" + arm.Container,
        };
        var session = new NetperfSession(Runner, HostFs, request);
        arm.Session = session;
        if (PrepareLatencySession(session, "comparison") is { } unresolved) ThrowTerminatingError(unresolved);
        WriteVerbose($"Arm {arm.Label}: {session.BuildCommand(request.TestNames[0]).CommandLine}");
    }

    private string? ResolvedHistoryPath => ResolveHistoryPath(HistoryPath);

    protected override void BeginProcessing() => RefuseUnusableHistory(ResolvedHistoryPath);

    /// <summary>Starts a container of the arm's image (built first when it is the default image and absent) for netperf to run in.</summary>
    private void StartContainer(ArmState arm)
    {
        ContainerService service = Service;
        string image = arm.Image!;
        ImageInspect? inspect = TryInspectImage(service, image);
        if (inspect is null)
        {
            if (Arm is not null || BaseImage is null)
            {
                var e = new ItemNotFoundException(Arm is null
                    ? $"The container arm needs an Onload image: '{image}' does not exist. Give -BaseImage (an image with netperf) to build it with New-OnloadImage, or -Image with an existing one."
                    : $"Image '{image}' does not exist.");
                ThrowTerminatingError(Error(e, "ImageNotFound", ErrorCategory.ObjectNotFound, image,
                    "Build it with New-OnloadImage, or give -BaseImage so Invoke-LatencyComparison builds it."));
            }
            BuildImage(image);
            inspect = TryInspectImage(service, image) ?? throw new PipelineStoppedException();
        }
        else
        {
            WriteVerbose($"Reusing image {image} ({inspect.Id}).");
        }
        bool imageHasOnload = inspect.Labels.ContainsKey(OnloadFacts.VersionLabel);

        var devices = service.HostOnloadDevices();
        string name = "onloadtools-comparison-" + Guid.NewGuid().ToString("N")[..8];
        var spec = new ContainerRunSpec
        {
            Image = image,
            Name = name,
            DeviceArguments = devices.Select(service.DeviceArgument).ToArray(),
            Network = "host",
            Command = new[] { "sleep", "infinity" },
        };
        ToolCommand run = spec.ToCommand(service.Engine);
        try
        {
            arm.ContainerId = Run(ct => service.RunContainerAsync(run, ct), image);
        }
        catch (Exception e) when (IsReportable(e))
        {
            ThrowTerminatingError(ContainerError(e, image));
        }
        arm.StartedContainer = name;
        arm.Container = name;
        WriteVerbose($"Arm {arm.Label}: started container {name} with: {run.CommandLine}");
        if (devices.Count == 0 && imageHasOnload)
        {
            WriteWarning($"This host has none of the Onload device nodes ({string.Join(", ", OnloadFacts.DeviceNodes)}): container {name} runs without them, so Onload cannot accelerate it.");
        }

        // Onload is used in the container when the image has the wrapper.
        ToolResult probe;
        try
        {
            probe = Run(ct => OnloadVersionQuery.ReadAsync(Runner, ct, c => service.ExecCommand(name, c)), name).Result;
        }
        catch (Exception e) when (IsReportable(e))
        {
            ThrowTerminatingError(ContainerError(e, name));
            return;
        }
        arm.Onload |= probe.ExitCode == 0;
        arm.ExpectsOnload = arm.Onload || imageHasOnload;
        if (imageHasOnload && probe.ExitCode != 0)
        {
            WriteWarning($"Image {image} carries an Onload version label but has no working onload in it ({probe.Describe()}): netperf runs in it without Onload.");
        }
    }

    private ImageInspect? TryInspectImage(ContainerService service, string image)
    {
        try
        {
            return Run(ct => service.InspectImageAsync(image, ct), image);
        }
        catch (ContainerObjectNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (IsReportable(e))
        {
            ThrowTerminatingError(ContainerError(e, image));
            return null;
        }
    }

    /// <summary>New-OnloadImage itself, in a nested pipeline of this runspace: one home for building images.</summary>
    private void BuildImage(string tag)
    {
        WriteVerbose($"Building {tag} from {BaseImage} with New-OnloadImage.");
        using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddCommand("New-OnloadImage").AddParameter("Tag", tag).AddParameter("BaseImage", BaseImage);
        if (OnloadPackage is { Length: > 0 }) ps.AddParameter("OnloadPackage", OnloadPackage);
        if (Engine is not null) ps.AddParameter("Engine", Engine);
        ps.AddParameter("Confirm", false);
        try
        {
            ps.Invoke();
        }
        catch (RuntimeException e)
        {
            ThrowTerminatingError(new ErrorRecord(e.ErrorRecord, e));
        }
        foreach (var w in ps.Streams.Warning) WriteWarning(w.Message);
        if (ps.HadErrors || ps.Streams.Error.Count > 0)
        {
            var first = ps.Streams.Error.FirstOrDefault();
            ThrowTerminatingError(first ?? Error(new InvalidOperationException($"New-OnloadImage could not build {tag}."), "ImageBuildFailed", ErrorCategory.InvalidResult, tag));
        }
    }

    private void CleanUp(List<ArmState> arms)
    {
        foreach (ArmState arm in arms)
        {
            arm.Session?.Dispose(); // kills a private netserver
            if (arm.StartedContainer is { } name)
            {
                ContainerService service = Service;
                try
                {
                    service.StopAsync(name, 0, CancellationToken.None).GetAwaiter().GetResult();
                }
                catch (Exception e) when (IsReportable(e)) { WriteDebugSafe($"Stopping {name}: {e.Message}"); }
                try
                {
                    service.RemoveAsync(name, CancellationToken.None).GetAwaiter().GetResult();
                    WriteDebugSafe($"Removed container {name}.");
                }
                catch (Exception e) when (IsReportable(e))
                {
                    if (!Stopping) WriteWarning($"Container {name} could not be removed: {e.Message}. Remove it with: {service.Engine.Name} rm --force {name}");
                }
            }
        }
    }

    private void WriteDebugSafe(string message)
    {
        if (!Stopping) WriteDebug(message);
    }

    // ------------------------------------------------------------------ the experiment

    private void RunExperiment(List<ArmState> arms)
    {
        bool isFixed = MyInvocation.BoundParameters.ContainsKey(nameof(Iterations));
        var options = new ComparisonOptions { EquivalenceMargin = EquivalenceMargin, ConfidenceLevel = ConfidenceLevel, MinimumIterations = 2 };
        SequentialDecision rule = isFixed ? SequentialDecision.Fixed(Iterations, ConfidenceLevel) : new SequentialDecision(3, Math.Max(3, MaxIterations), ConfidenceLevel);
        string[] tests = arms[0].Session!.Request.TestNames;
        var experiment = new LatencyExperiment(tests, rule, options);
        string experimentId = Guid.NewGuid().ToString("N");
        WriteVerbose($"Rule: {rule.Describe()}.");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        double secondsPerIteration = Duration + 1;
        int iterationsDone = 0;
        int lastArm = -1;
        string interval = "";

        while (experiment.NextStep() is { } step)
        {
            ArmState arm = arms[step.Arm];
            double stepSeconds = secondsPerIteration * step.Tests.Count;
            if (!isFixed && clock.Elapsed.TotalSeconds + stepSeconds > MaxDuration.TotalSeconds)
            {
                WriteVerbose($"-MaxDuration {MaxDuration} is spent after {clock.Elapsed.TotalSeconds:0} s: the undecided tests end Inconclusive.");
                foreach (var look in experiment.Stop()) Emit(arms, look, rule, experiment, outOfTime: true);
                break;
            }
            if (step.Arm != lastArm && arm.Prepare is { } prepare)
            {
                InvokePrepare(arm, prepare);
            }
            lastArm = step.Arm;

            foreach (string test in step.Tests)
            {
                LatencyRun run = RunOf(arm, test, experimentId, step.Arm);
                NetperfSession session = arm.Session!;
                ToolCommand cmd = session.BuildCommand(test);
                var started = DateTime.UtcNow;
                void Tick()
                {
                    double elapsed = (DateTime.UtcNow - started).TotalSeconds;
                    double left = Math.Max(0, secondsPerIteration - elapsed) + Math.Max(0, experiment.MaximumStepsLeft * tests.Length - 1) * secondsPerIteration;
                    if (!isFixed) left = Math.Min(left, Math.Max(0, MaxDuration.TotalSeconds - clock.Elapsed.TotalSeconds));
                    WriteProgress(new ProgressRecord(3, "Invoke-LatencyComparison",
                        $"{arm.Label} ({step.ArmLetter}) {test} iteration {step.Iteration}" + (isFixed ? $" of {Iterations}" : $" (at most {rule.MaximumIterations})"))
                    {
                        CurrentOperation = interval.Length > 0 ? interval : cmd.CommandLine,
                        PercentComplete = -1,
                        SecondsRemaining = (int)Math.Ceiling(left),
                    });
                }
                Tick();
                try
                {
                    int iteration = step.Iteration;
                    Task<LatencySample> task = arm.ExpectsOnload
                        ? AccelerationProbe.RunCheckedAsync(ct => session.RunIterationAsync(run, test, iteration, ct), HostFs, cmd,
                            arm.ContainerId is { } id ? AccelerationProbe.InContainer(HostFs, id) : AccelerationProbe.ChildrenOfThisProcess(HostFs),
                            AccelerationProbe.DelayFor(Duration), Cancellation)
                        : session.RunIterationAsync(run, test, iteration, Cancellation);
                    LatencySample sample = Await(task, Tick);
                    sample.Sequence = step.Position + 1;
                    run.AddSample(sample);
                    run.Accelerated = AccelerationProbe.Combine(run.Samples);
                    experiment.Record(test, step.Arm, sample);
                    foreach (string w in sample.Warnings)
                    {
                        if (w != AccelerationProbe.NotAcceleratedWarning) WriteWarning($"{arm.Label} {test} iteration {iteration}: {w}");
                        else if (!arm.WarnedNotAccelerated) WriteWarning($"Arm {arm.Label}: {w}"); // once per arm
                    }
                    arm.WarnedNotAccelerated |= sample.Accelerated == AccelerationProbe.False;
                    WriteVerbose($"{arm.Label} {test} iteration {iteration}: {sample}" + (sample.Accelerated is { } acc ? $", accelerated: {acc}" : ""));
                    iterationsDone++;
                    secondsPerIteration = Math.Max(Duration, clock.Elapsed.TotalSeconds / iterationsDone);
                }
                catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
                {
                    // Ctrl+C: netperf is killed; keep what was measured (no run file left InProgress), then stop.
                    foreach (var r in _allRuns)
                    {
                        r.ExperimentOrder = experiment.Order;
                        r.Finish(stopped: true);
                        PersistRun(r, ResolvedHistoryPath);
                    }
                    throw new PipelineStoppedException();
                }
                catch (ToolTimeoutException e)
                {
                    run.IterationsFailed++;
                    WriteError(LatencyTimedOut(session.Tool, e));
                }
                catch (LatencyToolException e)
                {
                    run.IterationsFailed++;
                    WriteError(LatencyError(e, test));
                    if (e.Failure == LatencyFailure.Connection && run.Samples.Length == 0)
                    {
                        ThrowTerminatingError(LatencyError(e, test));
                    }
                }
                run.ExperimentOrder = experiment.Order + step.ArmLetter;
                PersistRun(run, ResolvedHistoryPath);
            }

            foreach (var look in experiment.EndStep())
            {
                if (look.Final) Emit(arms, look, rule, experiment, outOfTime: false);
            }
            interval = string.Join("; ", experiment.PendingTests.Select(t => experiment.LastLook(t) is { } l ? IntervalText(l.Comparison) : t + ": first look after " + rule.MinimumIterations + " per arm"));
        }
        WriteProgress(new ProgressRecord(3, "Invoke-LatencyComparison", "Done") { RecordType = ProgressRecordType.Completed });

        if (ReportPath is not null && _allRuns.Any(r => r.Samples.Length > 0)) WriteReport(arms, options);
    }

    private static string IntervalText(LatencyComparison c) => string.Create(CultureInfo.InvariantCulture,
        $"{c.TestName}: {c.DeltaPercent:+0.0;-0.0;0.0} % [{c.ConfidenceIntervalLow?.ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) ?? "?"}, {c.ConfidenceIntervalHigh?.ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) ?? "?"}] at {c.ConfidenceLevel * 100:0.#} %");

    private LatencyRun RunOf(ArmState arm, string test, string experimentId, int armIndex)
    {
        if (arm.Runs.TryGetValue(test, out var run)) return run;
        run = arm.Session!.NewRun(test);
        run.ExperimentId = experimentId;
        run.Arm = LatencyExperiment.Letter(armIndex).ToString();
        run.IterationsRequested = MyInvocation.BoundParameters.ContainsKey(nameof(Iterations)) ? Iterations : MaxIterations;
        if (arm.ExpectsOnload && !run.Onload)
        {
            run.Onload = arm.Onload;
        }
        arm.Runs[test] = run;
        _allRuns.Add(run);
        return run;
    }

    private void InvokePrepare(ArmState arm, ScriptBlock prepare)
    {
        try
        {
            foreach (var o in prepare.Invoke(arm.Label)) WriteVerbose($"Prepare {arm.Label}: {o}");
        }
        catch (RuntimeException e)
        {
            foreach (var r in _allRuns)
            {
                r.Finish(stopped: true);
                PersistRun(r, ResolvedHistoryPath);
            }
            ThrowTerminatingError(Error(e, "ArmPrepareFailed", ErrorCategory.InvalidOperation, arm.Label));
        }
    }

    /// <summary>A test is over: its two runs finish and are saved, then they and their comparisons are emitted.</summary>
    private void Emit(List<ArmState> arms, SequentialLook look, SequentialDecision rule, LatencyExperiment experiment, bool outOfTime)
    {
        string test = look.Comparison.TestName;
        var pair = arms.Select(a => a.Runs.TryGetValue(test, out var r) ? r : null).ToArray();
        foreach (var run in pair.OfType<LatencyRun>())
        {
            run.IterationsRequested = run.Samples.Length + run.IterationsFailed;
            run.ExperimentOrder = experiment.Order;
            run.Finish(stopped: false);
            PersistRun(run, ResolvedHistoryPath);
            if (run.Samples.Length > 0) WriteObject(run);
        }
        if (pair[0] is not { } a || pair[1] is not { } b || a.Samples.Length == 0 || b.Samples.Length == 0) return;

        foreach (LatencyComparison c in experiment.Comparisons(look, a, b, outOfTime)) WriteObject(c);
    }

    private void WriteReport(List<ArmState> arms, ComparisonOptions options)
    {
        string path = GetUnresolvedProviderPathFromPSPath(ReportPath!);
        try
        {
            var model = LatencyReportBuilder.Build(_allRuns.Where(r => r.Samples.Length > 0).ToList(), new ReportOptions
            {
                ReferenceLabel = arms[0].Label,
                Title = $"Latency comparison: {arms[1].Label} vs {arms[0].Label}",
                Generated = DateTime.UtcNow,
                Comparison = new ComparisonOptions { EquivalenceMargin = options.EquivalenceMargin, ConfidenceLevel = options.ConfidenceLevel },
            });
            if (Path.GetDirectoryName(path) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
            LatencyRunStore.WriteAtomically(path, HtmlReportWriter.Write(model));
            WriteVerbose($"Report written to {path}.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(Error(e, "ReportWriteFailed", e is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.WriteError, path));
        }
    }
}
