using System.Management.Automation;
using OnloadTools.Latency;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

/// <summary>
/// What the cmdlets that run latency sessions share (Measure-NetperfLatency, Measure-SockperfLatency,
/// Invoke-LatencyComparison): preparing a session, and the one ErrorId of each latency failure. A tool's ErrorIds are
/// named after it (NetperfFailed, SockperfFailed) and after its server (NetserverUnreachable, SockperfServerUnreachable).
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
        catch (ToolNotFoundException e)
        {
            ThrowTerminatingError(NotInstalled(e));
        }
        catch (ToolTimeoutException e)
        {
            ThrowTerminatingError(LatencyTimedOut(session.Tool, e));
        }
        catch (LatencyToolException e) when (e.Failure == LatencyFailure.UnresolvedHost)
        {
            return LatencyError(e, test: null);
        }
        catch (LatencyToolException e)
        {
            ThrowTerminatingError(LatencyError(e, test: null));
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
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
            LatencyFailure.UnresolvedHost => Error(e, "ComputerNameNotResolved", ErrorCategory.ObjectNotFound, e.Target, e.RecommendedAction),
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
}
