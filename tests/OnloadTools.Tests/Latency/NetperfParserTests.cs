using CsCheck;
using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

public class NetperfParserTests
{
    private static NetperfOutput ParseFixture(string name) => NetperfParser.Parse(TestPaths.ReadFixture("netperf", name));

    [Fact]
    public void KeyValue_recorded_tcp_rr_gives_every_latency_in_microseconds()
    {
        var o = ParseFixture("recorded_2.7.0_tcp_rr_k.txt");
        Assert.Equal("TCP_RR", o.Banner!.TestName);
        Assert.True(o.Banner.Migrated);
        Assert.Equal("127.0.0.1", o.Banner.RemoteHost);
        Assert.Equal(NetperfErrorKind.None, o.ErrorKind);

        var s = NetperfSampleMapper.ToSample(o, "TCP_RR", 1);
        Assert.Equal(23, s.MinLatency);
        Assert.Equal(83.58, s.MeanLatency);
        Assert.Equal(84, s.P50Latency);
        Assert.Equal(98, s.P90Latency);
        Assert.Equal(122, s.P99Latency);
        Assert.Equal(2446, s.MaxLatency);
        Assert.Equal(30.22, s.StdDevLatency);
        Assert.Equal(83.725, s.RoundTripLatency);
        Assert.Equal(11943.919, s.TransactionRate);
        Assert.Equal(1, s.RequestSize);
        Assert.Null(s.ConfidenceWidth);      // -1.000 means "not asked for"
        Assert.Null(s.ConfidenceLevel);      // CONFIDENCE_LEVEL=0
        Assert.Null(s.LocalCpu);             // -1: not bound
        Assert.Null(s.ConfidenceAchieved);
    }

    [Fact]
    public void KeyValue_udp_rr_reports_cpu_binding_and_sizes()
    {
        var o = ParseFixture("recorded_2.7.0_udp_rr_k_cpu_bind.txt");
        var s = NetperfSampleMapper.ToSample(o, "UDP_RR", 2);
        Assert.Equal("UDP_RR", o.Banner!.TestName);
        Assert.Contains("cpu bind", o.Banner.Flags);
        Assert.Equal(0, s.LocalCpu);
        Assert.Equal(1, s.RemoteCpu);
        Assert.Equal(64, s.RequestSize);
        Assert.Equal(64, s.ResponseSize);
        Assert.Equal(2, s.Iteration);
    }

