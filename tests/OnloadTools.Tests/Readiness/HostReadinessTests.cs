using OnloadTools.Host;
using OnloadTools.Onload;
using OnloadTools.Processes;
using OnloadTools.Readiness;
using OnloadTools.Tests.Infrastructure;
using OnloadTools.Tests.Tuning;

namespace OnloadTools.Tests.Readiness;

/// <summary>
/// Test-OnloadHost's checks of tuned, the kernel arguments, NIC locality, the profile's values, Onload's modules and
/// devices, netperf, the container engine and the image's Onload version (HostReadiness), on the ready two-socket fake
/// host (tests/fixtures/hosts/two-socket-sfc-node1) and copies of it with one thing broken, the tools answered by a
/// scripted runner. (The isolation, interrupt, idle-state and timer checks are in HostChecklistTests; the cmdlet on
/// this host, its view and real podman are Pester's: tests/Pester/Readiness.Tests.ps1.)
/// </summary>
public class HostReadinessTests
{
    private const string Ready = FakeHost.TwoSocket;
    private const string Image = "localhost/onload-netperf:8.1.2.26";

    private static string ImageJson(string? onloadVersion) =>
        "[{\"Id\":\"sha256:37e5619f4a8ca9dbc4d6c0ae7890625674a10dbcfb76201399e2aaddb40da17d\",\"RepoTags\":[\"" + Image + "\"],\"Config\":{\"Labels\":{"
        + (onloadVersion is null ? "\"vendor\":\"x\"" : $"\"{OnloadFacts.VersionLabel}\":\"{onloadVersion}\"") + "}}}]";

    /// <summary>The tools of a ready host: tuned running network-latency and verifying, netperf, podman, Onload 8.1.2.26.</summary>
    private sealed class Tools
    {
        public string? Active = "network-latency";
        public string Verify = TestPaths.ReadFixture("tuning", "recorded_2.20.0_verify_succeeded.txt");
        public bool DaemonDown;
        public string OnloadVersion = "8.1.2.26";
        public (int, string, string) EngineInfo = (0, "host:\n  arch: amd64\n", "");
        public (int, string, string) ImageInspect = (0, ImageJson("8.1.2.26"), "");
        public List<string> Installed = new() { "tuned-adm", "netperf", "netserver", "podman", "onload" };

        public ScriptedRunner Runner() => new(c => (c.Tool, c.Arguments.FirstOrDefault()) switch
        {
            ("tuned-adm", _) when DaemonDown => (1, "", TestPaths.ReadFixture("tuning", "tuned_adm_active_no_daemon.stderr.txt")),
            ("tuned-adm", "active") => (0, Active is null ? "No current active profile.\n" : $"Current active profile: {Active}\n", ""),
            ("tuned-adm", "verify") => (Verify.StartsWith("Verification failed", StringComparison.Ordinal) ? 1 : 0, Verify, ""),
            ("netperf", "-V") => (0, "\nNetperf version 2.7.0\n", ""),
            ("onload", "--version") => (0, $"Onload {OnloadVersion}\nCopyright 2006-2023 Advanced Micro Devices, Inc.\n", ""),
            ("podman" or "docker", "info") => EngineInfo,
            ("podman" or "docker", "version") => (0, "4.3.1\n", ""),
            ("podman" or "docker", "image") => ImageInspect,
            _ => (1, "", $"unexpected command: {c.CommandLine}"),
        }, Installed.ToArray());
    }

    private static IReadOnlyList<OnloadHostCheck> Run(string root, ScriptedRunner runner, HostReadinessRequest? request = null)
    {
        var audit = new HostReadiness(runner, new HostFileSystem(root), request ?? new HostReadinessRequest { InterfaceName = "p1p1" });
        return audit.Checks().SelectMany(c => c.Run(CancellationToken.None).GetAwaiter().GetResult()).ToArray();
    }

    private static OnloadHostCheck One(IEnumerable<OnloadHostCheck> checks, string name) => Assert.Single(checks, c => c.Name == name);

