using CsCheck;
using OnloadTools.Host;
using OnloadTools.Tuning;

namespace OnloadTools.Tests.Tuning;

public class NicTopologyTests
{
    [Fact]
    public void Sfc_port_on_node_1_of_a_two_socket_host()
    {
        var a = new NicTopology(FakeHost.Fs(FakeHost.TwoSocket)).Describe("p1p1");
        Assert.Equal("sfc", a.Driver);
        Assert.Equal("0000:81:00.0", a.PciAddress);
        Assert.Equal(1, a.NumaNode);
        Assert.Equal("8-15,24-31", a.LocalCpuList);
        Assert.Equal(new[] { 10, 11, 12, 13, 14, 15, 26, 27, 28, 29, 30, 31 }, a.IsolatedLocalCpus);
        Assert.Contains("12,28", a.SmtSiblings);
        Assert.Equal(8, a.SmtSiblings.Length);
        Assert.Equal(10, a.RecommendedLocalCpu);
        Assert.Equal(11, a.RecommendedRemoteCpu);
        Assert.Equal("-T 10,11", a.NetperfCpuArgument);
        Assert.Empty(a.Notes);
    }

    [Fact]
    public void Port_on_node_0_gets_node_0_cpus_even_though_none_is_isolated_there()
    {
        var a = new NicTopology(FakeHost.Fs(FakeHost.TwoSocket)).Describe("em1");
        Assert.Equal(("igb", 0), (a.Driver, a.NumaNode));
        Assert.Equal("0-7,16-23", a.LocalCpuList);
        Assert.Empty(a.IsolatedLocalCpus);
        Assert.Equal((1, 2), (a.RecommendedLocalCpu!.Value, a.RecommendedRemoteCpu!.Value));
        Assert.Contains(a.Notes, n => n.Contains("Fewer than two isolated CPUs are local to em1"));
        Assert.Contains(a.Notes, n => n.Contains("not both isolated"));
    }

    [Fact]
    public void Without_isolated_cpus_the_pair_is_local_but_flagged()
    {
        string root = FakeHost.Copy(FakeHost.TwoSocket);
        try
        {
            File.WriteAllText(Path.Combine(root, "sys/devices/system/cpu/isolated"), "\n");
            File.WriteAllText(Path.Combine(root, "proc/cmdline"), "ro quiet\n");
            var a = new NicTopology(new HostFileSystem(root)).Describe("p1p2");
            Assert.Empty(a.IsolatedCpus);
            Assert.Equal((8, 9), (a.RecommendedLocalCpu!.Value, a.RecommendedRemoteCpu!.Value));
            Assert.Contains(a.Notes, n => n.Contains("not both isolated"));
            Assert.Contains(a.Notes, n => n.Contains("No CPU is isolated"));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void Virtual_interface_and_unknown_interface()
    {
        var topo = new NicTopology(FakeHost.Fs(FakeHost.TwoSocket));
        var lo = topo.Describe("lo");
        Assert.Null(lo.NumaNode);
        Assert.Equal("0-31", lo.LocalCpuList);
        Assert.Contains(lo.Notes, n => n.Contains("no PCI device"));
        var e = Assert.Throws<InterfaceNotFoundException>(() => topo.Describe("p9p9"));
        Assert.Contains("p1p1", e.Message);
    }

    [Fact]
    public void This_machines_interfaces_are_described_from_the_real_sys()
    {
        var topo = new NicTopology(new HostFileSystem("/"));
        int online = CpuList.Parse(File.ReadAllText("/sys/devices/system/cpu/online")).Length;
        foreach (string name in topo.InterfaceNames())
        {
            var a = topo.Describe(name);
            Assert.NotEmpty(a.LocalCpus);
            Assert.True(a.LocalCpus.Length <= online);
            if (a.RecommendedLocalCpu is int l)
            {
                Assert.NotEqual(0, l);
                Assert.NotEqual(l, a.RecommendedRemoteCpu);
                Assert.Contains(l, a.LocalCpus);
            }
            string numa = Path.Combine("/sys/class/net", name, "device", "numa_node");
            if (File.Exists(numa) && int.Parse(File.ReadAllText(numa).Trim()) >= 0) Assert.NotNull(a.NumaNode);
        }
    }

    [Fact]
    public void Chosen_pair_is_never_siblings_nor_the_same_cpu()
    {
        Gen.Int[1, 63].Array[0, 16].Select(Gen.Int[1, 4]).Sample((cpus, threads) =>
        {
            int[] Sib(int c) { int core = c / threads; return Enumerable.Range(core * threads, threads).ToArray(); }
            var pair = NicTopology.ChoosePair(cpus.Distinct().ToArray(), Sib);
            if (pair is null) return cpus.Distinct().Select(c => c / threads).Distinct().Count() < 2;
            return pair.Value.Local != pair.Value.Remote && !Sib(pair.Value.Local).Contains(pair.Value.Remote);
        }, iter: 1000);
    }
}
