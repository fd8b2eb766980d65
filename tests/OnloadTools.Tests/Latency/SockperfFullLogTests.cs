using System.Text;
using CsCheck;
using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

public class SockperfFullLogTests
{
    [Theory]
    [InlineData("recorded_3.7_udp_full_log.csv", "recorded_3.7_udp_mps2000_full_log.txt", "OneWay")]
    [InlineData("recorded_3.7_tcp_full_rtt_log.csv", "recorded_3.7_tcp_full_rtt.txt", "RoundTrip")]
    public void Every_round_trip_of_a_real_full_log_agrees_with_sockperfs_own_summary(string log, string summary, string kind)
    {
        var d = new LatencyDistribution();
        var r = SockperfFullLog.ReadInto(TestPaths.Fixture("sockperf", log), d);
        var o = SockperfParser.Parse(TestPaths.ReadFixture("sockperf", summary));

        Assert.Equal(kind, r.LatencyKind);
        Assert.Equal(0, r.Malformed);
        Assert.Equal(o.Observations, r.Rows);
        Assert.Equal(o.Observations, d.Count);
        // sockperf rounds its summary separately from its log: they agree to a nanosecond or two.
        Assert.Equal(o.Min!.Value, d.MinMicroseconds!.Value, 0.0015);
        Assert.Equal(o.Max!.Value, d.MaxMicroseconds!.Value, 0.0015);
        Assert.Equal(o.Mean!.Value, d.MeanMicroseconds!.Value, 0.0015);
        Assert.Equal(o.StdDev!.Value, d.StdDevMicroseconds!.Value, 0.0015);
        foreach (double p in new[] { 25, 50, 75, 90, 99 })
        {
            double expected = o.Percentile(p)!.Value;
            // four significant digits: within 0.01 % (plus sockperf's own rounding)
            Assert.True(Math.Abs(expected - d.PercentileMicroseconds(p)!.Value) <= expected * 1e-4 + 0.0015,
                $"p{p}: sockperf {expected}, histogram {d.PercentileMicroseconds(p)}");
        }
    }

    [Fact]
    public void Known_uniform_values_give_known_percentiles()
    {
        var text = new StringBuilder("------------------------------\npacket, txTime(sec), rxTime(sec), latency(usec)\n");
        // 1.000 … 10000.000 µs, shuffled order
        var values = Enumerable.Range(1, 10000).OrderBy(i => (i * 7919) % 10007).ToArray();
        foreach (int v in values) text.Append(v).Append(", 1.000000000, 1.000001000, ").Append(v).Append(".000\n");
        text.Append("------------------------------\n");
        var d = new LatencyDistribution();
        var r = SockperfFullLog.ReadInto(new MemoryStream(Encoding.ASCII.GetBytes(text.ToString())), d);

        Assert.Equal("OneWay", r.LatencyKind);
        Assert.Equal(10000, d.Count);
        Assert.Equal(1.0, d.MinMicroseconds);
        Assert.Equal(10000.0, d.MaxMicroseconds);
        Assert.Equal(5000.5, d.MeanMicroseconds!.Value, 6);
        Assert.Equal(2886.8956, d.StdDevMicroseconds!.Value, 3);
        Assert.Equal(5000, d.PercentileMicroseconds(50)!.Value, 5000 * 1e-4);
        Assert.Equal(9900, d.PercentileMicroseconds(99)!.Value, 9900 * 1e-4);
        Assert.Equal(9990, d.PercentileMicroseconds(99.9)!.Value, 9990 * 1e-4);
        Assert.Equal(LatencyDistribution.LadderPercentiles.Length, d.Ladder().Length);
        Assert.Equal(1.0, d.Ladder()[0]);
        Assert.Equal(10000.0, d.Ladder()[^1]);
    }

    [Fact]
    public void Fractions_are_rounded_to_whole_nanoseconds_and_garbage_rows_are_counted()
    {
        string text = "packet, txTime(sec), rxTime(sec), latency(usec)\n"
            + "0, 1.0, 1.1, 5.4\n"        // 5400 ns
            + "1, 1.0, 1.1, 5.41\n"       // 5410 ns
            + "2, 1.0, 1.1, 5.4125\r\n"   // 5412.5 → 5413 ns, CRLF
            + "3, 1.0, 1.1, 7\n"          // 7000 ns
            + "4, 1.0, 1.1, -3.000\n"     // lost reply: unreadable
            + "5, 1.0, 1.1\n"             // cut short
            + "6, 1.0, 1.1, 1.2.3\n"      // garbled
            + "7, 1.0, 1.1, 9.999";       // last line without newline
        var d = new LatencyDistribution();
        var r = SockperfFullLog.ReadInto(new MemoryStream(Encoding.ASCII.GetBytes(text)), d);
        Assert.Equal(5, r.Rows);
        Assert.Equal(3, r.Malformed);
        Assert.Equal(5.4, d.MinMicroseconds);
        Assert.Equal(9.999, d.MaxMicroseconds);
        Assert.Equal((5400 + 5410 + 5413 + 7000 + 9999) / 5.0 / 1000, d.MeanMicroseconds!.Value, 9);
    }

    [Fact]
    public void Reader_never_throws_on_arbitrary_bytes()
    {
        Gen.Byte.Array[0, 4000].Sample(bytes =>
        {
            var d = new LatencyDistribution();
            var r = SockperfFullLog.ReadInto(new MemoryStream(bytes), d);
            Assert.True(r.Rows == d.Count + d.Rejected);
        }, iter: 2000);
    }

    [Fact]
    public void A_distribution_replaces_the_summary_figures_on_a_sample()
    {
        var d = new LatencyDistribution();
        for (int i = 1; i <= 1000; i++) d.RecordMicroseconds(i);
        var s = new LatencySample { P50Latency = 1, MaxLatency = 2 };
        SockperfSession.ApplyDistribution(s, d);
        Assert.Equal(1000, s.Observations);
        Assert.Equal(1000.0, s.MaxLatency);
        Assert.Equal(500, s.P50Latency!.Value, 0.05);
        Assert.Equal(990, s.P99Latency!.Value, 0.1);
        Assert.Equal(LatencyDistribution.LadderPercentiles, s.DistributionPercentiles);
        Assert.Equal(s.DistributionPercentiles!.Length, s.DistributionLatencies!.Length);
        Assert.True(s.DistributionLatencies.Zip(s.DistributionLatencies.Skip(1)).All(p => p.First <= p.Second), "a CDF never decreases");
    }
}