    [Fact]
    public void KeyValue_confidence_not_reached_is_reported_as_not_achieved_with_a_warning()
    {
        var o = ParseFixture("recorded_2.7.0_tcp_rr_k_confidence.txt");
        Assert.Equal(99, o.Banner!.ConfidenceLevel);
        Assert.Equal(1.0, o.Banner.ConfidenceWidth!.Value, 6);
        var s = NetperfSampleMapper.ToSample(o, "TCP_RR", 1);
        Assert.Equal(99, s.ConfidenceLevel);
        Assert.Equal(15.652, s.ConfidenceWidth);
        Assert.Equal(3, s.ConfidenceIterations);
        Assert.False(s.ConfidenceAchieved);
        Assert.Contains(s.Warnings, w => w.Contains("confidence", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Confidence_warning_block_is_understood_whatever_the_output_format()
    {
        var o = ParseFixture("netperf_confidence_not_achieved_warning.txt");
        Assert.False(o.ConfidenceAchieved);
        Assert.Equal(6.8, o.ReportedConfidenceInterval);
        Assert.Equal("TCP_STREAM", o.Banner!.TestName);
        Assert.Single(o.Warnings);
        Assert.Equal(NetperfErrorKind.None, o.ErrorKind);
    }

    [Fact]
    public void Connection_refused_is_a_connection_error_with_netperfs_words()
    {
        var o = ParseFixture("recorded_2.7.0_connection_refused.txt");
        Assert.Equal(NetperfErrorKind.Connection, o.ErrorKind);
        Assert.Contains("are you sure there is a netserver listening on 127.0.0.1 at port 1", o.ErrorMessage);
        Assert.False(o.HasResult);
    }

    [Fact]
    public void Unresolvable_host_is_a_connection_error()
    {
        var o = ParseFixture("recorded_2.7.0_unresolvable_host.txt");
        Assert.Equal(NetperfErrorKind.Connection, o.ErrorKind);
        Assert.Contains("no-such-host.invalid", o.ErrorMessage);
    }

    [Theory]
    [InlineData("recorded_2.7.0_unknown_test.txt", "TCP_XX")]
    [InlineData("netperf_error_unknown_test.txt", "TCP_XX")]
    public void Unknown_test_is_recognised(string file, string test)
    {
        var o = ParseFixture(file);
        Assert.Equal(NetperfErrorKind.UnknownTest, o.ErrorKind);
        Assert.Contains(test, o.ErrorMessage);
    }

    [Theory]
    [InlineData("netperf_udp_stream_error_message_too_long.txt", "Message too long")]
    [InlineData("netperf_tcp_sendfile_error_file_too_small.txt", "file too small")]
    public void Tool_errors_without_a_result_are_errors(string file, string words)
    {
        var o = ParseFixture(file);
        Assert.Equal(NetperfErrorKind.Other, o.ErrorKind);
        Assert.Contains(words, o.ErrorMessage);
        Assert.False(o.HasResult);
    }

    [Theory]
    [InlineData("netperf_migrated_tcp_rr_k.txt", "60074.74")]
    [InlineData("netperf_omni_rr_k_keyval.txt", "59092.65")]
    public void KeyValue_throughput_of_rr_is_the_transaction_rate(string file, string value)
    {
        var o = ParseFixture(file);
        Assert.Equal("Trans/s", o.Values["THROUGHPUT_UNITS"]);
        var s = NetperfSampleMapper.ToSample(o, "TCP_RR", 1);
        Assert.Equal(double.Parse(value, System.Globalization.CultureInfo.InvariantCulture), s.TransactionRate);
    }

    [Fact]
    public void Demo_interim_keyval_lines_are_kept_by_index()
    {
        var o = ParseFixture("netperf_demo_interim_keyval.txt");
        Assert.Equal("25.00", o.Values["NETPERF_INTERIM_RESULT[2]"]);
        Assert.Equal("10^9bits/s", o.Values["NETPERF_UNITS[2]"]);
    }

    [Fact]
    public void Onload_banner_on_stderr_does_not_disturb_parsing()
    {
        string stdout = TestPaths.ReadFixture("netperf", "recorded_2.7.0_tcp_rr_k.txt");
        string stderr = "oo:netperf[4242]: Using Onload 8.1.2.26 [0]\noo:netperf[4242]: Copyright 2006-2023 AMD, 2002-2005 Level 5 Networks\n";
        var o = NetperfParser.Parse(stdout, stderr);
        Assert.Equal(NetperfErrorKind.None, o.ErrorKind);
        Assert.Equal(83.58, NetperfSampleMapper.ToSample(o, "TCP_RR", 1).MeanLatency);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n\n")]
    [InlineData("netperf_uuid.txt")]
    [InlineData("netperf_demo_interim_csv.txt")]
    public void Nothing_usable_is_unknown_not_an_exception(string input)
    {
        string text = input.EndsWith(".txt") ? TestPaths.ReadFixture("netperf", input) : input;
        var o = NetperfParser.Parse(text);
        Assert.False(NetperfSampleMapper.HasLatency(NetperfSampleMapper.ToSample(o, "TCP_RR", 1)));
    }

    [Fact]
    public void Every_fixture_parses_without_throwing()
    {
        foreach (string file in Directory.EnumerateFiles(TestPaths.Fixture("netperf")))
        {
            var o = NetperfParser.Parse(File.ReadAllText(file));
            Assert.NotNull(o);
        }
        Assert.True(Directory.EnumerateFiles(TestPaths.Fixture("netperf")).Count() >= 45);
    }

    [Fact]
    public void Arbitrary_text_never_throws()
    {
        Gen.String.Sample(s =>
        {
            var o = NetperfParser.Parse(s);
            _ = NetperfSampleMapper.ToSample(o, "TCP_RR", 1);
        }, iter: 2000);
    }

    [Fact]
    public void Mutated_real_output_never_throws()
    {
        string[] fixtures = Directory.EnumerateFiles(TestPaths.Fixture("netperf")).Select(File.ReadAllText).ToArray();
        var gen = Gen.Select(Gen.Int[0, fixtures.Length - 1], Gen.Int[0, 10_000], Gen.Int[0, 200], Gen.String);
        gen.Sample((f, at, cut, insert) =>
        {
            string text = fixtures[f];
            int pos = Math.Min(at, text.Length);
            int len = Math.Min(cut, text.Length - pos);
            string mutated = text.Remove(pos, len).Insert(pos, insert);
            var o = NetperfParser.Parse(mutated, insert);
            _ = NetperfSampleMapper.ToSample(o, "UDP_RR", 1);
        }, iter: 3000);
    }

    [Fact]
    public void A_banner_naming_another_test_than_the_one_asked_for_is_a_mismatch()
    {
        // Recorded from the real netperf 2.7.0 run with -t TCP_STREAM and the module's -k latency selectors.
        var stream = NetperfParser.Parse(TestPaths.ReadFixture("netperf", "recorded_2.7.0_tcp_stream_k_latency_selectors.txt"));
        Assert.True(stream.HasResult);
        Assert.Equal("TCP_STREAM", stream.Banner?.TestName);
        string? why = NetperfParser.TestMismatch(stream, "TCP_RR");
        Assert.NotNull(why);
        Assert.Contains("asked for TCP_RR", why);
        Assert.Contains("ran TCP_STREAM", why);
        Assert.Contains("MIGRATED TCP STREAM TEST", why);
        Assert.Null(NetperfParser.TestMismatch(stream, "TCP_STREAM"));

        var rr = NetperfParser.Parse(TestPaths.ReadFixture("netperf", "recorded_2.7.0_tcp_rr_k.txt"));
        Assert.Null(NetperfParser.TestMismatch(rr, "TCP_RR"));
        Assert.NotNull(NetperfParser.TestMismatch(rr, "UDP_RR"));
        Assert.NotNull(NetperfParser.TestMismatch(NetperfParser.Parse(TestPaths.ReadFixture("netperf", "netperf_migrated_tcp_stream.txt")), "TCP_RR"));
    }

    [Fact]
    public async Task A_name_under_dot_invalid_never_resolves_and_addresses_need_no_lookup()
    {
        string? why = await TargetHost.WhyUnresolvableAsync("no.such.host.invalid", CancellationToken.None);
        Assert.Contains("'no.such.host.invalid' does not resolve", why);
        Assert.NotNull(await TargetHost.WhyUnresolvableAsync("INVALID.", CancellationToken.None));
        Assert.Null(await TargetHost.WhyUnresolvableAsync("127.0.0.1", CancellationToken.None));
        Assert.Null(await TargetHost.WhyUnresolvableAsync("::1", CancellationToken.None));
    }
}
