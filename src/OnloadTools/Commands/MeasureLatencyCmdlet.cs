using System.Management.Automation;
using OnloadTools.Latency;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

/// <summary>
/// What Measure-NetperfLatency and Measure-SockperfLatency share: the parameters every latency measurement has and
/// the measuring loop, which reports progress with seconds remaining, emits each run as soon as its iterations are
/// done, saves every completed iteration to -HistoryPath, keeps going after a failed iteration, and on Ctrl+C saves
/// what was measured before the pipeline stops.
/// </summary>
public abstract class MeasureLatencyCmdlet : OnloadCmdlet
{
    /// <summary>Server host. Default: this host (a private server is started when none listens).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("HostName", "Server")]
    [ValidateNotNullOrEmpty]
    public string? ComputerName { get; set; }

    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>Seconds per iteration.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Duration { get; set; } = LatencyRequest.DefaultDurationSeconds;

    [Parameter]
    [ValidateRange(1, 1000)]
    public int Iterations { get; set; } = LatencyRequest.DefaultIterations;

    /// <summary>Runs the client under onload (and the private server too, when one is started).</summary>
    [Parameter]
    public SwitchParameter Onload { get; set; }

    [Parameter]
    [ValidateOnloadProfile]
    [ArgumentCompleter(typeof(OnloadProfileCompleter))]
    public string OnloadProfile { get; set; } = OnloadProfileName.Default;

    /// <summary>Names the run (bare-metal, container …); Compare-LatencyRun groups by it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Label { get; set; }

    /// <summary>A folder (or a .jsonl file) where each run is saved after every completed iteration.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HistoryPath { get; set; }

    /// <summary>-Port when it was given, else null.</summary>
    private protected int? BoundPort => MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : null;

    /// <summary>-HistoryPath resolved against the current location, else null.</summary>
    private protected string? ResolvedHistoryPath => ResolveHistoryPath(HistoryPath);

    protected override void Begin() => RefuseUnusableHistory(ResolvedHistoryPath);

    /// <summary>The Write-Progress id of the cmdlet.</summary>
    protected abstract int ProgressId { get; }
    private protected string Activity => MyInvocation.MyCommand.Name;

    /// <summary>The tool's session for one -ComputerName (the request built from the bound parameters).</summary>
    private protected abstract LatencySession CreateSession(string? computerName);

    /// <summary>Sets on a tool's request what every latency measurement is asked.</summary>
    private protected T Requested<T>(T request, string? computerName) where T : LatencyRequest
    {
        request.ComputerName = computerName;
        request.Port = BoundPort;
        request.DurationSeconds = Duration;
        request.Iterations = Iterations;
        request.Onload = Onload.IsPresent;
        request.OnloadProfile = OnloadProfile;
        request.Label = Label;
        request.HistoryPath = ResolvedHistoryPath;
        return request;
    }

    protected override void Process()
    {
        using LatencySession session = CreateSession(ComputerName);
        Measure(session);
    }

    /// <summary>Runs every test of the session, emitting each run as soon as its iterations are done.</summary>
    internal void Measure(LatencySession session)
    {
        if (PrepareLatencySession(session, "measurement") is { } unresolved)
        {
            WriteError(unresolved); // per computer: the next name piped in may resolve
            return;
        }
        WriteVerbose(session.Describe());

        var request = session.Request;
        Func<int, bool>? probeScope = AccelerationScope(session);
        var plans = request.Tests.Select(test => (Func<TestPlan>)(() =>
        {
            LatencyRun run = session.NewRun(test);
            return new TestPlan
            {
                Run = run,
                Where = session.Where(test),
                CommandLine = session.BuildCommand(test).CommandLine,
                // Was it really accelerated? Each iteration looks for libonload in the tool's maps.
                RunIteration = probeScope is { } scope
                    ? async (i, ct) =>
                    {
                        var sample = await AccelerationProbe.RunCheckedAsync(c => session.RunIterationAsync(run, test, i, c), HostFs, session.BuildCommand(test),
                            scope, AccelerationProbe.DelayFor(request.DurationSeconds), ct).ConfigureAwait(false);
                        run.Accelerated = AccelerationProbe.Combine(run.Samples.Append(sample));
                        return sample;
                    }
                    : (i, ct) => session.RunIterationAsync(run, test, i, ct),
            };
        })).ToArray();
        MeasureAll(session, plans);
    }

    /// <summary>Where each iteration looks for the measuring tool to see whether Onload was really in it; null when
    /// Onload was not asked for (nothing is checked). On the host under onload: this process's descendants.</summary>
    private protected virtual Func<int, bool>? AccelerationScope(LatencySession session) =>
        session.ProbesAcceleration ? AccelerationProbe.ChildrenOfThisProcess(HostFs) : null;

