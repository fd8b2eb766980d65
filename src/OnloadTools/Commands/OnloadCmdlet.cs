using System.Management.Automation;
using OnloadTools.Containers;
using OnloadTools.Host;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

/// <summary>
/// Shared base of the module's cmdlets: the one error funnel, a cancellation token that Ctrl+C (StopProcessing)
/// trips at once, and waiting on domain tasks from the pipeline thread (so progress and output stay on it).
/// </summary>
/// <remarks>
/// <para>The error funnel. A cmdlet overrides <see cref="Begin"/>, <see cref="Process"/> and <see cref="End"/>
/// (never BeginProcessing, ProcessRecord or EndProcessing) and lets the domain's typed exceptions flow: it has no
/// catch of its own. Each step runs inside one try/catch here that sorts what escapes it:</para>
/// <list type="bullet">
/// <item>PowerShell's own exceptions (a RuntimeException: ThrowTerminatingError's PipelineStoppedException, a
/// stopped pipeline, a nested pipeline's error) pass through untouched.</item>
/// <item>Ctrl+C (an OperationCanceledException once the token is tripped) stops the pipeline.</item>
/// <item>A domain failure becomes a terminating error built by the one table, <see cref="DomainError"/>: ErrorId
/// (from <see cref="ErrorIds"/>), category, target and remedy. The target is the exception's own where it names one,
/// else <see cref="ErrorTarget"/>, which a cmdlet sets to what it is working on.</item>
/// <item>Anything else is a defect: its full ToString() (with the stack) goes to the debug stream (-Debug shows it)
/// and it is rethrown unchanged, so it surfaces as itself, never dressed as a mapped error.</item>
/// </list>
/// <para>A cmdlet that goes on after one item fails wraps that item's work in <see cref="TryItem"/>: a domain
/// failure is written as a non-terminating error from the same table and TryItem returns false; a missing tool,
/// Ctrl+C and a defect still flow to the funnel (every later item would fail the same way, or it is a bug).</para>
/// </remarks>
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

    /// <summary>What the cmdlet is working on: the error's TargetObject when the exception names none. A cmdlet sets it
    /// as it goes (a parameter in Begin, the current item in Process); null is a valid target.</summary>
    private protected object? ErrorTarget { get; set; }

    /// <summary>The cmdlet's BeginProcessing, inside the error funnel.</summary>
    protected virtual void Begin() { }

    /// <summary>The cmdlet's ProcessRecord, inside the error funnel.</summary>
    protected virtual void Process() { }

    /// <summary>The cmdlet's EndProcessing, inside the error funnel.</summary>
    protected virtual void End() { }

    // To be sealed once every cmdlet overrides Begin/Process/End (the latency and container cmdlets move next).
    protected sealed override void BeginProcessing() => Funnel(Begin);

    protected sealed override void ProcessRecord() => Funnel(Process);

    protected sealed override void EndProcessing() => Funnel(End);

    private void Funnel(Action step)
    {
        try
        {
            step();
        }
        catch (Exception e) when (e is not RuntimeException)
        {
            if (IsCancellation(e)) throw new PipelineStoppedException();
            if (DomainError(e, ErrorTarget) is { } record) ThrowTerminatingError(record);
            if (!Stopping) WriteDebug($"Defect in {MyInvocation.MyCommand?.Name}: an unexpected {e.GetType().FullName}, rethrown as it is. {e}");
            throw;
        }
    }

    /// <summary>
    /// Runs one item's work for a cmdlet that goes on after an item fails: a domain failure is written as a
    /// non-terminating error from the one table (target: the exception's own, else <paramref name="target"/>) and
    /// false returned. A missing tool, Ctrl+C and a defect are not caught here: they flow to the funnel and end the command.
    /// </summary>
    private protected bool TryItem(Action work, object? target)
    {
        try
        {
            work();
            return true;
        }
        catch (Exception e) when (ItemError(e, target) is { } record)
        {
            WriteError(record);
            return false;
        }
    }

    /// <inheritdoc cref="TryItem(Action, object?)"/>
    private protected bool TryItem<T>(Func<T> work, object? target, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T result)
    {
        T value = default!;
        bool ok = TryItem(() => { value = work(); }, target);
        result = value;
        return ok;
    }

    /// <summary>The non-terminating error of one item's failure; null for what must end the command (evaluated in a
    /// filter, so it never throws).</summary>
    private ErrorRecord? ItemError(Exception e, object? target) =>
        e is RuntimeException or ToolNotFoundException or ContainerEngineNotFoundException || IsCancellation(e) ? null : DomainError(e, target);

    private bool IsCancellation(Exception e) => e is OperationCanceledException && Cancellation.IsCancellationRequested;

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

    private protected void Await(Task task, Action? tick = null) => Await(Completion(task), tick);

    private static async Task<bool> Completion(Task task)
    {
        await task.ConfigureAwait(false);
        return true;
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
