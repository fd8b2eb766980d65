using System.Globalization;
using OnloadTools.Containers;
using OnloadTools.Host;
using OnloadTools.Onload;
using OnloadTools.Processes;
using OnloadTools.Reporting;

namespace OnloadTools.Latency;

/// <summary>
/// Invoke-LatencyComparison's experiment with its processes: the arms (their containers and netperf or sockperf sessions), the
/// interleaved order and stopping rule of <see cref="LatencyExperiment"/>, the -MaxDuration budget, the sessions' one
/// rule for failed iterations (<see cref="LatencySession.AfterFailure"/>), the saving of every completed iteration and
/// the cleanup of what was started. The command that runs it (<see cref="IComparisonHost"/>) binds parameters, shows
/// progress and emits what is decided.
/// </summary>
internal sealed class ComparisonExperimentRunner : IDisposable
{
    private readonly IToolRunner _runner;
    private readonly HostFileSystem _fs;
    private readonly List<LatencyRun> _allRuns = new();
    private readonly HashSet<string> _abandoned = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _experimentId = Guid.NewGuid().ToString("N");

    public ComparisonExperimentRunner(IToolRunner runner, HostFileSystem fs, ComparisonSettings settings, IReadOnlyList<ComparisonArm> arms)
    {
        if (arms.Count != 2) throw new ArgumentException("A comparison has two arms.", nameof(arms));
        foreach (var arm in arms)
        {
            if (OnloadProfileName.Problem(arm.OnloadProfile) is { } problem) throw new ArgumentException($"Arm '{arm.Label}': {problem}", nameof(arms));
        }
        _runner = runner;
        _fs = fs;
        Settings = settings;
        Arms = arms;
        Rule = settings.FixedIterations is { } n
            ? SequentialDecision.Fixed(n, settings.ConfidenceLevel)
            : new SequentialDecision(3, Math.Max(3, settings.MaxIterations), settings.ConfidenceLevel);
        Options = new ComparisonOptions { EquivalenceMargin = settings.EquivalenceMargin, ConfidenceLevel = settings.ConfidenceLevel, MinimumIterations = 2 };
        Experiment = new LatencyExperiment(settings.TestNames.Select(t => t.ToUpperInvariant()).Distinct().ToArray(), Rule, Options);
        if (settings.Tool == ComparisonTool.Sockperf && Experiment.Tests.FirstOrDefault(t => t is not ("UDP" or "TCP")) is { } bad)
        {
            throw new ArgumentException($"sockperf measures the protocols UDP and TCP, not '{bad}'.", nameof(settings));
        }
    }

    public ComparisonSettings Settings { get; }
    public IReadOnlyList<ComparisonArm> Arms { get; }
    public SequentialDecision Rule { get; }
    public ComparisonOptions Options { get; }
    public LatencyExperiment Experiment { get; }
    private bool IsFixed => Settings.FixedIterations is not null;

    /// <summary>Every run of the experiment so far, in the order they were made.</summary>
    public IReadOnlyList<LatencyRun> Runs => _allRuns;

    // ------------------------------------------------------------------ arms

