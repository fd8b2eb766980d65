using System.Diagnostics;
using System.Management.Automation;
using OnloadTools.Jitter;
using OnloadTools.Latency;
using OnloadTools.Processes;
using OnloadTools.Readiness;
using OnloadTools.Tuning;

namespace OnloadTools.Commands;

/// <summary>
/// Measure-HostJitter: the OS jitter of CPUs (isolated ones by default) with rt-tests' oslat or cyclictest, one result
/// per CPU against a threshold (cnf-tests' 20 µs by default); or hwlatdetect, where the kernel offers its tracer.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "HostJitter")]
[OutputType(typeof(HostJitterResult))]
[OutputType(typeof(HostJitterRun))]
public sealed class MeasureHostJitterCommand : OnloadCmdlet
{
    private const int ProgressId = 18;

    /// <summary>Oslat (default: a busy loop that sees every interruption), Cyclictest (timer wake-up latency) or Hwlatdetect (firmware/SMI latency, physical hosts only).</summary>
    [Parameter(Position = 0)]
    [ValidateSet("Oslat", "Cyclictest", "Hwlatdetect")]
    public string Tool { get; set; } = "Oslat";

    /// <summary>The CPUs to measure. Default: the isolated CPUs of this host (isolcpus, nohz_full, tuned cpu-partitioning), else every online CPU but CPU 0.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateRange(0, 8191)]
    public int[]? Cpu { get; set; }

    /// <summary>Seconds to measure (default 60; cnf-tests count only runs of 12 hours or more as valid results).</summary>
    [Parameter]
    [ValidateRange(1, 604800)]
    public int Duration { get; set; } = 60;

    /// <summary>Microseconds a CPU's maximum must stay below to pass (default 20, cnf-tests' MAXIMUM_LATENCY).</summary>
    [Parameter]
    [ValidateRange(0.001, 1000000.0)]
    public double Threshold { get; set; } = 20;

    /// <summary>SCHED_FIFO priority of the measuring threads (default 1, as cnf-tests run them); 0 runs them as ordinary tasks.</summary>
    [Parameter]
    [ValidateRange(0, 99)]
    public int Priority { get; set; } = 1;

    /// <summary>Emits the run (host facts, command line and every CPU's result in Results) instead of one result per CPU.</summary>
    [Parameter]
    public SwitchParameter AsRun { get; set; }

    /// <summary>Saves the run to a history, as the latency cmdlets do: a folder (one file per run, written atomically) or a
    /// .jsonl file (one line per run, appended). Import-HostJitterRun reads the jitter runs back; Import-LatencyRun skips them.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HistoryPath { get; set; }

    private string? ResolvedHistoryPath => ResolveHistoryPath(HistoryPath);

    /// <summary>A history that cannot be written is refused before anything is measured (the latency cmdlets' checks and ErrorIds).</summary>
    protected override void Begin() => RefuseUnusableHistory(ResolvedHistoryPath);

