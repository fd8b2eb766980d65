using System.Management.Automation;
using OnloadTools.Latency;

namespace OnloadTools.Commands;

/// <summary>Measure-SockperfLatency: sockperf ping-pong (UDP and TCP) as typed LatencyRun objects, with percentiles to p99.999.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "SockperfLatency")]
[OutputType(typeof(LatencyRun))]
public sealed class MeasureSockperfLatencyCommand : MeasureLatencyCmdlet
{
    /// <summary>Udp and/or Tcp: one run per protocol (TestName UDP_PINGPONG / TCP_PINGPONG).</summary>
    [Parameter]
    [ValidateSet("Udp", "Tcp", IgnoreCase = true)]
    public string[] Protocol { get; set; } = { "Udp" };

    /// <summary>Bytes per message (sockperf -m). sockperf's minimum is 14.</summary>
    [Parameter]
    [ValidateRange(14, 65507)]
    public int MessageSize { get; set; } = 14;

    /// <summary>Messages per second (sockperf --mps): a number, or max (the default).</summary>
    [Parameter]
    [ValidatePattern(@"^(?i:max|[1-9][0-9]{0,8})$")]
    public string Mps { get; set; } = "max";

    /// <summary>Reports round trips (sockperf --full-rtt) instead of sockperf's default one-way latency (half the round trip).</summary>
    [Parameter]
    public SwitchParameter RoundTrip { get; set; }

    /// <summary>Reads every round trip from sockperf's --full-log into a histogram: exact percentiles and a CDF ladder.</summary>
    [Parameter]
    public SwitchParameter FullDistribution { get; set; }

    protected override int ProgressId => 2;

    private protected override LatencySession CreateSession(string? computerName) => new SockperfSession(Runner, HostFs, Requested(new SockperfRequest
    {
        Protocols = Protocol.Select(p => p.ToUpperInvariant()).Distinct().ToArray(),
        MessageSize = MessageSize,
        MessagesPerSecond = string.Equals(Mps, "max", StringComparison.OrdinalIgnoreCase) ? null : int.Parse(Mps, System.Globalization.CultureInfo.InvariantCulture),
        RoundTrip = RoundTrip.IsPresent,
        FullDistribution = FullDistribution.IsPresent,
    }, computerName));
}