    /// <summary>
    /// Starts the arm's container of <paramref name="image"/> and finds out whether netperf runs under onload in it.
    /// First removes the containers of comparisons whose pwsh is gone (<see cref="ArmContainer.SweepAsync"/>).
    /// </summary>
    /// <returns>The containers removed, and warnings for the admin.</returns>
    public async Task<ContainerArmStart> StartContainerAsync(ComparisonArm arm, ContainerService service, string image, ImageInspect inspect, CancellationToken ct)
    {
        var removed = await ArmContainer.SweepAsync(_runner, service, ct).ConfigureAwait(false);
        bool imageHasOnload = inspect.Labels.ContainsKey(OnloadFacts.VersionLabel);
        var warnings = new List<string>();
        var devices = service.HostOnloadDevices();
        var container = await ArmContainer.StartAsync(_runner, service, image, devices.Select(service.DeviceArgument).ToArray(), ct).ConfigureAwait(false);
        arm.StartedContainer = container;
        arm.Container = container.Name;
        arm.ContainerId = container.Id;
        if (devices.Count == 0 && imageHasOnload)
        {
            warnings.Add($"This host has none of the Onload device nodes ({string.Join(", ", OnloadFacts.DeviceNodes)}): container {container.Name} runs without them, so Onload cannot accelerate it.");
        }
        // Onload is used in the container when the image has the wrapper.
        ToolResult probe = (await OnloadVersionQuery.ReadAsync(_runner, ct, c => service.ExecCommand(container.Name, c)).ConfigureAwait(false)).Result;
        arm.Onload |= probe.ExitCode == 0;
        arm.ExpectsOnload = arm.Onload || imageHasOnload;
        if (imageHasOnload && probe.ExitCode != 0)
        {
            warnings.Add($"Image {image} carries an Onload version label but has no working onload in it ({probe.Describe()}): netperf runs in it without Onload.");
        }
        return new ContainerArmStart(removed, warnings);
    }

    /// <summary>An arm that measures in an existing container: its full id, for finding its netperf in /proc.</summary>
    /// <exception cref="ContainerObjectNotFoundException">No such container.</exception>
    public async Task ResolveContainerAsync(ComparisonArm arm, ContainerService service, CancellationToken ct)
    {
        if (arm.Container is { } name) arm.ContainerId = (await service.InspectContainerAsync(name, ct).ConfigureAwait(false)).Id;
    }

    /// <summary>The arm's session of the experiment's tool (netperf, or sockperf with every round trip read from its
    /// full log), to be prepared by the caller. The reference arm owns the private server(s) when needed; the other arm
    /// measures against the same port(s).</summary>
    public LatencySession CreateSession(ComparisonArm arm, ContainerEngine? engine)
    {
        if (arm.Container is not null && arm.StartedContainer is null) arm.ExpectsOnload |= arm.Onload;
        else if (arm.Container is null) arm.ExpectsOnload = arm.Onload;
        bool reference = ReferenceEquals(arm, Arms[0]);
        LatencySession? owner = reference ? null : Arms[0].Session;
        LatencyRequest request = Settings.Tool == ComparisonTool.Sockperf
            ? new SockperfRequest
            {
                Protocols = Experiment.Tests.ToArray(),
                FullDistribution = true,   // each iteration's tails (p99, p99.9, p99.99) from every round trip
                Port = Settings.Port,
            }
            : new NetperfRequest
            {
                Port = reference ? Settings.Port : (owner as NetperfSession)?.Port ?? Settings.Port,
                TestNames = Experiment.Tests.ToArray(),
                LocalCpu = Settings.LocalCpu,
                RemoteCpu = Settings.RemoteCpu,
            };
        request.ComputerName = Settings.ComputerName;
        request.DurationSeconds = Settings.DurationSeconds;
        request.Iterations = Settings.FixedIterations ?? Settings.MaxIterations;
        request.Onload = arm.Onload;
        request.OnloadProfile = arm.OnloadProfile;
        request.Label = arm.Label;
        request.HistoryPath = Settings.HistoryPath;
        request.ClientPrefix = arm.Container is null || engine is null ? null : new ContainerReference(arm.Container, engine.Name).ExecPrefix(_runner);
        request.ClientLocation = arm.Container is null ? "host" : "container:" + arm.Container;
        arm.Session = request is SockperfRequest s
            ? new SockperfSession(_runner, _fs, s) { OwnsServer = true, ServerOwner = owner }
            : new NetperfSession(_runner, _fs, (NetperfRequest)request) { OwnsServer = true, ServerOwner = owner };
        return arm.Session;
    }

    // ------------------------------------------------------------------ the experiment

