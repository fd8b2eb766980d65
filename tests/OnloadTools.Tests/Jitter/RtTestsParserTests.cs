using CsCheck;
using OnloadTools.Jitter;
using OnloadTools.Processes;

namespace OnloadTools.Tests.Jitter;

/// <summary>oslat and cyclictest outputs recorded here (tests/fixtures/rt-tests, rt-tests 2.40) and in rt-tests 1.10's print format.</summary>
public class RtTestsParserTests
{
    private static string Fixture(string name) => TestPaths.ReadFixture("rt-tests", name);

    [Fact]
    public void Oslat_json_and_the_text_of_the_same_run_agree()
    {
        var json = RtTestsParser.ParseOslatJson(Fixture("oslat-2.40-cpu1.json"));
        var text = RtTestsParser.ParseOslatText(Fixture("oslat-2.40-cpu1.txt"));
        Assert.Equal("2.40", json.Version);
        Assert.Equal("2.40", text.Version);
        Assert.StartsWith("oslat -c 1 -D 3 -f 1", json.CommandLine);
        var j = Assert.Single(json.Cpus);
        var t = Assert.Single(text.Cpus);
        Assert.Equal(1, j.Cpu);
        Assert.Equal(1, t.Cpu);
        Assert.Equal(1, j.Minimum);
        Assert.Equal(52901, j.Maximum);
        Assert.Equal(1.004146, j.Average, 6);
        Assert.Equal(1.004, t.Average, 3); // the text rounds to 3 places
        Assert.Equal(j.Maximum, t.Maximum);
        Assert.Equal(j.Histogram, t.Histogram);
        Assert.Equal(113905214, j.Histogram[1]);
        Assert.Equal(397, j.Histogram[32]);
        Assert.Equal(32, j.HistogramLimit);
        Assert.Equal(397, j.Overflows); // the last bucket holds every loop at or above 32 µs
        Assert.Equal(j.Samples, t.Samples);
        Assert.Equal(3.049, j.DurationSeconds);
        Assert.Equal(3.049, t.DurationSeconds);
    }

    [Fact]
    public void Oslat_quiet_text_with_empty_buckets_left_out_reads_both_cpus()
    {
        var json = RtTestsParser.ParseOslatJson(Fixture("oslat-2.40-cpu0-1.json"));
        var text = RtTestsParser.ParseOslatText(Fixture("oslat-2.40-cpu0-1-q-z.txt"));
        Assert.Equal(new[] { 0, 1 }, text.Cpus.Select(c => c.Cpu));
        Assert.Equal(new[] { 355081.0, 132094.0 }, text.Cpus.Select(c => c.Maximum));
        Assert.Equal(json.Cpus.Select(c => c.Maximum), text.Cpus.Select(c => c.Maximum));
        Assert.Equal(json.Cpus[0].Histogram, text.Cpus[0].Histogram);
        Assert.Equal(json.Cpus[1].Histogram, text.Cpus[1].Histogram);
        Assert.False(text.Cpus[0].Histogram.ContainsKey(7)); // the "..." row
    }

    [Fact]
    public void Oslat_1_10_text_says_CPU_Freq_and_is_read_all_the_same()
    {
        var o = RtTestsParser.ParseOslatText(Fixture("oslat-1.10-cpu1-3.txt"));
        Assert.Equal("1.10", o.Version);
        Assert.False(RtTestsParser.SupportsJson(o.Version));
        Assert.Equal(new[] { 1, 2, 3 }, o.Cpus.Select(c => c.Cpu));
        Assert.Equal(new[] { 4.0, 6.0, 4.0 }, o.Cpus.Select(c => c.Maximum));
        Assert.Equal(1, o.Cpus[1].Histogram[6]);
        Assert.Equal(0, o.Cpus[1].Overflows);
        Assert.Equal(10.000, o.Cpus[2].DurationSeconds);
    }

