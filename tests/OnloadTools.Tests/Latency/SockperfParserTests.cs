using System.Text;
using CsCheck;
using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

public class SockperfParserTests
{
    private static SockperfOutput ParseFixture(string name) => SockperfParser.Parse(TestPaths.ReadFixture("sockperf", name));

    [Fact]
    public void Doc_3_5_tcp_summary_gives_every_percentile_and_the_extremes()
    {
        var o = ParseFixture("doc_3.5_pingpong_tcp.txt");
        Assert.Equal("3.5-no.git", o.Version);
        Assert.Equal("TCP", o.Protocol);
        Assert.Equal("22.0.0.3", o.Address);
        Assert.Equal(5001, o.Port);
        Assert.Equal("OneWay", o.LatencyKind);
        Assert.Equal(9.017, o.Mean);
        Assert.Equal(4.171, o.StdDev);
        Assert.Equal(528579, o.Observations);
        Assert.Equal(9.550, o.ValidRunTimeSeconds);
        Assert.Equal(528579, o.ReceivedMessages);
        Assert.Equal(10.000, o.TotalRunTimeSeconds);
        Assert.Equal(400, o.WarmupMilliseconds);
        Assert.Equal(98.777, o.Max);
        Assert.Equal(4.629, o.Min);
        Assert.Equal(72.628, o.Percentile(99.999));
        Assert.Equal(17.980, o.Percentile(99.99));
        Assert.Equal(16.824, o.Percentile(99.9));
        Assert.Equal(16.193, o.Percentile(99));
        Assert.Equal(14.731, o.Percentile(90));
        Assert.Equal(14.301, o.Percentile(75));
        Assert.Equal(6.222, o.Percentile(50));
        Assert.Equal(5.759, o.Percentile(25));
        Assert.Equal(0, o.Dropped);
        Assert.Equal(SockperfErrorKind.None, o.ErrorKind);
        Assert.Empty(o.Warnings);
    }

    [Fact]
    public void Doc_3_5_udp_multicast_summary_is_read()
    {
        var o = ParseFixture("doc_3.5_pingpong_udp_multicast_ipoib.txt");
        Assert.Equal("UDP", o.Protocol);
        Assert.Equal("224.18.7.81", o.Address);
        Assert.Equal(20.771, o.Mean);
        Assert.Equal(106.349, o.Percentile(99.999));
        Assert.Equal(120.108, o.Max);
        Assert.Equal(16.748, o.Min);
        Assert.Equal(229630, o.Observations);
    }

    [Fact]
    public void A_kernel_bypass_banner_before_the_summary_is_ignored()
    {
        var o = ParseFixture("doc_3.5_pingpong_udp_vma_banner.txt");
        Assert.Equal("3.5-no.git", o.Version);
        Assert.Equal("UDP", o.Protocol);
        Assert.Equal(0.951, o.Mean);
        Assert.Equal(0.034, o.StdDev);
        Assert.Equal(4951987, o.Observations);
        Assert.Equal(1.318, o.Percentile(99.999));
        Assert.Equal(0.943, o.Percentile(50));
        Assert.Equal(0.895, o.Min);
        Assert.Equal(SockperfErrorKind.None, o.ErrorKind);
    }

    [Theory]
    [InlineData("doc_3.5_server_udp_multicast.txt", "3.5-no.git")]
    [InlineData("recorded_3.7_server_udp.txt", "3.7-no.git")]
    public void Server_start_up_text_holds_no_result_and_no_error(string fixture, string version)
    {
        var o = ParseFixture(fixture);
        Assert.Equal(version, o.Version);
        Assert.False(o.HasResult);
        Assert.Equal(SockperfErrorKind.None, o.ErrorKind);
    }

    [Fact]
    public void Recorded_3_7_udp_with_ansi_colours_is_read()
    {
        string text = TestPaths.ReadFixture("sockperf", "recorded_3.7_udp.txt");
        Assert.True(text.Contains("\x1B[", StringComparison.Ordinal)); // the installed sockperf colours its output even into a pipe
        var o = SockperfParser.Parse(text);
        Assert.Equal("3.7-no.git", o.Version);
        Assert.Equal("UDP", o.Protocol);
        Assert.Equal("127.0.0.1", o.Address);
        Assert.Equal(11111, o.Port);
        Assert.Equal("OneWay", o.LatencyKind);
        Assert.Equal(11.741, o.Mean);
        Assert.Equal(224.500, o.StdDev);
        Assert.Equal(23394, o.Observations);
        Assert.Equal(0.550, o.ValidRunTimeSeconds);
        Assert.Equal(23394, o.ReceivedMessages);
        Assert.Equal(32457.059, o.Max);
        Assert.Equal(5.402, o.Min);
        Assert.Equal(38.902, o.Percentile(99));
        Assert.Equal(5.593, o.Percentile(50));
        Assert.Equal(8, o.Percentiles.Count);
    }

