using System.Management.Automation;
using OnloadTools.Host;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

/// <summary>
/// Shared base of the module's cmdlets: a cancellation token that Ctrl+C (StopProcessing) trips at once,
/// waiting on domain tasks from the pipeline thread (so progress and output stay on it), and the mapping of
/// domain exceptions to PowerShell errors with stable ErrorIds.
/// </summary>
public abstract partial class OnloadCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly IDisposable _termination;

    protected OnloadCmdlet()
    {
        _stop = new CancellationTokenSource();
        // SIGTERM or SIGHUP to pwsh trips the same token as Ctrl+C, so the same cleanup runs before pwsh ends.
        _termination = ProcessGate.CancelOnTermination(_stop);
    }

    /// <summary>Tripped by Ctrl+C; every process started with it is killed at once.</summary>
    private protected CancellationToken Cancellation => _stop.Token;

    /// <summary>The one process runner. Tests put doubles of the hardware tools on PATH; nothing replaces the runner.</summary>
    internal IToolRunner Runner { get; } = ToolRunner.Default;

    /// <summary>The host's /proc and /sys, or the fake tree named by ONLOADTOOLS_HOST_ROOT (how the tests point it elsewhere).</summary>
    internal HostFileSystem HostFs { get; } = HostFileSystem.Current;

    protected override void StopProcessing()
    {
        try { _stop.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>Waits for a task on the pipeline thread, calling <paramref name="tick"/> about once a second. The one
    /// funnel of cancellation: a task cancelled by Ctrl+C (or SIGTERM) stops the pipeline.</summary>
    /// <remarks>The task's own exception is rethrown (never an AggregateException).</remarks>
    private protected T Await<T>(Task<T> task, Action? tick = null)
    {
        WaitTicking(task, tick);
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    private protected void Await(Task task, Action? tick = null)
    {
        WaitTicking(task, tick);
        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    private static void WaitTicking(Task task, Action? tick)
    {
        // Waiting on the handle neither throws nor spins: the pipeline thread sleeps until the task ends or a tick is due.
        while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(1)))
        {
            tick?.Invoke();
        }
    }

    /// <summary>"tuned-adm" → "TunedAdm", for ErrorIds.</summary>
    private protected static string Pascal(string tool) =>
        string.Concat(Path.GetFileName(tool).Split('-', '_', '.').Where(p => p.Length > 0)
            .Select(p => char.ToUpperInvariant(p[0]) + p[1..]));

    private protected static ErrorRecord Error(Exception e, string errorId, ErrorCategory category, object? target, string? recommendedAction = null)
    {
        var record = new ErrorRecord(e, errorId, category, target);
        if (recommendedAction is not null)
        {
            record.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = recommendedAction };
        }
        return record;
    }

    /// <summary>
    /// The latency runs among piped or bound input (live, deserialized, imported, arrays of them), each one bound. A run
    /// that arrived lossy (samples as text, serialized at depth 1) is kept with a warning; anything else is a
    /// NotALatencyRun error (a run holding an impossible value: LatencyRunImpossibleValue), non-terminating unless
    /// <paramref name="terminating"/> (a bad argument, not a stray object in the pipeline).
    /// </summary>
    private protected IEnumerable<LatencyRun> BindRuns(object[]? input, bool terminating = false)
    {
        if (input is null) yield break;
        foreach (object? item in input.SelectMany(LatencyRunBinder.Flatten))
        {
            if (item is null) continue;
            LatencyRun run;
            bool lossy;
            try
            {
                run = LatencyRunBinder.Bind(item, out lossy);
            }
            catch (LatencyRunBindingException e)
            {
                var record = Error(e, e.ErrorId, e.Category, item);   // NotALatencyRun, or LatencyRunImpossibleValue (InvalidData)
                if (terminating) ThrowTerminatingError(record);
                WriteError(record);
                continue;
            }
            if (lossy)
            {
                WriteWarning($"Run {run.RunId} ({run.Label} {run.TestName}) arrived with its samples as text (serialized at depth 1): " +
                    "only each iteration's mean and p99 were recovered. Serialize runs with -Depth 2 or more.");
            }
            yield return run;
        }
    }

    /// <summary>A missing tool: NotInstalled, naming the RHEL package.</summary>
    private protected static ErrorRecord NotInstalled(ToolNotFoundException e) =>
        Error(e, Pascal(e.Tool) + "NotInstalled", ErrorCategory.NotInstalled, e.Tool, ToolCatalog.InstallHint(e.Tool));

    private protected static ErrorRecord TimedOut(ToolTimeoutException e) =>
        Error(e, "ToolTimedOut", ErrorCategory.OperationTimeout, e.CommandLine);

    /// <summary>Maps the exceptions every domain service can raise; null when it is not one of them.</summary>
    private protected static ErrorRecord? CommonError(Exception e, object? target) => e switch
    {
        ToolNotFoundException nf => NotInstalled(nf),
        ToolTimeoutException to => TimedOut(to),
        ToolFailedException tf => Error(tf, Pascal(tf.Result.ExecutablePath) + "Failed", ErrorCategory.InvalidResult, target ?? tf.Result.CommandLine),
        UnauthorizedAccessException ua => Error(ua, "PermissionDenied", ErrorCategory.PermissionDenied, target),
        _ => null,
    };

    /// <summary>Throws the PowerShell form of a domain exception (rethrows unknown ones).</summary>
    private protected void ThrowCommon(Exception e, object? target)
    {
        if (CommonError(e, target) is { } record) ThrowTerminatingError(record);
        throw e;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _termination.Dispose();
            _stop.Dispose();
        }
    }
}