    [Fact]
    public void Cyclictest_json_and_the_histogram_text_of_the_same_run_agree()
    {
        var json = RtTestsParser.ParseCyclictestJson(Fixture("cyclictest-2.40-cpu0-1.json"));
        var text = RtTestsParser.ParseCyclictestText(Fixture("cyclictest-2.40-cpu0-1-h100.txt"), new[] { 0, 1 });
        Assert.Equal(new[] { 0, 1 }, json.Cpus.Select(c => c.Cpu));
        Assert.Equal(new[] { 0, 1 }, text.Cpus.Select(c => c.Cpu));
        Assert.Equal(new[] { 14.0, 18.0 }, json.Cpus.Select(c => c.Minimum));
        Assert.Equal(new[] { 3246.0, 3774.0 }, json.Cpus.Select(c => c.Maximum));
        Assert.Equal(json.Cpus.Select(c => c.Minimum), text.Cpus.Select(c => c.Minimum));
        Assert.Equal(json.Cpus.Select(c => c.Maximum), text.Cpus.Select(c => c.Maximum));
        Assert.Equal(new[] { 64.44, 78.63 }, json.Cpus.Select(c => c.Average));
        Assert.Equal(new[] { 64.0, 78.0 }, text.Cpus.Select(c => c.Average)); // the text truncates to whole µs
        Assert.Equal(new long?[] { 1984, 1985 }, json.Cpus.Select(c => c.Samples));
        Assert.Equal(new long[] { 161, 215 }, json.Cpus.Select(c => c.Overflows)); // cycles less the histogram's total
        Assert.Equal(json.Cpus.Select(c => c.Overflows), text.Cpus.Select(c => c.Overflows));
        Assert.Equal(json.Cpus.Select(c => c.Samples), text.Cpus.Select(c => c.Samples));
        Assert.Equal(json.Cpus[0].Histogram, text.Cpus[0].Histogram);
        Assert.Equal(json.Cpus[1].Histogram, text.Cpus[1].Histogram);
    }

    [Theory]
    [InlineData("cyclictest-2.40-cpu0-1-summary.txt", new[] { 14.0, 16.0 }, new[] { 3096.0, 4042.0 }, new long[] { 1979, 1984 })]
    [InlineData("cyclictest-1.10-summary.txt", new[] { 2.0, 2.0 }, new[] { 9.0, 11.0 }, new long[] { 60000, 59998 })]
    public void Cyclictest_thread_lines_map_threads_to_the_affinity_cpus(string file, double[] min, double[] max, long[] cycles)
    {
        var o = RtTestsParser.ParseCyclictestText(Fixture(file), new[] { 4, 6 });
        Assert.Equal(new[] { 4, 6 }, o.Cpus.Select(c => c.Cpu));
        Assert.Equal(min, o.Cpus.Select(c => c.Minimum));
        Assert.Equal(max, o.Cpus.Select(c => c.Maximum));
        Assert.Equal(cycles, o.Cpus.Select(c => c.Samples!.Value));
    }

    [Fact]
    public void Versions_come_from_the_banner_and_json_only_from_2_0()
    {
        Assert.Equal("2.40", RtTestsParser.Version(Fixture("oslat-version.txt")));
        Assert.Equal("2.40", RtTestsParser.Version(Fixture("cyclictest-help.txt")));
        Assert.True(RtTestsParser.SupportsJson("2.40"));
        Assert.False(RtTestsParser.SupportsJson("1.10"));
        Assert.True(RtTestsParser.SupportsJson(null));
    }

    [Fact]
    public void Json_keys_are_read_with_and_without_rt_tests_stray_colon()
    {
        const string plain = """{"cmdline":"oslat -c 2","rt_test_version":"2.5","thread":{"0":{"cpu":2,"min":1,"avg":1.5,"max":7,"histogram":{"1":10,"7":1}}}}""";
        var o = RtTestsParser.ParseOslatJson(plain);
        Assert.Equal("2.5", o.Version);
        Assert.Equal("oslat -c 2", o.CommandLine);
        Assert.Equal(7, Assert.Single(o.Cpus).Maximum);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("""{"thread":{}}""")]
    [InlineData("""{"thread":{"0":{"cpu":1,"min":1}}}""")]
    [InlineData("[1,2]")]
    public void Json_without_figures_is_a_format_error(string json)
    {
        Assert.Throws<RtTestsFormatException>(() => RtTestsParser.ParseOslatJson(json));
        Assert.Throws<RtTestsFormatException>(() => RtTestsParser.ParseCyclictestJson(json));
    }

    [Fact]
    public void No_text_throws_anything_but_a_format_error()
    {
        Gen.String.Sample(s =>
        {
            foreach (var parse in new Action[]
            {
                () => RtTestsParser.ParseOslatText(s), () => RtTestsParser.ParseCyclictestText(s, new[] { 1 }),
                () => RtTestsParser.ParseOslatJson(s), () => RtTestsParser.ParseCyclictestJson(s),
                () => RtTestsParser.ParseOslatText("        Core:\t 1\n" + s), () => RtTestsParser.ParseCyclictestText("T: 0 " + s, Array.Empty<int>()),
            })
            {
                try { parse(); } catch (RtTestsFormatException) { }
            }
            JitterSession.ParseHwlat(s);
        }, iter: 3000);
    }