    [Fact]
    public void Recorded_3_7_tcp_maps_to_a_sample_with_rate_and_percentiles()
    {
        var o = ParseFixture("recorded_3.7_tcp_m64.txt");
        Assert.Equal("TCP", o.Protocol);
        var s = SockperfSession.ToSample(o, "TCP_PINGPONG", 3);
        Assert.Equal("TCP_PINGPONG", s.TestName);
        Assert.Equal(3, s.Iteration);
        Assert.Equal(17.397, s.MeanLatency);
        Assert.Equal(380.528, s.StdDevLatency);
        Assert.Equal(8.407, s.P50Latency);
        Assert.Equal(98.045, s.P99Latency);
        Assert.Equal(45377.360, s.P99999Latency);
        Assert.Equal(45377.360, s.MaxLatency);
        Assert.Equal(6.619, s.MinLatency);
        Assert.Equal(16442, s.Observations);
        Assert.Equal(Math.Round(16442 / 0.573, 3), s.TransactionRate);
        Assert.Equal("OneWay", s.LatencyKind);
        Assert.Null(s.DistributionLatencies);
    }

    [Fact]
    public void Full_rtt_output_is_recognised_as_round_trip()
    {
        var o = ParseFixture("recorded_3.7_tcp_full_rtt.txt");
        Assert.Equal("RoundTrip", o.LatencyKind);
        Assert.Equal(83.641, o.Mean);
        Assert.Equal(76.333, o.Percentile(50));
        Assert.Equal(4330.956, o.Max);
        Assert.Equal("RoundTrip", SockperfSession.ToSample(o, "TCP_PINGPONG", 1).LatencyKind);
    }

    [Fact]
    public void Udp_without_a_server_is_a_connection_error()
    {
        var o = ParseFixture("recorded_3.7_udp_no_server.txt");
        Assert.Equal(SockperfErrorKind.Connection, o.ErrorKind);
        Assert.Contains("Is the server down?", o.ErrorMessage);
        Assert.False(o.HasResult);
    }

    [Fact]
    public void Tcp_connection_refused_is_a_connection_error()
    {
        var o = ParseFixture("recorded_3.7_tcp_connection_refused.txt");
        Assert.Equal(SockperfErrorKind.Connection, o.ErrorKind);
        Assert.Contains("Connection refused", o.ErrorMessage);
    }

    [Theory]
    [InlineData("recorded_3.7_invalid_address.txt", "Invalid address: nosuchhost.invalid")]
    [InlineData("recorded_3.7_invalid_message_size.txt", "Invalid message size: 100000")]
    [InlineData("recorded_3.7_invalid_option.txt", "usage")]
    public void Rejected_arguments_are_invalid_argument_errors(string fixture, string expected)
    {
        var o = ParseFixture(fixture);
        Assert.Equal(SockperfErrorKind.InvalidArgument, o.ErrorKind);
        Assert.Contains(expected, o.ErrorMessage);
        Assert.False(o.HasResult);
    }

    [Fact]
    public void Drops_and_few_observations_become_warnings()
    {
        string text = TestPaths.ReadFixture("sockperf", "doc_3.5_pingpong_tcp.txt")
            .Replace("# dropped messages = 0; # duplicated messages = 0", "# dropped messages = 7; # duplicated messages = 1")
            .Replace("Total 528579 observations", "Total 27 observations");
        var o = SockperfParser.Parse(text);
        Assert.Equal(7, o.Dropped);
        Assert.Equal(2, o.Warnings.Count);
        Assert.Contains(o.Warnings, w => w.Contains("7 dropped"));
        Assert.Contains(o.Warnings, w => w.Contains("Only 27 round trips"));
    }

    [Fact]
    public void Parser_never_throws_on_arbitrary_text()
    {
        Gen.String.Sample(s =>
        {
            var o = SockperfParser.Parse(s);
            Assert.NotNull(o);
        }, iter: 2000);
    }

    [Fact]
    public void Parser_never_throws_on_mangled_real_output()
    {
        string real = TestPaths.ReadFixture("sockperf", "recorded_3.7_udp.txt");
        Gen.Int[0, real.Length].Select(Gen.Int[0, real.Length], Gen.Char).Sample((cut, at, c) =>
        {
            var text = new StringBuilder(real[..cut]);
            if (at < text.Length) text[at] = c;
            SockperfParser.Parse(text.ToString());
        }, iter: 2000);
    }
}