    /// <summary>Runs the experiment to its end: every test decided, out of time, or nothing left that can run.</summary>
    /// <exception cref="OperationCanceledException">Stopped (or whatever <see cref="IComparisonHost.Await{T}"/> throws when
    /// <paramref name="ct"/> is cancelled): what was measured is saved as Stopped first.</exception>
    public void Run(IComparisonHost host, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double secondsPerIteration = Settings.DurationSeconds + 1;
        int iterationsDone = 0;
        int lastArm = -1;
        string interval = "";
        int testCount = Experiment.Tests.Count;

        while (Experiment.NextStep() is { } step)
        {
            var tests = step.Tests.Where(t => !_abandoned.Contains(t)).ToArray();
            if (tests.Length == 0)
            {
                // Nothing left that can run (a server that never answered): the rest ends now, without a verdict.
                foreach (string test in step.Tests) Decide(host, test, null, outOfTime: false);
                break;
            }
            ComparisonArm arm = Arms[step.Arm];
            if (!IsFixed && clock.Elapsed.TotalSeconds + secondsPerIteration * tests.Length > Settings.MaxDuration.TotalSeconds)
            {
                host.Verbose($"-MaxDuration {Settings.MaxDuration} is spent after {clock.Elapsed.TotalSeconds:0} s: the undecided tests end Inconclusive.");
                foreach (var look in Experiment.Stop()) Decide(host, look.Comparison.TestName, look, outOfTime: true);
                break;
            }
            if (step.Arm != lastArm && arm.HasPrepare) Guarded(() => host.Prepare(arm), ct);
            lastArm = step.Arm;

            foreach (string test in tests)
            {
                LatencyRun run = RunOf(arm, test, step.Arm);
                LatencySession session = arm.Session!;
                ToolCommand cmd = session.BuildCommand(test);
                var started = DateTime.UtcNow;
                string status = $"{arm.Label} ({step.ArmLetter}) {test} iteration {step.Iteration}" + (IsFixed ? $" of {Settings.FixedIterations}" : $" (at most {Rule.MaximumIterations})");
                void Tick()
                {
                    if (ct.IsCancellationRequested) return;
                    double elapsed = (DateTime.UtcNow - started).TotalSeconds;
                    double left = Math.Max(0, secondsPerIteration - elapsed) + Math.Max(0, Experiment.MaximumStepsLeft * testCount - 1) * secondsPerIteration;
                    if (!IsFixed) left = Math.Min(left, Math.Max(0, Settings.MaxDuration.TotalSeconds - clock.Elapsed.TotalSeconds));
                    host.Progress(new ComparisonProgress(status, interval.Length > 0 ? interval : cmd.CommandLine, (int)Math.Ceiling(left)));
                }
                Tick();
                try
                {
                    LatencySample sample = Guarded(() => host.Await(Iteration(arm, session, run, test, step.Iteration, cmd, ct), Tick), ct);
                    sample.Sequence = step.Position + 1;
                    run.AddSample(sample);
                    run.Accelerated = AccelerationProbe.Combine(run.Samples);
                    Experiment.Record(test, step.Arm, sample);
                    foreach (string w in sample.Warnings)
                    {
                        bool lostOnload = w is AccelerationProbe.NotAcceleratedWarning or AccelerationProbe.NoStackWarning;
                        if (w.StartsWith(SockperfSession.TooFewPrefix, StringComparison.Ordinal))
                        {
                            // Said once per arm, test and lowest missing percentile (the count varies little between iterations).
                            string key = test + " " + w[..Math.Max(0, w.IndexOf(" (", StringComparison.Ordinal))];
                            if (arm.WarnedOnce.Add(key)) host.Warning($"{arm.Label} {test} iteration {step.Iteration}: {w}");
                            else host.Verbose($"{arm.Label} {test} iteration {step.Iteration}: {w}");
                        }
                        else if (!lostOnload) host.Warning($"{arm.Label} {test} iteration {step.Iteration}: {w}");
                        else if (!arm.WarnedNotAccelerated) host.Warning($"Arm {arm.Label}: {w}"); // once per arm
                    }
                    arm.WarnedNotAccelerated |= sample.Accelerated == AccelerationProbe.False;
                    host.Verbose($"{arm.Label} {test} iteration {step.Iteration}: {sample}" + (sample.Accelerated is { } acc ? $", accelerated: {acc}" : ""));
                    iterationsDone++;
                    secondsPerIteration = Math.Max(Settings.DurationSeconds, clock.Elapsed.TotalSeconds / iterationsDone);
                }
                catch (Exception e) when (e is LatencyToolException or ToolTimeoutException && !ct.IsCancellationRequested)
                {
                    run.IterationsFailed++;
                    host.IterationFailed(session, test, e);
                    var (rest, all) = session.AfterFailure(e, run.Samples.Length);
                    if (rest) _abandoned.Add(test);
                    if (all) _abandoned.UnionWith(Experiment.Tests);
                }
                run.ExperimentOrder = Experiment.Order + step.ArmLetter;
                Guarded(() => host.Save(run, quiet: false), ct);
            }

            foreach (var look in Experiment.EndStep())
            {
                if (look.Final) Decide(host, look.Comparison.TestName, look, outOfTime: false);
            }
            interval = string.Join("; ", Experiment.PendingTests.Select(t => Experiment.LastLook(t) is { } l && Shown(l) is { } c
                ? IntervalText(c) : t + ": first look after " + Rule.MinimumIterations + " per arm"));
        }
    }