    [Fact]
    public void Percentiles_are_histogram_buckets_and_null_among_overflows()
    {
        // oslat: the last bucket (32) counts every loop at or above it.
        var oslat = new CpuJitter
        {
            Histogram = new SortedDictionary<int, long> { [1] = 9000, [5] = 990, [30] = 9, [32] = 1 },
            HistogramLimit = 32, Overflows = 1, HistogramIsInclusive = true, Maximum = 40,
        };
        Assert.Equal(5, JitterSession.Percentile(oslat, 0.99));
        Assert.Equal(5, JitterSession.Percentile(oslat, 0.999));
        Assert.Equal(30, JitterSession.Percentile(oslat, 0.9999));
        Assert.Null(JitterSession.Percentile(oslat, 1.0));
        // cyclictest: overflows lie outside the histogram but count in the total.
        var cyclic = new CpuJitter { Histogram = new SortedDictionary<int, long> { [10] = 99 }, HistogramLimit = 99, Overflows = 1 };
        Assert.Equal(10, JitterSession.Percentile(cyclic, 0.99));
        Assert.Null(JitterSession.Percentile(cyclic, 0.9999));
        Assert.Null(JitterSession.Percentile(new CpuJitter(), 0.99));
    }

    [Theory]
    [InlineData(19.999, 20, HostJitterVerdict.Passed)]
    [InlineData(20, 20, HostJitterVerdict.Exceeded)]
    [InlineData(54122, 20, HostJitterVerdict.Exceeded)]
    [InlineData(54122, 60000, HostJitterVerdict.Passed)]
    public void The_threshold_gate_passes_only_a_maximum_below_it(double max, double threshold, string verdict) =>
        Assert.Equal(verdict, HostJitterVerdict.Of(max, threshold));

    [Fact]
    public void Commands_are_argument_lists_with_the_cpus_duration_priority_and_json()
    {
        var oslat = JitterSession.BuildCommand(new JitterRequest { Tool = "oslat", Cpus = new[] { 2, 3, 4, 8 }, DurationSeconds = 30, Priority = 1 }, 0, "/tmp/x/oslat.json");
        Assert.Equal("oslat", oslat.Tool);
        Assert.True(oslat.Tethered);
        Assert.Equal(new[] { "--cpu-list=2-4,8", "--duration=30", "--rtprio=1", "--cpu-main-thread=0", "--quiet", "--json=/tmp/x/oslat.json" }, oslat.Arguments);
        var plain = JitterSession.BuildCommand(new JitterRequest { Tool = "oslat", Cpus = new[] { 1 }, DurationSeconds = 5, Priority = 0 }, null, null);
        Assert.Equal(new[] { "--cpu-list=1", "--duration=5", "--quiet" }, plain.Arguments);
        var cyclic = JitterSession.BuildCommand(new JitterRequest { Tool = "cyclictest", Cpus = new[] { 1, 3 }, DurationSeconds = 10, Priority = 95, ThresholdMicroseconds = 40 }, 0, null);
        Assert.Equal(new[] { "--duration=10", "--priority=95", "--threads=2", "--affinity=1,3", "--interval=1000", "--distance=0", "--histogram=200", "--mainaffinity=0", "--mlockall", "--quiet" }, cyclic.Arguments);
    }

    [Fact]
    public void Hwlatdetect_summary_is_read_by_label()
    {
        var (max, exc, rec) = JitterSession.ParseHwlat("hwlatdetect:  test duration 10 seconds\n   detector:  tracer\nMax Latency: 25us\nSamples recorded: 3\nSamples exceeding threshold: 3\nts: 1.5, inner:20, outer:25, cpu:3\n");
        Assert.Equal(25, max);
        Assert.Equal(3, exc);
        Assert.Equal(3, rec);
        var below = JitterSession.ParseHwlat("Max Latency: Below threshold\nSamples recorded: 0\nSamples exceeding threshold: 0\n");
        Assert.Equal(0, below.Max);
        Assert.Equal(0, below.Exceeding);
    }

    [Fact]
    public void A_run_keeps_its_json_shape_through_a_round_trip()
    {
        var run = new HostJitterRun
        {
            RunId = "abc", HostName = "h", Tool = "oslat", Cpus = "1-3", MaximumMicroseconds = 12, Verdict = HostJitterVerdict.Passed,
            StartTime = new DateTime(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc),
            Results = new[] { new HostJitterResult { Cpu = 1, MaximumMicroseconds = 12, P9999Microseconds = null, Histogram = "1:10,12:1" } },
        };
        string json = run.ToJson();
        Assert.Contains("\"SchemaVersion\": 1", json);
        Assert.Contains("\"P9999Microseconds\": null", json);
        var back = HostJitterRun.FromJson(json);
        Assert.Equal(run.ToJson(), back.ToJson());
        Assert.Equal(DateTimeKind.Utc, back.StartTime.Kind);
    }
}