    private static void Write(string root, string path, string text)
    {
        string full = Path.Join(root, path.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    [Fact]
    public void The_ready_host_passes_every_check_of_tuned_the_kernel_the_profile_onload_and_the_tools()
    {
        var checks = Run(FakeHost.Root(Ready), new Tools().Runner());
        foreach (string name in new[] { "TunedProfileActive", "TunedProfileVerified", "KernelArgument:isolcpus", "KernelArgument:nosoftlockup", "KernelArgument:mce",
                     "IsolatedCpusNicLocal", "CpuGovernor", "TransparentHugePages", "OnloadKernelModules", "Device:/dev/onload", "Device:/dev/onload_epoll",
                     "SolarflareAdapter", "OnloadInstalled", "netperf", "netserver", "ContainerEngine" })
        {
            var c = One(checks, name);
            Assert.True(c.Status == HostCheckStatus.Pass, $"{name}: {c.Status} {c.Found}");
            Assert.Equal("", c.Remediation);
            Assert.Equal("rhel7-two-socket", c.HostName);
        }
        Assert.Equal("isolated 10-15,26-31 all on node 1", One(checks, "IsolatedCpusNicLocal").Found);
        Assert.Equal("sfc interfaces: p1p1, p1p2", One(checks, "SolarflareAdapter").Found);
        Assert.Equal("podman 4.3.1 (info OK)", One(checks, "ContainerEngine").Found);
        Assert.DoesNotContain(checks, c => c.Name is "OnloadVersion" or "HostJitter");   // only with -Image, -MeasureJitter
    }

    // ------------------------------------------------------------------ tuned

    [Fact]
    public void Without_tuned_or_its_daemon_the_profile_check_fails_saying_what_to_start()
    {
        var absent = new Tools();
        absent.Installed.Remove("tuned-adm");
        var notInstalled = One(Run(FakeHost.Root(Ready), absent.Runner()), "TunedProfileActive");
        Assert.Equal(HostCheckStatus.Fail, notInstalled.Status);
        Assert.Equal("tuned is not installed", notInstalled.Found);
        Assert.Equal("dnf install tuned; systemctl enable --now tuned; Invoke-TunedProfile -Name network-latency", notInstalled.Remediation);

        var down = One(Run(FakeHost.Root(Ready), new Tools { DaemonDown = true }.Runner()), "TunedProfileActive");
        Assert.Equal(HostCheckStatus.Fail, down.Status);
        Assert.StartsWith("the tuned daemon is not running: Cannot talk to Tuned daemon", down.Found);
        Assert.Equal("systemctl enable --now tuned; Invoke-TunedProfile -Name network-latency", down.Remediation);
    }

    [Theory]
    [InlineData("network-latency", HostCheckStatus.Pass, "network-latency")]
    [InlineData("onload-latency", HostCheckStatus.Pass, "onload-latency (includes network-latency)")]
    [InlineData("latency-performance", HostCheckStatus.Fail, "latency-performance")]
    [InlineData(null, HostCheckStatus.Fail, "no active profile (tuned is off)")]
    public void The_active_profile_passes_when_it_is_or_includes_the_one_asked_for(string? active, string status, string found)
    {
        var runner = new Tools { Active = active }.Runner();
        var checks = Run(FakeHost.Root(Ready), runner);
        var c = One(checks, "TunedProfileActive");
        Assert.Equal(status, c.Status);
        Assert.Equal(found, c.Found);
        Assert.Equal("network-latency", c.Expected);
        if (status == HostCheckStatus.Fail) Assert.Equal("Invoke-TunedProfile -Name network-latency", c.Remediation);
        // With no active profile there is nothing to verify.
        Assert.Equal(active is not null, runner.Commands.Any(x => x.Tool == "tuned-adm" && x.Arguments.SequenceEqual(new[] { "verify" })));
        Assert.Equal(active is not null, checks.Any(x => x.Name == "TunedProfileVerified"));
    }

    [Fact]
    public void A_profile_that_differs_only_in_kernel_arguments_asks_for_a_reboot_and_any_other_difference_for_the_profile_again()
    {
        string root = FakeHost.Copy(Ready);
        var tools = new Tools { Verify = TestPaths.ReadFixture("tuning", "recorded_2.20.0_verify_failed.txt") };
        // The last verification in tuned's log: every setting passed but skew_tick=1 on the command line.
        Write(root, "/var/log/tuned/tuned.log", TestPaths.ReadFixture("tuning", "recorded_2.20.0_tuned_log_two_verifications.txt"));
        var reboot = One(Run(root, tools.Runner()), "TunedProfileVerified");
        Assert.Equal(HostCheckStatus.Fail, reboot.Status);
        Assert.Contains("skew_tick", reboot.Found);
        Assert.StartsWith("Reboot so the kernel runs with the profile's arguments (skew_tick=1)", reboot.Remediation);

        Write(root, "/var/log/tuned/tuned.log",
            "2026-11-23 13:32:57,796 INFO     tuned.daemon.daemon: verifying profile(s): network-latency\n" +
            "2026-11-23 13:32:57,797 ERROR    tuned.plugins.base: verify: failed: 'net.core.busy_read' = '0', expected '50'\n");
        var sysctl = One(Run(root, tools.Runner()), "TunedProfileVerified");
        Assert.Equal(HostCheckStatus.Fail, sysctl.Status);
        Assert.Contains("net.core.busy_read", sysctl.Found);
        Assert.StartsWith("Invoke-TunedProfile -Name network-latency (re-applies the profile)", sysctl.Remediation);
        Assert.Contains("/var/log/tuned/tuned.log", sysctl.Remediation);
    }

    [Fact]
    public void A_profile_that_is_not_installed_fails_and_its_values_are_not_judged()
    {
        var checks = Run(FakeHost.Root(Ready), new Tools().Runner(), new HostReadinessRequest { Profile = "no-such-profile", InterfaceName = "p1p1" });
        var c = One(checks, "TunedProfileInstalled");
        Assert.Equal(HostCheckStatus.Fail, c.Status);
        Assert.Equal("profile 'no-such-profile' is not installed", c.Found);
        Assert.DoesNotContain(checks, x => x.Name is "CpuGovernor" or "TransparentHugePages");
        Assert.DoesNotContain(Run(FakeHost.Root(Ready), new Tools().Runner()), x => x.Name == "TunedProfileInstalled");
    }

    // ------------------------------------------------------------------ kernel arguments, NIC locality, profile values

    [Fact]
    public void A_broken_copy_of_the_host_fails_each_check_it_breaks_saying_what_to_do()
    {
        string root = FakeHost.Copy(Ready);
        Write(root, "/proc/cmdline", "ro quiet isolcpus=2-5 mce=ignore_ce\n");
        Write(root, "/sys/devices/system/cpu/isolated", "2-5\n");
        File.Delete(Path.Join(root, "dev/onload_epoll"));
        Write(root, "/sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
        var checks = Run(root, new Tools().Runner());

        var soft = One(checks, "KernelArgument:nosoftlockup");
        Assert.Equal(HostCheckStatus.Fail, soft.Status);
        Assert.Equal("absent from /proc/cmdline", soft.Found);
        Assert.Equal("Set-KernelBootArgument -Add 'nosoftlockup' (then reboot)", soft.Remediation);
        Assert.Equal(HostCheckStatus.Pass, One(checks, "KernelArgument:mce").Status);

        var local = One(checks, "IsolatedCpusNicLocal");
        Assert.Equal(HostCheckStatus.Fail, local.Status);
        Assert.Equal("isolated 2-5 are not local to p1p1 (node 1: 8-15,24-31)", local.Found);
        Assert.Equal("Set-KernelBootArgument -Remove 'isolcpus' -Add 'isolcpus=8-15,24-31' (then reboot)", local.Remediation);

        Assert.Equal(HostCheckStatus.Fail, One(checks, "Device:/dev/onload_epoll").Status);
        Assert.Equal("absent", One(checks, "Device:/dev/onload_epoll").Found);
        Assert.Equal(HostCheckStatus.Pass, One(checks, "Device:/dev/onload").Status);

        var thp = One(checks, "TransparentHugePages");
        Assert.Equal(HostCheckStatus.Fail, thp.Status);
        Assert.Equal("always", thp.Found);
        Assert.Equal("never", thp.Expected);
        Assert.Equal("Invoke-TunedProfile -Name network-latency", thp.Remediation);
    }

    [Fact]
    public void Without_isolcpus_the_remedy_isolates_the_NICs_local_CPUs_but_CPU_0()
    {
        string root = FakeHost.Copy(Ready);
        Write(root, "/proc/cmdline", "ro quiet nosoftlockup mce=ignore_ce\n");
        var c = One(Run(root, new Tools().Runner()), "KernelArgument:isolcpus");
        Assert.Equal(HostCheckStatus.Fail, c.Status);
        Assert.Equal("absent from /proc/cmdline", c.Found);
        Assert.Equal("Set-KernelBootArgument -Add 'isolcpus=8-15,24-31' (then reboot)", c.Remediation);

        // Without -InterfaceName the first sfc interface decides: the same node.
        var picked = One(Run(root, new Tools().Runner(), new HostReadinessRequest()), "KernelArgument:isolcpus");
        Assert.Equal("Set-KernelBootArgument -Add 'isolcpus=8-15,24-31' (then reboot)", picked.Remediation);
    }

    [Fact]
    public void Locality_cannot_be_judged_without_a_NUMA_node_or_an_adapter_and_an_unknown_interface_fails()
    {
        string root = FakeHost.Copy(Ready);
        Write(root, "/sys/devices/pci0000:80/0000:81:00.0/numa_node", "-1\n");
        var vm = One(Run(root, new Tools().Runner()), "IsolatedCpusNicLocal");
        Assert.Equal(HostCheckStatus.Warn, vm.Status);
        Assert.Contains("numa_node -1", vm.Reason);

        var unknown = One(Run(FakeHost.Root(Ready), new Tools().Runner(), new HostReadinessRequest { InterfaceName = "p9p9" }), "IsolatedCpusNicLocal");
        Assert.Equal(HostCheckStatus.Fail, unknown.Status);
        Assert.Contains("p9p9", unknown.Found);

        string empty = Directory.CreateTempSubdirectory("onloadtools-empty-host-").FullName;
        IReadOnlyList<OnloadHostCheck> none;
        try { none = Run(empty, new Tools().Runner(), new HostReadinessRequest()); }
        finally { Directory.Delete(empty, recursive: true); }
        Assert.Equal(HostCheckStatus.Warn, One(none, "IsolatedCpusNicLocal").Status);
        Assert.Equal("no network adapter with a PCI device", One(none, "IsolatedCpusNicLocal").Found);
        var sfc = One(none, "SolarflareAdapter");
        Assert.Equal(HostCheckStatus.Warn, sfc.Status);
        Assert.NotNull(sfc.Reason);
    }

    [Fact]
    public void The_governor_is_judged_where_cpufreq_exists_and_only_warned_about_where_it_does_not()
    {
        string root = FakeHost.Copy(Ready);
        foreach (string gov in Directory.EnumerateFiles(Path.Join(root, "sys/devices/system/cpu"), "scaling_governor", SearchOption.AllDirectories))
            File.WriteAllText(gov, "powersave\n");
        var slow = One(Run(root, new Tools().Runner()), "CpuGovernor");
        Assert.Equal(HostCheckStatus.Fail, slow.Status);
        Assert.Equal("powersave", slow.Found);
        Assert.Equal("performance", slow.Expected);

        foreach (string dir in Directory.EnumerateDirectories(Path.Join(root, "sys/devices/system/cpu"), "cpufreq", SearchOption.AllDirectories).ToArray())
            Directory.Delete(dir, recursive: true);
        var vm = One(Run(root, new Tools().Runner()), "CpuGovernor");
        Assert.Equal(HostCheckStatus.Warn, vm.Status);
        Assert.Contains("no CPU frequency scaling", vm.Reason);
    }

    // ------------------------------------------------------------------ Onload's modules, the tools, the engine

    [Fact]
    public void A_missing_onload_module_fails_naming_it()
    {
        string root = FakeHost.Copy(Ready);
        string modules = Path.Join(root, "proc/modules");
        File.WriteAllLines(modules, File.ReadAllLines(modules).Where(l => !l.StartsWith("sfc_char ", StringComparison.Ordinal)));
        var c = One(Run(root, new Tools().Runner()), "OnloadKernelModules");
        Assert.Equal(HostCheckStatus.Fail, c.Status);
        Assert.Contains("sfc_char", c.Found);
        Assert.DoesNotContain("sfc_resource", c.Found);
        Assert.Contains("onload_tool reload", c.Remediation);
    }

    [Fact]
    public void Netperf_and_netserver_are_checked_each_with_its_path_and_netperfs_version()
    {
        var tools = new Tools();
        var runner = tools.Runner();
        var netperf = One(Run(FakeHost.Root(Ready), runner), "netperf");
        Assert.StartsWith("/usr/bin/netperf", netperf.Found);
        Assert.Contains("2.7.0", netperf.Found);
        Assert.Contains(runner.Commands, c => c.Tool == "netperf" && c.Arguments.SequenceEqual(new[] { "-V" }));
        Assert.Equal("/usr/bin/netserver", One(Run(FakeHost.Root(Ready), runner), "netserver").Found);

        tools.Installed.Remove("netserver");
        var checks = Run(FakeHost.Root(Ready), tools.Runner());
        Assert.Equal(HostCheckStatus.Pass, One(checks, "netperf").Status);
        var missing = One(checks, "netserver");
        Assert.Equal(HostCheckStatus.Fail, missing.Status);
        Assert.Equal("not on PATH", missing.Found);
        Assert.Equal(ToolCatalog.InstallHint("netserver"), missing.Remediation);
    }

    [Fact]
    public void The_container_engine_check_says_what_to_install_or_start()
    {
        var none = new Tools();
        none.Installed.Remove("podman");
        var c = One(Run(FakeHost.Root(Ready), none.Runner()), "ContainerEngine");
        Assert.Equal(HostCheckStatus.Fail, c.Status);
        Assert.Equal("neither podman nor docker is installed", c.Found);
        Assert.Equal(ToolCatalog.InstallHint("podman"), c.Remediation);

        var asked = One(Run(FakeHost.Root(Ready), new Tools().Runner(), new HostReadinessRequest { InterfaceName = "p1p1", Engine = "Docker" }), "ContainerEngine");
        Assert.Equal(HostCheckStatus.Fail, asked.Status);
        Assert.Equal("docker is not installed", asked.Found);

        var stopped = new Tools { EngineInfo = (1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?") };
        stopped.Installed.Add("docker");
        var daemon = One(Run(FakeHost.Root(Ready), stopped.Runner(), new HostReadinessRequest { InterfaceName = "p1p1", Engine = "DOCKER" }), "ContainerEngine");
        Assert.Equal(HostCheckStatus.Fail, daemon.Status);
        Assert.Contains("Cannot connect to the Docker daemon", daemon.Found);
        Assert.Equal("docker info succeeds", daemon.Expected);
        Assert.Equal("systemctl enable --now docker", daemon.Remediation);
    }

    // ------------------------------------------------------------------ the image's Onload version (-Image)

    [Theory]
    [InlineData("8.1.2.26", HostCheckStatus.Pass, "host 8.1.2.26, image 8.1.2.26")]
    [InlineData("v8.1.2.26", HostCheckStatus.Pass, "host 8.1.2.26, image v8.1.2.26")]
    [InlineData("9.0.1.44", HostCheckStatus.Fail, "host 8.1.2.26, image 9.0.1.44")]
    [InlineData(null, HostCheckStatus.Fail, "host 8.1.2.26; " + Image + " has no org.openonload.version label")]
    public void The_images_Onload_must_be_the_hosts(string? label, string status, string found)
    {
        var tools = new Tools { ImageInspect = (0, ImageJson(label), "") };
        var runner = tools.Runner();
        var c = One(Run(FakeHost.Root(Ready), runner, new HostReadinessRequest { InterfaceName = "p1p1", Image = Image }), "OnloadVersion");
        Assert.Equal(status, c.Status);
        Assert.Equal(found, c.Found);
        Assert.Equal("Containers", c.Category);
        Assert.Contains(runner.Commands, x => x.Tool == "podman" && x.Arguments.SequenceEqual(new[] { "image", "inspect", Image }));
        if (label == "9.0.1.44") Assert.Equal($"Rebuild {Image} with Onload 8.1.2.26, or install Onload 9.0.1.44 on the host.", c.Remediation);
        if (label is null) Assert.Contains("New-OnloadImage", c.Remediation);
    }

    [Fact]
    public void An_image_the_engine_does_not_know_or_a_host_without_onload_fails_the_version_check_with_a_remedy()
    {
        var unknown = new Tools { ImageInspect = (125, "[]\n", "Error: " + Image + ": image not known") };
        var c = One(Run(FakeHost.Root(Ready), unknown.Runner(), new HostReadinessRequest { Image = Image }), "OnloadVersion");
        Assert.Equal(HostCheckStatus.Fail, c.Status);
        Assert.Contains("image not known", c.Found);
        Assert.Equal("Build the image first (New-OnloadImage) or name an existing one (podman images).", c.Remediation);

        var noOnload = new Tools();
        noOnload.Installed.Remove("onload");
        var runner = noOnload.Runner();
        var h = One(Run(FakeHost.Root(Ready), runner, new HostReadinessRequest { Image = Image }), "OnloadVersion");
        Assert.Equal(HostCheckStatus.Fail, h.Status);
        Assert.StartsWith("Onload is not installed on the host", h.Found);
        Assert.Equal(ToolCatalog.InstallHint(OnloadFacts.Tool), h.Remediation);
        Assert.DoesNotContain(runner.Commands, x => x.Arguments.FirstOrDefault() == "image");   // nothing to compare with
    }
}
