using OnloadTools.Processes;

namespace OnloadTools.Latency;

internal enum SockperfFailure
{
    /// <summary>No sockperf server answered (TCP refused, no UDP reply, or the name does not resolve).</summary>
    Connection,
    /// <summary>sockperf rejected the arguments.</summary>
    InvalidArgument,
    /// <summary>sockperf printed nothing this module can read.</summary>
    Unparsable,
    /// <summary>sockperf reported an error of its own, or exited non-zero.</summary>
    ToolError,
    /// <summary>The private sockperf server could not be started.</summary>
    ServerStart,
    /// <summary>The --full-log file could not be read.</summary>
    FullLog,
    /// <summary>sockperf was interrupted ("Test end (interrupted by user)", exit code 0) or ran shorter than asked: not a sample.</summary>
    CutShort,
}

/// <summary>One sockperf iteration (or the server it needs) failed; carries sockperf's raw output.</summary>
internal sealed class SockperfException : Exception
{
    public SockperfException(SockperfFailure failure, string message, string rawOutput, ToolResult? result = null, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
        RawOutput = rawOutput;
        Result = result;
    }

    public SockperfFailure Failure { get; }
    public string RawOutput { get; }
    public ToolResult? Result { get; }
}
