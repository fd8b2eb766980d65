using System.Management.Automation;

namespace OnloadTools.Tests.Tuning;

/// <summary>Get-NicCpuAffinity, Measure-NetperfLatency -InterfaceName and Test-OnloadHost as admins pipe them.</summary>
[Collection("Environment")]
public sealed class HostEngineTests : IClassFixture<TunedDaemonFixture>
{
    private readonly TunedDaemonFixture _tuned;

    public HostEngineTests(TunedDaemonFixture tuned) { _tuned = tuned; }

    private static string S(PSObject o, string name) => o.Properties[name].Value?.ToString() ?? "";

    [Fact]
    public void NicCpuAffinity_on_the_two_socket_fake_host()
    {
        using var env = new DoublesOnPath();
        env.Set("ONLOADTOOLS_HOST_ROOT", FakeHost.Root(FakeHost.TwoSocket));
        using var engine = new PowerShellEngine();
        Assert.Equal("-T 10,11", engine.Run("Get-NicCpuAffinity p1p1 | ForEach-Object NetperfCpuArgument").Output.Single().ToString());
        var node1 = engine.Run("Get-NicCpuAffinity | Where-Object NumaNode -eq 1 | ForEach-Object InterfaceName");
        Assert.Equal(new[] { "p1p1", "p1p2" }, node1.Output.Select(o => o.ToString()));
        var missing = engine.Run("Get-NicCpuAffinity p9p9, p1p1");
        Assert.Single(missing.Output);
        Assert.Equal("InterfaceNotFound", missing.SingleError.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ObjectNotFound, missing.SingleError.CategoryInfo.Category);
    }

    [Fact]
    public void Tab_completion_offers_installed_profiles_and_interfaces()
    {
        using var env = new DoublesOnPath();
        env.Set("ONLOADTOOLS_HOST_ROOT", FakeHost.Root(FakeHost.TwoSocket));
        using var engine = new PowerShellEngine();
        string Complete(string line) => string.Join(",", engine.Run($"(TabExpansion2 '{line}' {line.Length}).CompletionMatches | ForEach-Object CompletionText").Output);
        Assert.Equal("onload-latency", Complete("Invoke-TunedProfile -Name onl"));
        Assert.Equal("network-latency", Complete("Test-OnloadHost -Profile netw"));
        Assert.Equal("p1p1,p1p2", Complete("Get-NicCpuAffinity p1"));
        Assert.Equal("em1", Complete("Measure-NetperfLatency -InterfaceName e"));
    }

    [Fact]
    public void Measure_NetperfLatency_binds_to_the_NIC_local_pair()
    {
        if (!File.Exists("/usr/bin/netperf")) return;
        using var env = new DoublesOnPath();
        env.Set("ONLOADTOOLS_HOST_ROOT", FakeHost.Root(FakeHost.TwoSocket));
        using var engine = new PowerShellEngine();
        var r = engine.Run("Measure-NetperfLatency -InterfaceName p1p1 -TestName TCP_RR -Duration 1 -Iterations 1 -Verbose");
        var run = Assert.Single(r.Output);
        Assert.Equal(10, run.Properties["LocalCpu"].Value);
        Assert.Equal(11, run.Properties["RemoteCpu"].Value);
        Assert.Contains(r.Verbose, v => v.Message.Contains("-T 10,11"));

        var given = engine.Run("Measure-NetperfLatency -InterfaceName p1p1 -LocalCpu 1 -TestName TCP_RR -Duration 1 -Iterations 1");
        Assert.Equal(1, Assert.Single(given.Output).Properties["LocalCpu"].Value);
        Assert.Null(given.Output[0].Properties["RemoteCpu"].Value);
    }

