using OnloadTools.Host;
using OnloadTools.Processes;
using OnloadTools.Solarflare;

namespace OnloadTools.Tests.Solarflare;

public class SfcInterfaceReaderTests
{
    private static readonly string FakeRoot = TestPaths.Fixture("hosts", "sfc-dual-port");

    [Fact]
    public void Fake_dual_port_adapter_with_two_pfs_per_port()
    {
        var list = new SfcInterfaceReader(new HostFileSystem(FakeRoot)).Read();
        Assert.Equal(new[] { "p1p1", "p1p2", "p1p3", "p1p4" }, list.Select(i => i.Name));
        Assert.Equal(new int?[] { 0, 1, 0, 1 }, list.Select(i => i.PhysicalPort));
        Assert.All(list, i => Assert.Equal("sfc", i.Driver));

        var p1p1 = list[0];
        Assert.Equal(new[] { "p1p1", "p1p3" }, p1p1.PortFunctions);
        Assert.Equal(new[] { "p1p2", "p1p4" }, list[1].PortFunctions);
        Assert.Equal("0000:3b:00.0", p1p1.BusAddress);
        Assert.Equal("0000:3b:00", p1p1.AdapterAddress);
        Assert.Equal("00:0f:53:21:9b:b0", p1p1.MacAddress);
        Assert.True(p1p1.LinkUp);
        Assert.Equal(10000, p1p1.SpeedMbps);
        Assert.Equal(1500, p1p1.Mtu);
        Assert.Equal(0, p1p1.NumaNode);
        Assert.Equal("0-7,16-23", p1p1.LocalCpuList);
        Assert.Equal(16, p1p1.LocalCpus.Length);
        Assert.Equal(new[] { "10.10.1.11" }, p1p1.IPv4Addresses);
        Assert.Equal(new[] { "fe80::20f:53ff:fe21:9bb0", "fd00::11" }, p1p1.IPv6Addresses);
        Assert.Equal(new[] { "10.10.2.11" }, list[1].IPv4Addresses);

        var p1p3 = list[2];
        Assert.False(p1p3.LinkUp);
        Assert.Null(p1p3.SpeedMbps);   // -1 in sysfs when the link is down
        Assert.Empty(p1p3.IPv4Addresses);
    }

    [Fact]
    public void This_machines_real_sys_has_no_sfc_interface_and_that_is_not_an_error()
    {
        var fs = new HostFileSystem("/");
        Assert.NotEmpty(fs.List("/sys/class/net"));   // the real tree is there …
        Assert.Empty(new SfcInterfaceReader(fs).Read()); // … and none of it is sfc
    }

    [Fact]
    public void Ipv4_addresses_of_the_real_proc_are_attributed_to_their_interface()
    {
        // Cross-check the fib_trie/route reading with .NET's own view (getifaddrs) of this machine.
        var mine = InterfaceAddresses.Read(new HostFileSystem("/"));
        foreach (var nic in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.Name == "lo") continue;
            foreach (var ua in nic.GetIPProperties().UnicastAddresses.Where(a => a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork))
            {
                if (ua.PrefixLength == 32) continue; // a bare /32 has no subnet route: documented as not attributed
                Assert.Contains(ua.Address.ToString(), mine[nic.Name].V4);
            }
        }
    }
}