    /// <summary>The comparison a look stands for, as it will be emitted (the same interval at the same level), or null
    /// while a side has nothing measured.</summary>
    private LatencyComparison? Shown(SequentialLook look) =>
        Pair(look.Comparison.TestName) is { } pair
            ? Experiment.Comparisons(look, pair.Reference, pair.Difference, outOfTime: false).FirstOrDefault(c => c.Metric == LatencyExperiment.Metric)
            : null;

    private (LatencyRun Reference, LatencyRun Difference)? Pair(string test) =>
        Arms[0].Runs.TryGetValue(test, out var a) && Arms[1].Runs.TryGetValue(test, out var b) && a.Samples.Length > 0 && b.Samples.Length > 0 ? (a, b) : null;

    /// <summary>"TCP_RR: +3.1 % [+1.0, +5.2] at 98.3 %": progress's one line per test.</summary>
    public static string IntervalText(LatencyComparison c) => string.Create(CultureInfo.InvariantCulture,
        $"{c.TestName}: {c.DeltaPercent:+0.0;-0.0;0.0} % [{c.ConfidenceIntervalLow?.ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) ?? "?"}, {c.ConfidenceIntervalHigh?.ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) ?? "?"}] at {c.ConfidenceLevel * 100:0.#} %");

    private Task<LatencySample> Iteration(ComparisonArm arm, LatencySession session, LatencyRun run, string test, int iteration, ToolCommand cmd, CancellationToken ct) =>
        arm.ExpectsOnload
            ? AccelerationProbe.RunCheckedAsync(c => session.RunIterationAsync(run, test, iteration, c), _fs, cmd,
                arm.ContainerId is { } id ? AccelerationProbe.InContainer(_fs, id) : AccelerationProbe.ChildrenOfThisProcess(_fs),
                AccelerationProbe.DelayFor(Settings.DurationSeconds), ct)
            : session.RunIterationAsync(run, test, iteration, ct);

    /// <summary>Runs a call of the host; when the experiment is being stopped, whatever it throws ends the experiment
    /// after what was measured is saved as Stopped.</summary>
    private T Guarded<T>(Func<T> call, CancellationToken ct)
    {
        try
        {
            return call();
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            FinishUnfinished();
            throw;
        }
    }

    private void Guarded(Action call, CancellationToken ct) => Guarded(() => { call(); return true; }, ct);

    private LatencyRun RunOf(ComparisonArm arm, string test, int armIndex)
    {
        if (arm.Runs.TryGetValue(test, out var run)) return run;
        run = arm.Session!.NewRun(test);
        run.ExperimentId = _experimentId;
        Experiment.Stamp(run);   // the experiment's level, so that Compare-LatencyRun and the report give its interval later
        run.Arm = LatencyExperiment.Letter(armIndex).ToString();
        run.IterationsRequested = Settings.FixedIterations ?? Settings.MaxIterations;
        if (arm.ExpectsOnload && !run.Onload) run.Onload = arm.Onload;
        arm.Runs[test] = run;
        _allRuns.Add(run);
        return run;
    }