    [Fact]
    public void Measure_NetperfLatency_on_this_hosts_interface_follows_the_recommendation()
    {
        if (!File.Exists("/usr/bin/netperf")) return;
        string nic = new OnloadTools.Tuning.NicTopology(new OnloadTools.Host.HostFileSystem("/")).InterfaceNames().First(n => n != "lo");
        var expected = new OnloadTools.Tuning.NicTopology(new OnloadTools.Host.HostFileSystem("/")).Describe(nic);
        using var engine = new PowerShellEngine();
        var r = engine.Run($"Measure-NetperfLatency -InterfaceName {nic} -TestName TCP_RR -Duration 1 -Iterations 1");
        var run = Assert.Single(r.Output);
        Assert.Equal(expected.RecommendedLocalCpu, (int?)run.Properties["LocalCpu"].Value);
        if (expected.RecommendedLocalCpu is null) Assert.Contains(r.Warnings, w => w.Message.Contains("netperf runs unbound"));
        Assert.Equal("InterfaceNotFound", engine.Run("Measure-NetperfLatency -InterfaceName nope0 -Duration 1 -Iterations 1").SingleError.FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void Test_OnloadHost_on_this_machine_and_the_failures_filter()
    {
        Assert.True(_tuned.Available, _tuned.WhyUnavailable);
        using var engine = new PowerShellEngine();
        var r = engine.Run("$script:all = Test-OnloadHost; $script:all");
        Assert.Empty(r.Errors);
        var all = r.Output.ToList();
        Assert.All(all, c => Assert.Contains(S(c, "Status"), new[] { "Pass", "Warn", "Fail" }));
        Assert.All(all.Where(c => S(c, "Status") == "Fail"), c => Assert.NotEqual("", S(c, "Remediation")));
        Assert.All(all.Where(c => S(c, "Status") == "Warn"), c => Assert.NotEqual("", S(c, "Reason")));

        var failed = engine.Run("Test-OnloadHost | Where-Object Status -eq 'Fail' | ForEach-Object Name");
        Assert.Equal(all.Where(c => S(c, "Status") == "Fail").Select(c => S(c, "Name")), failed.Output.Select(o => o.ToString()));
        var quiet = engine.Run("Test-OnloadHost -Quiet").Output.Single().BaseObject;
        Assert.Equal(!all.Any(c => S(c, "Status") == "Fail"), quiet);

        PSObject Check(string name) => all.Single(c => S(c, "Name") == name);
        // Each status follows from the machine, read here independently.
        Assert.Equal(File.Exists("/dev/onload") ? "Pass" : "Fail", S(Check("Device:/dev/onload"), "Status"));
        Assert.Equal(File.Exists("/dev/onload_epoll") ? "Pass" : "Fail", S(Check("Device:/dev/onload_epoll"), "Status"));
        bool modules = File.Exists("/proc/modules") && File.ReadAllLines("/proc/modules").Any(l => l.StartsWith("onload "));
        if (!modules) Assert.Equal("Fail", S(Check("OnloadKernelModules"), "Status"));
        Assert.Equal(File.Exists("/usr/bin/netperf") ? "Pass" : "Fail", S(Check("netperf"), "Status"));
        bool sfc = Directory.EnumerateFileSystemEntries("/sys/class/net").Any(n =>
            Directory.Exists(Path.Combine(n, "device", "driver")) && new DirectoryInfo(Path.Combine(n, "device", "driver")).ResolveLinkTarget(true)?.Name == "sfc");
        Assert.Equal(sfc ? "Pass" : "Warn", S(Check("SolarflareAdapter"), "Status"));
        bool cpufreq = File.Exists("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
        if (!cpufreq) Assert.Equal("Warn", S(Check("CpuGovernor"), "Status"));
        string? active = TunedDaemonFixture.ActiveProfile();
        Assert.Equal(active == "network-latency" ? "Pass" : "Fail", S(Check("TunedProfileActive"), "Status"));
        bool nosoftlockup = File.ReadAllText("/proc/cmdline").Split(' ', '\n').Contains("nosoftlockup");
        Assert.Equal(nosoftlockup ? "Pass" : "Fail", S(Check("KernelArgument:nosoftlockup"), "Status"));
        string thp = File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled");
        Assert.Equal(thp.Contains("[never]") ? "Pass" : "Fail", S(Check("TransparentHugePages"), "Status"));
    }

    [Fact]
    public void Test_OnloadHost_passes_the_host_checks_of_a_ready_fake_host_and_fails_a_broken_copy()
    {
        using var env = new DoublesOnPath();
        env.Set("ONLOADTOOLS_HOST_ROOT", FakeHost.Root(FakeHost.TwoSocket));
        using (var engine = new PowerShellEngine())
        {
            var r = engine.Run("Test-OnloadHost -InterfaceName p1p1 | Where-Object { $_.Category -in 'Kernel','Cpu','Memory','Onload' }");
            Assert.NotEmpty(r.Output);
            Assert.All(r.Output, c => Assert.True(S(c, "Status") == "Pass", $"{S(c, "Name")}: {S(c, "Found")}"));
            Assert.Equal("rhel7-two-socket", S(r.Output[0], "HostName"));
        }

        string root = FakeHost.Copy(FakeHost.TwoSocket);
        try
        {
            env.Set("ONLOADTOOLS_HOST_ROOT", root);
            File.WriteAllText(Path.Combine(root, "proc/cmdline"), "ro quiet isolcpus=2-5 mce=ignore_ce\n");
            File.WriteAllText(Path.Combine(root, "sys/devices/system/cpu/isolated"), "2-5\n");
            File.Delete(Path.Combine(root, "dev/onload_epoll"));
            File.WriteAllText(Path.Combine(root, "sys/kernel/mm/transparent_hugepage/enabled"), "[always] madvise never\n");
            using var engine = new PowerShellEngine();
            var failed = engine.Run("Test-OnloadHost -InterfaceName p1p1 | Where-Object Status -eq 'Fail'").Output.ToDictionary(c => S(c, "Name"));
            Assert.Contains("KernelArgument:nosoftlockup", failed.Keys);
            Assert.Contains("isolcpus=8-15,24-31", S(failed["IsolatedCpusNicLocal"], "Remediation"));
            Assert.Contains("2-5", S(failed["IsolatedCpusNicLocal"], "Found"));
            Assert.Contains("Device:/dev/onload_epoll", failed.Keys);
            Assert.Equal("always", S(failed["TransparentHugePages"], "Found"));
            Assert.DoesNotContain("Device:/dev/onload", failed.Keys);
            Assert.DoesNotContain("KernelArgument:mce", failed.Keys);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void Test_OnloadHost_compares_the_hosts_Onload_with_the_image_label()
    {
        if (!File.Exists("/usr/bin/podman")) return;
        string bin = Directory.CreateTempSubdirectory("onloadtools-onload-").FullName;
        string image = "localhost/onloadtools-tuning-test:" + Guid.NewGuid().ToString("N")[..8];
        string empty = Directory.CreateTempSubdirectory("onloadtools-img-").FullName;
        try
        {
            // A host 'onload' that only answers --version, as the real one prints it.
            string onload = Path.Combine(bin, "onload");
            File.WriteAllText(onload, "#!/bin/sh\necho \"Onload ${ONLOADTOOLS_TEST_ONLOAD_VERSION:-8.1.2.26}\"\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(onload, (UnixFileMode)0b111_101_101);
            string tar = Path.Combine(empty, "..", Path.GetFileName(empty) + ".tar");
            Assert.Equal(0, TunedDaemonFixture.Run("tar", "-C", empty, "-cf", tar, ".").Code);
            var import = TunedDaemonFixture.Run("podman", "import", "--change", "LABEL org.openonload.version=8.1.2.26", tar, image);
            Assert.True(import.Code == 0, import.Stderr);
            File.Delete(tar);

            using var env = new DoublesOnPath(null, bin);
            using var engine = new PowerShellEngine();
            var same = engine.Run($"Test-OnloadHost -Image {image} | Where-Object Name -eq 'OnloadVersion'").Output.Single();
            Assert.Equal("Pass", S(same, "Status"));
            Assert.Equal("host 8.1.2.26, image 8.1.2.26", S(same, "Found"));

            env.Set("ONLOADTOOLS_TEST_ONLOAD_VERSION", "9.0.1.44");
            var differs = engine.Run($"Test-OnloadHost -Image {image} | Where-Object Name -eq 'OnloadVersion'").Output.Single();
            Assert.Equal("Fail", S(differs, "Status"));
            Assert.Contains("9.0.1.44", S(differs, "Remediation"));

            var missing = engine.Run("Test-OnloadHost -Image localhost/onloadtools-no-such-image:1 | Where-Object Name -eq 'OnloadVersion'").Output.Single();
            Assert.Equal("Fail", S(missing, "Status"));
            Assert.Contains("image not known", S(missing, "Found"));
        }
        finally
        {
            TunedDaemonFixture.Run("podman", "rmi", "-f", image);
            Directory.Delete(bin, true);
            Directory.Delete(empty, true);
        }
    }
}
