using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

/// <summary>The command lines SockperfSession builds (Measure-SockperfLatency with the real sockperf: tests/Pester/Sockperf.Tests.ps1).</summary>
public class SockperfSessionTests
{
    [Fact]
    public void Onload_wraps_the_client_and_the_private_server()
    {
        var session = new SockperfSession(OnloadTools.Processes.ToolRunner.Default, OnloadTools.Host.HostFileSystem.Current,
            new SockperfRequest { Onload = true, OnloadProfile = "latency", Protocols = new[] { "UDP", "TCP" }, DurationSeconds = 3, MessageSize = 32, MessagesPerSecond = 1000 });
        Assert.Equal("onload --profile=latency sockperf ping-pong -i 127.0.0.1 -p 11111 -t 3 -m 32 --mps=1000 --tcp",
            session.BuildCommand("TCP").CommandLine);
        Assert.Equal("onload --profile=latency sockperf ping-pong -i 127.0.0.1 -p 11111 -t 3 -m 32 --mps=1000 --full-log /tmp/x.csv",
            session.BuildCommand("UDP", "/tmp/x.csv").CommandLine);
        Assert.Equal("onload --profile=latency sockperf server -i 127.0.0.1 -p 4000 --tcp", session.BuildServerCommand("TCP", 4000).CommandLine);
    }
}
