using OnloadTools.Host;
using OnloadTools.Latency;
using OnloadTools.Processes;
using OnloadTools.Tests.Infrastructure;

namespace OnloadTools.Tests.Latency;

/// <summary>
/// netperf's own error lines go to stdout: netlib.c (send_omni_inner and the classic tests) reports a netserver's
/// failure as fprintf(where, "netperf: remote error %d", serv_errno) with where = stdout and no newline, then
/// perror("") on stderr, then exit(1). The message keeps both halves (issue 17 item 16).
/// </summary>
public class NetperfFailureTests
{
    private const string Banner = "MIGRATED TCP REQUEST/RESPONSE TEST from 0.0.0.0 (0.0.0.0) port 0 AF_INET to 127.0.0.1 () port 0 AF_INET : demo : first burst 0\n";
    private const string RemoteErrorOut = Banner + "netperf: remote error 11";
    private const string RemoteErrorErr = "Resource temporarily unavailable\n";

    private static ToolResult Result(int exit, string stdout, string stderr) => new()
    {
        CommandLine = "netperf -H 127.0.0.1 -t TCP_RR", ExecutablePath = "/usr/bin/netperf", ExitCode = exit,
        StandardOutput = stdout, StandardError = stderr, StartTime = DateTime.UtcNow, EndTime = DateTime.UtcNow,
    };

    [Fact]
    public void The_error_netperf_prints_on_stdout_is_in_the_message_with_stderr()
    {
        string m = NetperfParser.FailureMessage(Result(1, RemoteErrorOut, RemoteErrorErr));
        Assert.Equal("netperf failed: 'netperf -H 127.0.0.1 -t TCP_RR' exited with code 1: netperf: remote error 11: Resource temporarily unavailable", m);
    }

    [Fact]
    public void Banner_and_result_lines_are_not_what_netperf_said()
    {
        Assert.Equal("netperf failed: 'netperf -H 127.0.0.1 -t TCP_RR' exited with code 1: recv_response: data recv error: Connection reset by peer",
            NetperfParser.FailureMessage(Result(1, Banner + "MIN_LATENCY=17\n", "recv_response: data recv error: Connection reset by peer\n")));
        Assert.Equal("netperf failed: 'netperf -H 127.0.0.1 -t TCP_RR' exited with code 1.", NetperfParser.FailureMessage(Result(1, Banner, "")));
    }

    [Fact]
    public async Task A_measurement_that_netperf_fails_says_what_netperf_printed_on_both_streams()
    {
        var runner = new ScriptedRunner(c => (1, RemoteErrorOut, RemoteErrorErr), "netperf");
        var request = new NetperfRequest { ComputerName = "127.0.0.1", Port = 12865, DurationSeconds = 1, Iterations = 1 };
        using var session = new NetperfSession(runner, new HostFileSystem("/"), request);
        var run = session.NewRun("TCP_RR");
        var e = await Assert.ThrowsAsync<LatencyToolException>(() => session.RunIterationAsync(run, "TCP_RR", 1, CancellationToken.None));
        Assert.Equal(LatencyFailure.ToolError, e.Failure);
        Assert.Contains("netperf: remote error 11: Resource temporarily unavailable", e.Message);
        Assert.Contains("exited with code 1", e.Message);
    }
}
