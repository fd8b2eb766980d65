using OnloadTools.Processes;

namespace OnloadTools.Latency;

internal enum NetperfFailure
{
    /// <summary>No netserver reachable at the target.</summary>
    Connection,
    /// <summary>-ComputerName does not resolve to an address.</summary>
    UnresolvedHost,
    /// <summary>This netperf does not know the requested test.</summary>
    UnknownTest,
    /// <summary>netperf printed something that holds no latency result.</summary>
    Unparsable,
    /// <summary>netperf ran another test than the one asked for (its banner names it): the figures are not latencies of the requested test.</summary>
    WrongTest,
    /// <summary>netperf reported an error of its own.</summary>
    ToolError,
    /// <summary>The private netserver could not be started.</summary>
    ServerStart,
    /// <summary>netperf cannot be run where the client should run (the container is gone, or has no netperf).</summary>
    ClientUnavailable,
    /// <summary>netperf was interrupted and reported a run shorter than asked for: not a sample.</summary>
    CutShort,
}

/// <summary>One netperf iteration (or the server it needs) failed; carries the raw output.</summary>
internal sealed class NetperfException : Exception
{
    public NetperfException(NetperfFailure failure, string message, string rawOutput, ToolResult? result = null)
        : base(message)
    {
        Failure = failure;
        RawOutput = rawOutput;
        Result = result;
    }

    public NetperfFailure Failure { get; }
    public string RawOutput { get; }
    public ToolResult? Result { get; }
}
