using System.Management.Automation;
using OnloadTools.Latency;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

/// <summary>
/// What the cmdlets that run latency sessions share (Measure-NetperfLatency, Measure-SockperfLatency,
/// Invoke-LatencyComparison): preparing a session, the one ErrorId of each latency failure, and the history a run is
/// saved to. A tool's ErrorIds are named after it (NetperfFailed, SockperfFailed) and after its server
/// (NetserverUnreachable, SockperfServerUnreachable).
/// </summary>
public abstract partial class OnloadCmdlet
{
    /// <summary>
    /// Prepares the session (tools, versions, server), terminating on what ends the command. Returns the error of a
    /// -ComputerName that does not resolve, for the caller to write or throw; null when the session is ready.
    /// </summary>
    /// <param name="purpose">"measurement", "comparison": what a started private server is for.</param>
    private protected ErrorRecord? PrepareLatencySession(LatencySession session, string purpose)
    {
        try
        {
            Await(session.PrepareAsync(Cancellation));
        }
        catch (LatencyToolException e) when (e.Failure == LatencyFailure.UnresolvedHost)
        {
            return LatencyError(e, test: null);
        }
        catch (ToolTimeoutException e)
        {
            // A latency tool's hang has its own id (NetperfTimedOut); everything else is the table's.
            ThrowTerminatingError(LatencyTimedOut(session.Tool, e));
        }
        foreach (var (test, server) in session.PrivateServers)
        {
            WriteVerbose($"No {session.DescribeServer(test)} was listening on this host; started '{server}' for this {purpose}.");
        }
        return null;
    }

    /// <summary>The one ErrorRecord of each latency failure, whichever cmdlet meets it.</summary>
    /// <param name="test">The test (TCP_RR, UDP_PINGPONG) of a failed iteration; null while preparing.</param>
    private protected static ErrorRecord LatencyError(LatencyToolException e, string? test)
    {
        string tool = Pascal(e.Tool);
        string server = string.Concat(e.Server.Split(' ').Select(Pascal));
        return e.Failure switch
        {
            LatencyFailure.Connection => Error(e, server + "Unreachable", ErrorCategory.ConnectionError, e.Target, e.RecommendedAction),
            LatencyFailure.UnresolvedHost => Error(e, ErrorIds.ComputerNameNotResolved, ErrorCategory.ObjectNotFound, e.Target, e.RecommendedAction),
            LatencyFailure.ServerStart => Error(e, server + "StartFailed", ErrorCategory.ResourceUnavailable, e.RawOutput),
            LatencyFailure.ClientUnavailable => Error(e, tool + "ClientUnavailable", ErrorCategory.ObjectNotFound, e.Target),
            LatencyFailure.UnknownTest => Error(e, tool + "UnknownTest", ErrorCategory.InvalidArgument, test),
            LatencyFailure.InvalidArgument => Error(e, tool + "InvalidArgument", ErrorCategory.InvalidArgument, test),
            LatencyFailure.Unparsable => Error(e, tool + "OutputUnparsable", ErrorCategory.InvalidResult, e.RawOutput),
            LatencyFailure.WrongTest => Error(e, tool + "WrongTest", ErrorCategory.InvalidResult, e.RawOutput, e.RecommendedAction),
            LatencyFailure.FullLog => Error(e, tool + "FullLogUnreadable", ErrorCategory.InvalidResult, e.RawOutput),
            LatencyFailure.CutShort => Error(e, tool + "IterationCutShort", ErrorCategory.OperationStopped, test),
            _ => Error(e, tool + "Failed", ErrorCategory.InvalidResult, e.RawOutput),
        };
    }

    /// <summary>A latency tool (or a call it needs) hung and was killed: NetperfTimedOut, SockperfTimedOut.</summary>
    private protected static ErrorRecord LatencyTimedOut(string tool, ToolTimeoutException e) =>
        Error(e, Pascal(tool) + "TimedOut", ErrorCategory.OperationTimeout, e.CommandLine);

    /// <summary>A -HistoryPath resolved against the current location, else null.</summary>
    private protected string? ResolveHistoryPath(string? historyPath) =>
        historyPath is null ? null : GetUnresolvedProviderPathFromPSPath(historyPath);

    /// <summary>Refuses a history path that cannot be a history (an existing non-.jsonl file, an unwritable place) once,
    /// before anything is measured.</summary>
    private protected void RefuseUnusableHistory(string? path)
    {
        if (path is null || LatencyRunStore.CheckHistoryPath(path, probeWrite: true) is not { } problem) return;
        var (errorId, category) = ExportLatencyRunCommand.Classify(problem.Issue);
        ThrowTerminatingError(Error(new ArgumentException(problem.Message, "HistoryPath"), errorId, category, path));
    }

    /// <summary>Saves the run to the history (folder or .jsonl); a history that cannot be written never loses the measurement.</summary>
    /// <param name="quiet">Writes nothing to the host (the command is already ending with an exception).</param>
    private protected void PersistRun(LatencyRun run, string? historyPath, bool quiet = false)
    {
        if (historyPath is null || run.Samples.Length == 0) return;
        try
        {
            string path = LatencyRunStore.Export(run, historyPath);
            if (!quiet && !Stopping) WriteDebug($"Saved {run.TestName} ({run.Samples.Length} iteration(s)) to {path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!quiet && !Stopping) WriteError(WriteFailure(e, ErrorIds.HistoryWriteFailed, historyPath));
        }
    }
}
