using CsCheck;
using OnloadTools.Host;
using OnloadTools.Tuning;

namespace OnloadTools.Tests.Tuning;

/// <summary>tuned's built-in ${f:…} functions and the order in which tuned expands variables and calls.</summary>
public class TunedFunctionsTests
{
    /// <summary>A host root whose /sys/devices/system/cpu/online and present say <paramref name="online"/>.</summary>
    private static HostFileSystem HostWithCpus(string online, string? present = null)
    {
        string root = Directory.CreateTempSubdirectory("onloadtools-cpus-").FullName;
        string dir = Path.Combine(root, "sys", "devices", "system", "cpu");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "online"), online + "\n");
        File.WriteAllText(Path.Combine(dir, "present"), (present ?? online) + "\n");
        return new HostFileSystem(root);
    }

    [Theory]
    [InlineData("${f:cpulist_unpack:1-3,5}", "1,2,3,5")]
    [InlineData("${f:cpulist_pack:1,2,3,5}", "1-3,5")]
    [InlineData("${f:cpulist_pack:0-5,^3}", "0-2,4-5")]                    // negation after expansion
    [InlineData("${f:cpulist_unpack:0x5}", "0,2")]                         // hex masks
    [InlineData("${f:cpulist_unpack:0x00000001,00000000,,4}", "4,32")]     // a mask's own commas end at ",,"
    [InlineData("${f:cpulist_unpack:'1-2'}", "1,2")]                       // quotes stripped
    [InlineData("${f:cpulist_unpack:1-x}", "")]                            // invalid: nothing
    [InlineData("${f:cpulist2hex:0-3}", "0000000f")]
    [InlineData("${f:cpulist2hex:0-3,32}", "00000001,0000000f")]
    [InlineData("${f:cpulist2hex:}", "00000000")]
    [InlineData("${f:hex2cpulist:0x0000000f}", "0,1,2,3")]
    [InlineData("${f:strip:  foo :bar  }", "foo bar")]
    [InlineData("${f:regex_search_ternary:2-7:^2:yes:no}", "yes")]
    [InlineData("${f:regex_search_ternary:${no_such}:\\s*[0-9]: isolcpus=1:}", "")]
    [InlineData("a${f:cpulist_pack:1,2}b${f:cpulist_pack:4}c", "a1-2b4c")]
    [InlineData("\\${f:cpulist_pack:1,2}", "${f:cpulist_pack:1,2}")]        // escaped: unescaped, not evaluated
    [InlineData("${f:exec:mktemp:-d}", "${f:exec:mktemp:-d}")]              // runs a program: left as written
    [InlineData("${f:strip:${f:exec:mktemp:-d}}", "${f:strip:${f:exec:mktemp:-d}}")]
    [InlineData("${f:regex_search_ternary:a:b}", "${f:regex_search_ternary:a:b}")] // wrong argument count
    [InlineData("${f:no-such}", "${f:no-such}")]
    [InlineData("${f:cpulist_pack:1,2", "${f:cpulist_pack:1,2")]            // unpaired brace
    public void Pure_functions_give_tunes_answers(string text, string expected)
    {
        Assert.Equal(expected, new TunedFunctions(HostWithCpus("0-3")).Expand(text));
    }

    [Fact]
    public void Functions_that_read_the_host_use_its_online_and_present_cpus()
    {
        var f = new TunedFunctions(HostWithCpus("0-7", "0-15"));
        Assert.Equal("4,5,6", new TunedFunctions(HostWithCpus("4-7")).Expand("${f:cpulist_online:0-6}"));
        Assert.Equal("1", new TunedFunctions(HostWithCpus("0-3")).Expand("${f:cpulist_invert:0,2,3}"));
        Assert.Equal("0,4-7", f.Expand("${f:cpulist_pack:${f:cpulist_invert:1-3}}"));     // innermost first
        Assert.Equal("000000f1", f.Expand("${f:cpulist2hex_invert:1-3}"));
        Assert.Equal("8,9", f.Expand("${f:cpulist_present:8-9,20}"));
    }

    [Fact]
    public void Assertions_expand_to_nothing_and_record_a_failure()
    {
        var f = new TunedFunctions(HostWithCpus("0-3"));
        Assert.Equal("${f:assertion:same:1:1}", f.Expand("${f:assertion:same:1:1}"));
        Assert.Empty(f.FailedAssertions);
        f.Expand("${f:assertion:cpus match:1:2}");
        f.Expand("${f:assertion_non_equal:isolated_cores are set:${isolated_cores}:${isolated_cores}}");
        Assert.Equal(new[] { "cpus match", "isolated_cores are set" }, f.FailedAssertions);
    }

    [Fact]
    public void Calc_isolated_cores_keeps_the_first_cpus_of_each_socket_for_housekeeping()
    {
        var fs = FakeHost.Fs(FakeHost.TwoSocket);            // node 0: 0-7,16-23; node 1: 8-15,24-31
        Assert.Equal("1-7,9-31", new TunedFunctions(fs).Expand("${f:calc_isolated_cores}"));
        Assert.Equal("2-7,10-31", new TunedFunctions(fs).Expand("${f:calc_isolated_cores:2}"));
        Assert.Equal("${f:calc_isolated_cores:x}", new TunedFunctions(fs).Expand("${f:calc_isolated_cores:x}"));
    }

    [Fact]
    public void Expansion_never_throws_on_arbitrary_text()
    {
        var f = new TunedFunctions(HostWithCpus("0-3"));
        Gen.String[Gen.Char["${}:\\f0-9,^!x_ab"], 0, 60].Sample(s => { f.Expand(s); });
        Gen.String.Sample(s => { f.Expand("${f:cpulist_pack:" + s + "}"); f.Expand("${f:regex_search_ternary:" + s + ":" + s + ":a:b}"); });
    }

    [Fact]
    public void A_profile_using_functions_resolves_like_tuned_variables_first_then_calls()
    {
        string root = FakeHost.Copy(FakeHost.TwoSocket);
        try
        {
            string dir = Path.Combine(root, "etc", "tuned", "fn-test");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "tuned.conf"), """
                [main]
                summary=exercises tuned's functions
                include=network-latency

                [variables]
                isolated_cores=${f:calc_isolated_cores:2}
                check=\\${isolated_cores}
                assert1=${f:assertion_non_equal:isolated_cores are set:${isolated_cores}:${check}}
                housekeeping=${f:cpulist_invert:${isolated_cores}}
                mask=${f:cpulist2hex:${housekeeping}}
                tmp=${f:strip:${f:exec:mktemp:-d}}

                [sysfs]
                /sys/devices/virtual/workqueue/cpumask=${mask}

                [bootloader]
                cmdline_fn=nohz_full=${isolated_cores} tuned.non_isolcpus=${mask} \${f:cpulist_pack:1,2}
                initrd_add_dir=${tmp}
                """);
            string unset = Path.Combine(root, "etc", "tuned", "fn-unset");
            Directory.CreateDirectory(unset);
            File.WriteAllText(Path.Combine(unset, "tuned.conf"), """
                [main]
                include=network-latency

                [variables]
                isolated_cores=${isolated_cores}
                check=\\${isolated_cores}
                assert1=${f:assertion_non_equal:isolated_cores are set:${isolated_cores}:${check}}
                """);

            var catalog = new TunedProfileCatalog(new HostFileSystem(root));
            var p = catalog.Resolve("fn-test")!;
            Assert.Empty(p.FailedAssertions);
            Assert.Equal("2-7,10-31", p.Variables["isolated_cores"]);
            Assert.Equal("0,1,8,9", p.Variables["housekeeping"]);
            Assert.Equal("00000303", p.Settings.Single(s => s.Plugin == "sysfs").Value);
            Assert.Equal("skew_tick=1 nohz_full=2-7,10-31 tuned.non_isolcpus=00000303 ${f:cpulist_pack:1,2}", p.BootCommandLine);
            Assert.Equal("${f:strip:${f:exec:mktemp:-d}}", p.Settings.Single(s => s.Name == "initrd_add_dir").Value);

            // isolated_cores defined nowhere (cpu-partitioning without its variables file): the assertion fails, as tuned's would.
            var bad = catalog.Resolve("fn-unset")!;
            Assert.Equal(new[] { "isolated_cores are set" }, bad.FailedAssertions);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Installed_cpu_partitioning_profile_resolves_against_this_hosts_cpus()
    {
        var fs = new HostFileSystem("/");
        var catalog = new TunedProfileCatalog(fs);
        Assert.True(catalog.PathOf("cpu-partitioning") is not null, "tuned's cpu-partitioning profile is not installed (apt-get install tuned)");
        var p = catalog.Resolve("cpu-partitioning")!;
        var online = CpuList.Parse(File.ReadAllText("/sys/devices/system/cpu/online"));
        string isolated = p.Variables["isolated_cores"];
        Assert.DoesNotContain("${", isolated);
        var isolatedCpus = CpuList.Parse(isolated);
        Assert.All(isolatedCpus, c => Assert.Contains(c, online));
        string cmdline = p.BootCommandLine;
        Assert.Contains($"nohz_full={isolated} ", cmdline);
        Assert.Contains($"rcu_nocbs={isolated} ", cmdline);
        Assert.Contains("tuned.non_isolcpus=" + TunedFunctions.ToHex(online.Except(isolatedCpus)) + " ", cmdline);
        Assert.DoesNotContain("${", cmdline);
    }
}
