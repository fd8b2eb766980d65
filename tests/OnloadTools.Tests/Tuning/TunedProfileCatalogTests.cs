using OnloadTools.Host;
using OnloadTools.Tuning;

namespace OnloadTools.Tests.Tuning;

public class TunedProfileCatalogTests
{
    [Fact]
    public void Custom_profile_in_etc_resolves_its_include_chain_and_variables()
    {
        var catalog = new TunedProfileCatalog(FakeHost.Fs(FakeHost.TwoSocket));
        var p = catalog.Resolve("onload-latency")!;
        Assert.Equal(new[] { "latency-performance", "network-latency", "onload-latency" }, p.Chain);
        var swappiness = p.Settings.Single(s => s.Name == "vm.swappiness");
        Assert.Equal(("5", "onload-latency"), (swappiness.Value, swappiness.DefinedIn));
        Assert.Equal("100", p.Settings.Single(s => s.Name == "net.core.busy_poll").Value);   // ${busy_poll} from the variables file
        var busyRead = p.Settings.Single(s => s.Name == "net.core.busy_read");
        Assert.Equal(("50", "network-latency"), (busyRead.Value, busyRead.DefinedIn));
        var governor = p.Plugin("cpu").Single(s => s.Name == "governor");
        Assert.Equal(("performance", "latency-performance"), (governor.Value, governor.DefinedIn));
        Assert.Equal("never", p.Plugin("vm").Single().Value);
        Assert.Equal("skew_tick=1 isolcpus=12-15,28-31 nosoftlockup mce=ignore_ce", p.BootCommandLine);
    }

    [Fact]
    public void Profiles_in_etc_override_and_unknown_ones_resolve_to_null()
    {
        var catalog = new TunedProfileCatalog(FakeHost.Fs(FakeHost.TwoSocket));
        var located = catalog.Locate();
        Assert.Equal("/etc/tuned/onload-latency", located["onload-latency"]);
        Assert.Equal("/usr/lib/tuned/network-latency", located["network-latency"]);
        Assert.Null(catalog.Resolve("no-such-profile"));
    }

    [Fact]
    public void Installed_profiles_of_this_host_resolve_like_tuned_does()
    {
        var catalog = new TunedProfileCatalog(new HostFileSystem("/"));
        if (!catalog.AnyInstalled) return; // tuned not installed on this machine
        var p = catalog.Resolve("network-latency")!;
        Assert.Contains("latency-performance", p.Chain);
        Assert.Contains(p.Settings, s => s.Plugin == "sysctl" && s.Name == "net.core.busy_read" && s.Value == "50");
        Assert.Contains("skew_tick=1", p.BootCommandLine);
        // throughput-performance's [vm.thunderx] section only applies on aarch64 ThunderX: not on this x86_64 host.
        var tp = catalog.Resolve("throughput-performance")!;
        if (System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64)
            Assert.DoesNotContain(tp.Settings, s => s.Section == "vm.thunderx");
    }

    [Fact]
    public void Probes_map_settings_to_proc_sys_and_sys()
    {
        var fs = FakeHost.Fs(FakeHost.TwoSocket);
        var p = new TunedProfileCatalog(fs).Resolve("network-latency")!;
        var probes = TunedSettingProbe.Probes(p, fs).ToList();
        var busy = probes.Single(x => x.Name == "net.core.busy_read");
        Assert.Equal("/proc/sys/net/core/busy_read", busy.Path);
        Assert.Equal("50", TunedSettingProbe.Read(busy, fs));
        Assert.Equal("never", TunedSettingProbe.Read(probes.Single(x => x.Name == "transparent_hugepages"), fs));
        Assert.Equal("performance", TunedSettingProbe.Read(probes.Single(x => x.Name == "governor"), fs));
        Assert.Null(TunedSettingProbe.Read(probes.Single(x => x.Name == "vm.dirty_ratio"), fs)); // not in the fake tree
        Assert.True(TunedSettingProbe.Satisfies("4096", ">2048"));
        Assert.False(TunedSettingProbe.Satisfies("1024", ">2048"));
        Assert.True(TunedSettingProbe.Satisfies("4096\t87380", "4096 87380"));
    }
}
