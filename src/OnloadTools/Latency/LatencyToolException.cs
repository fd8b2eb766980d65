using OnloadTools.Processes;

namespace OnloadTools.Latency;

/// <summary>What went wrong with a latency tool (netperf, sockperf …); the cmdlets give each one ErrorId per tool.</summary>
internal enum LatencyFailure
{
    /// <summary>No server answered at the target (TCP refused, no UDP reply, no netserver listening).</summary>
    Connection,
    /// <summary>-ComputerName does not resolve to an address.</summary>
    UnresolvedHost,
    /// <summary>The tool does not know the requested test.</summary>
    UnknownTest,
    /// <summary>The tool rejected its arguments.</summary>
    InvalidArgument,
    /// <summary>The tool printed nothing this module can read as a latency.</summary>
    Unparsable,
    /// <summary>The tool ran another test than the one asked for: the figures are not latencies of the requested test.</summary>
    WrongTest,
    /// <summary>The tool reported an error of its own, or exited non-zero.</summary>
    ToolError,
    /// <summary>The private server could not be started.</summary>
    ServerStart,
    /// <summary>The tool cannot be run where the client should run (the container is gone, or lacks the tool).</summary>
    ClientUnavailable,
    /// <summary>A file of the tool's results (sockperf's --full-log) could not be read.</summary>
    FullLog,
    /// <summary>The tool was interrupted or ran shorter than asked for: not a sample.</summary>
    CutShort,
}

/// <summary>One iteration of a latency tool (or the server or client it needs) failed; carries the tool's raw output.</summary>
internal sealed class LatencyToolException : Exception
{
    public LatencyToolException(string tool, string server, LatencyFailure failure, string message, string rawOutput,
        ToolResult? result = null, Exception? inner = null)
        : base(message, inner)
    {
        Tool = tool;
        Server = server;
        Failure = failure;
        RawOutput = rawOutput;
        Result = result;
    }

    /// <summary>The measuring tool: "netperf", "sockperf".</summary>
    public string Tool { get; }
    /// <summary>Its server: "netserver", "sockperf server".</summary>
    public string Server { get; }
    public LatencyFailure Failure { get; }
    public string RawOutput { get; }
    public ToolResult? Result { get; }
    /// <summary>What the failure is about, where that is not the raw output: "HOST:PORT", the computer name, "container:NAME".</summary>
    public string? Target { get; init; }
    /// <summary>What the admin can do about it, when the tool knows.</summary>
    public string? RecommendedAction { get; init; }
}