    /// <summary>One test type of the measurement (TCP_RR, UDP pingpong …) and how to run one of its iterations.</summary>
    private sealed class TestPlan
    {
        public required LatencyRun Run { get; init; }
        /// <summary>"host:port", for progress and errors.</summary>
        public required string Where { get; init; }
        public required string CommandLine { get; init; }
        public required Func<int, CancellationToken, Task<LatencySample>> RunIteration { get; init; }
    }

    /// <summary>Runs every test's iterations in turn.</summary>
    /// <param name="plans">Made lazily, one test at a time, so each run's StartTime is when it really starts.</param>
    private void MeasureAll(LatencySession session, IReadOnlyList<Func<TestPlan>> plans)
    {
        string? historyPath = session.Request.HistoryPath;
        try
        {
            MeasureEach(session, plans, session.Request.Iterations, session.ExpectedIterationTime.TotalSeconds, historyPath);
        }
        finally
        {
            // However the measurement ends — Ctrl+C, a terminating error (-ErrorAction Stop on a failed iteration), a
            // host stopping the pipeline — the run being measured is finalised as Stopped in the history: a history
            // never keeps a run marked InProgress by a command that ended.
            if (_unfinished is { } run)
            {
                _unfinished = null;
                run.Finish(stopped: true);
                PersistRun(run, historyPath, quiet: true);
            }
        }
    }

    /// <summary>The run whose iterations are being measured (not yet finished), for the finally of MeasureAll.</summary>
    private LatencyRun? _unfinished;

    private void MeasureEach(LatencySession session, IReadOnlyList<Func<TestPlan>> plans, int iterations, double secondsPerIteration, string? historyPath)
    {
        int total = plans.Count * iterations;
        int done = 0;
        bool skipAll = false;

        foreach (var makePlan in plans)
        {
            if (skipAll) break;
            TestPlan plan = makePlan();
            LatencyRun run = plan.Run;
            _unfinished = run;
            bool skipRest = false;
            for (int i = 1; i <= iterations && !skipRest && !skipAll; i++)
            {
                var started = DateTime.UtcNow;
                int doneBefore = done;
                int iteration = i;
                void Tick()
                {
                    // Once Ctrl+C is pressed, WriteProgress would throw PipelineStoppedException here, before the
                    // cancelled iteration is caught below and the run saved as Partial.
                    if (Stopping) return;
                    double elapsed = (DateTime.UtcNow - started).TotalSeconds;
                    double remaining = Math.Max(0, secondsPerIteration - elapsed) + (total - doneBefore - 1) * secondsPerIteration;
                    // A new record each time: hosts may keep the records they are given.
                    WriteProgress(new ProgressRecord(ProgressId, Activity, $"{run.TestName} iteration {iteration} of {iterations} against {plan.Where}")
                    {
                        CurrentOperation = plan.CommandLine,
                        PercentComplete = (int)Math.Min(99, 100.0 * (doneBefore + Math.Min(1, elapsed / secondsPerIteration)) / total),
                        SecondsRemaining = (int)Math.Ceiling(remaining),
                    });
                }
                Tick();
                try
                {
                    LatencySample sample = Await(plan.RunIteration(iteration, Cancellation), Tick);
                    run.AddSample(sample);
                    foreach (string w in sample.Warnings) WriteWarning($"{run.TestName} iteration {iteration}: {w}");
                    WriteVerbose($"{run.TestName} iteration {iteration}: {sample}");
                }
                // Ctrl+C (the tool is already killed) flows to the funnel, which stops the pipeline after MeasureAll has
                // saved what was measured as Stopped. A failed iteration is this iteration's error; the next one is tried.
                catch (Exception e) when (e is LatencyToolException or ToolTimeoutException)
                {
                    run.IterationsFailed++;
                    WriteError(e is ToolTimeoutException t ? LatencyTimedOut(session.Tool, t) : LatencyError((LatencyToolException)e, run.TestName));
                    // The sessions' one rule (Invoke-LatencyComparison's too): with nothing measured yet, a server that
                    // does not answer will not answer the next iteration either.
                    (skipRest, skipAll) = session.AfterFailure(e, run.Samples.Length);
                }
                done++;
                PersistRun(run, historyPath);
            }

            run.Finish(stopped: false);
            _unfinished = null;
            if (run.Samples.Length > 0)
            {
                PersistRun(run, historyPath);
                WriteObject(run);
            }
        }

        WriteProgress(new ProgressRecord(ProgressId, Activity, "Done") { RecordType = ProgressRecordType.Completed });
    }
}