    /// <summary>Saves a complete run (a run cut short never gets here); a failed write is an error, and the run is still emitted.</summary>
    private void Persist(HostJitterRun run)
    {
        if (ResolvedHistoryPath is not { } path) return;
        try
        {
            string written = LatencyRunStore.Export(run, path);
            WriteVerbose($"Saved jitter run {run.RunId} to {written}.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(WriteFailure(e, ErrorIds.HistoryWriteFailed, path));
        }
    }

    // Inside the error funnel: a missing tool, a tool that fails and hwlatdetect without its tracer are the table's errors.
    protected override void End()
    {
        var session = new JitterSession(Runner, HostFs);
        if (Tool == "Hwlatdetect")
        {
            Hwlat(session);
            return;
        }
        string tool = Tool == "Cyclictest" ? RtTestsParser.Cyclictest : RtTestsParser.Oslat;
        var isolation = CpuIsolation.Read(HostFs);
        int[] cpus = Cpu is { Length: > 0 } given ? given.Distinct().Order().ToArray() : isolation.MeasurementCpus();
        if (cpus.Length == 0)
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("This host reports no online CPU to measure (/sys/devices/system/cpu/online is empty)."),
                ErrorIds.NoCpuToMeasure, ErrorCategory.ObjectNotFound, null));
        if (isolation.OnlineCpus.Length > 0 && cpus.Except(isolation.OnlineCpus).ToArray() is { Length: > 0 } offline)
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"CPU {CpuList.Format(offline)} is not online on this host (online: {CpuList.Format(isolation.OnlineCpus)})."),
                ErrorIds.CpuNotOnline, ErrorCategory.InvalidArgument, offline));
        var request = new JitterRequest
        {
            Tool = tool, Cpus = cpus, DurationSeconds = Duration, ThresholdMicroseconds = Threshold, Priority = Priority,
        };
        int total = Duration + JitterSession.OverheadSeconds(tool);
        var clock = Stopwatch.StartNew();
        string status = $"{tool} on CPU {CpuList.Format(cpus)} for {Duration} s (threshold {Threshold} µs)";
        void Tick()
        {
            // Once Ctrl+C is pressed WriteProgress would throw here, before the tool is killed: say nothing then.
            if (Cancellation.IsCancellationRequested) return;
            double left = Math.Max(0, total - clock.Elapsed.TotalSeconds);
            // A record of its own each time: a host that keeps the records (a runspace's Streams.Progress) keeps each as it was.
            WriteProgress(new ProgressRecord(ProgressId, "Measure-HostJitter", status)
            {
                SecondsRemaining = (int)Math.Ceiling(left),
                PercentComplete = (int)Math.Min(99, 100 * clock.Elapsed.TotalSeconds / Math.Max(1, total)),
            });
        }
        Tick();
        ErrorTarget = tool;
        HostJitterRun run;
        try
        {
            run = Await(session.RunAsync(request, Cancellation), Tick);
        }
        finally
        {
            if (!Cancellation.IsCancellationRequested)
                WriteProgress(new ProgressRecord(ProgressId, "Measure-HostJitter", "Done") { RecordType = ProgressRecordType.Completed });
        }
        Persist(run);
        if (AsRun.IsPresent) WriteObject(run);
        else foreach (var r in run.Results) WriteObject(r);
    }

    private void Hwlat(JitterSession session)
    {
        ErrorTarget = "hwlatdetect";
        var (max, exceeding, recorded, result) = Await(session.HwlatAsync(Duration, Threshold, Cancellation));
        string host = OnloadTools.Host.HostInfo.HostName(HostFs);
        string id = Guid.NewGuid().ToString("n")[..12];
        double worst = max ?? 0;
        var r = new HostJitterResult
        {
            RunId = id, HostName = host, Tool = "hwlatdetect", Cpu = -1, MaximumMicroseconds = worst, Samples = recorded,
            Overflows = exceeding ?? 0, ThresholdMicroseconds = Threshold,
            Verdict = exceeding is > 0 ? HostJitterVerdict.Exceeded : HostJitterVerdict.Of(worst, Threshold),
            DurationSeconds = Duration, CommandLine = result.CommandLine, StartTime = result.StartTime,
        };
        var run = new HostJitterRun
        {
            RunId = id, HostName = host, KernelRelease = OnloadTools.Host.HostInfo.KernelRelease(HostFs), KernelCommandLine = OnloadTools.Host.HostInfo.KernelCommandLine(HostFs),
            TunedProfile = OnloadTools.Host.HostInfo.ActiveTunedProfile(HostFs), Tool = "hwlatdetect", Cpus = "", DurationSeconds = Duration,
            ThresholdMicroseconds = Threshold, MaximumMicroseconds = worst, Verdict = r.Verdict, CommandLine = result.CommandLine,
            StartTime = result.StartTime, EndTime = result.EndTime, Source = "text", ToolReport = result.CombinedOutput, Results = new[] { r },
        };
        Persist(run);
        WriteObject(AsRun.IsPresent ? run : r);
    }
}