    /// <summary>A test is over: its two runs finish and are saved, then they and their comparisons go to the host.</summary>
    /// <param name="look">The rule's last look; null when the test ends without one (a side could not run).</param>
    private void Decide(IComparisonHost host, string test, SequentialLook? look, bool outOfTime)
    {
        var runs = Arms.Select(a => a.Runs.TryGetValue(test, out var r) ? r : null).OfType<LatencyRun>().ToArray();
        foreach (var run in runs)
        {
            run.IterationsRequested = run.Samples.Length + run.IterationsFailed;
            run.ExperimentOrder = Experiment.Order;
            run.Finish(stopped: false);
            host.Save(run, quiet: false);
        }
        var comparisons = look is not null && Pair(test) is { } pair ? Experiment.Comparisons(look, pair.Reference, pair.Difference, outOfTime) : Array.Empty<LatencyComparison>();
        host.Decided(new ComparisonOutcome(test, runs.Where(r => r.Samples.Length > 0).ToArray(), comparisons));
    }

    /// <summary>Ends every run still in progress as Stopped and saves it (quietly): however the experiment ended, no
    /// run is left InProgress in the history.</summary>
    public void FinishUnfinished()
    {
        foreach (var r in _allRuns.Where(r => r.Status == LatencyRunStatus.InProgress))
        {
            r.ExperimentOrder = Experiment.Order;
            r.Finish(stopped: true);
            if (r.Samples.Length > 0 && Settings.HistoryPath is { } path)
            {
                try { LatencyRunStore.Export(r, path); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* the command is ending; the runs were emitted or are lost with it */ }
            }
        }
    }

    /// <summary>The report's options: the rule's adjusted level, so the report shows the intervals the objects show.</summary>
    public ReportOptions ReportOptions() => new()
    {
        ReferenceLabel = Arms[0].Label,
        Title = $"Latency comparison: {Arms[1].Label} vs {Arms[0].Label}",
        Generated = DateTime.UtcNow,
        Comparison = new ComparisonOptions { EquivalenceMargin = Options.EquivalenceMargin, ConfidenceLevel = Rule.AdjustedConfidenceLevel },
    };

    /// <summary>Writes the HTML report of the runs that measured something to <paramref name="path"/> (its folder created,
    /// the file replaced atomically). False when no run measured anything: there is nothing to report.</summary>
    /// <exception cref="IOException">The report could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder or file may not be written.</exception>
    public bool WriteReport(string path)
    {
        var measured = _allRuns.Where(r => r.Samples.Length > 0).ToList();
        if (measured.Count == 0) return false;
        var model = LatencyReportBuilder.Build(measured, ReportOptions());
        if (Path.GetDirectoryName(path) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        LatencyRunStore.WriteAtomically(path, HtmlReportWriter.Write(model));
        return true;
    }

    /// <summary>Stops the private netservers and removes the containers the experiment started. Returns what could not
    /// be removed ("name: why"), for the admin.</summary>
    public IReadOnlyList<string> CleanUp()
    {
        var problems = new List<string>();
        foreach (ComparisonArm arm in Arms)
        {
            arm.Session?.Dispose(); // kills a private netserver or sockperf server
            if (arm.StartedContainer is { } container)
            {
                if (container.RemoveAsync().GetAwaiter().GetResult() is { } problem) problems.Add($"{container.Name}: {problem}");
                arm.StartedContainer = null;
            }
        }
        return problems;
    }

    public void Dispose() => CleanUp();
}

/// <summary>A container arm started: the containers of gone comparisons removed first, and warnings for the admin.</summary>
internal sealed record ContainerArmStart(IReadOnlyList<string> Removed, IReadOnlyList<string> Warnings);
