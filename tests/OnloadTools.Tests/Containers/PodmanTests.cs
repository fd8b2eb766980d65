namespace OnloadTools.Tests.Containers;

/// <summary>
/// The Debian base image the real-podman tests build FROM, made without a registry: debootstrap (minbase, main +
/// non-free, with netperf) from the machine's own apt mirror, imported with `podman import`. Built once per test
/// run (about 35 s) for the podman and the docker tests (the "RealContainers" collection) and reused when
/// localhost/onloadtools-test-base already exists. Removed at the end when this run built it, unless
/// ONLOADTOOLS_TEST_KEEP_BASE=1 (handy between local runs).
/// </summary>
public sealed class PodmanBaseImage : IDisposable
{
    public const string Name = "localhost/onloadtools-test-base";
    private readonly string? _oldContainersConf = Environment.GetEnvironmentVariable("CONTAINERS_CONF");
    private readonly bool _builtHere;

    public PodmanBaseImage()
    {
        if (_oldContainersConf is not { Length: > 0 })
        {
            Environment.SetEnvironmentVariable("CONTAINERS_CONF", TestPaths.Fixture("containers", "containers.conf"));
        }
        if (TestProcess.Run("podman", "image", "exists", Name).ExitCode == 0) return;

        string dir = Directory.CreateTempSubdirectory("onloadtools-debootstrap-").FullName;
        try
        {
            var boot = TestProcess.Run("debootstrap", "--variant=minbase", "--components=main,non-free", "--include=netperf",
                "bookworm", Path.Combine(dir, "root"), Mirror());
            if (boot.ExitCode != 0) throw new InvalidOperationException("debootstrap failed: " + Tail(boot.Output));
            string tar = Path.Combine(dir, "base.tar");
            var pack = TestProcess.Run("tar", "-C", Path.Combine(dir, "root"), "-cf", tar, ".");
            if (pack.ExitCode != 0) throw new InvalidOperationException("tar failed: " + Tail(pack.Output));
            var import = TestProcess.Run("podman", "import", tar, Name);
            if (import.ExitCode != 0) throw new InvalidOperationException("podman import failed: " + Tail(import.Output));
            _builtHere = true;
        }
        finally
        {
            TestProcess.Run("rm", "-rf", "--one-file-system", dir);
        }
    }

    /// <summary>The URI of the machine's Debian sources (deb822 or one-line format).</summary>
    private static string Mirror()
    {
        foreach (string file in new[] { "/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list" })
        {
            if (!File.Exists(file)) continue;
            foreach (string line in File.ReadLines(file))
            {
                string l = line.Trim();
                if (l.StartsWith("URIs:", StringComparison.Ordinal)) return l[5..].Trim().Split(' ')[0];
                if (l.StartsWith("deb ", StringComparison.Ordinal)) return l.Split(' ', StringSplitOptions.RemoveEmptyEntries).First(w => w.Contains("://"));
            }
        }
        return "http://deb.debian.org/debian";
    }

    private static string Tail(string s) => s.Length > 2000 ? s[^2000..] : s;

    public void Dispose()
    {
        // Safety net: nothing this suite created survives it, even after a failed test.
        var ps = TestProcess.Run("podman", "ps", "--all", "--format", "{{.Names}}");
        foreach (string n in ps.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(n => n.StartsWith("onloadtools-test-", StringComparison.Ordinal)))
        {
            TestProcess.Run("podman", "rm", "--force", "--time", "0", n);
        }
        var images = TestProcess.Run("podman", "images", "--format", "{{.Repository}}:{{.Tag}}");
        foreach (string i in images.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(i => i.StartsWith("localhost/onloadtools-test-img", StringComparison.Ordinal)))
        {
            TestProcess.Run("podman", "rmi", "--force", i);
        }
        if (_builtHere && Environment.GetEnvironmentVariable("ONLOADTOOLS_TEST_KEEP_BASE") != "1")
        {
            TestProcess.Run("podman", "rmi", "--force", Name);
        }
        Environment.SetEnvironmentVariable("CONTAINERS_CONF", _oldContainersConf);
    }
}

/// <summary>
/// Real podman (runc, containers.conf limits, no registry): build an image with netperf and a test-double Onload
/// package, inspect it, run it with the Onload devices and host networking, measure against its netserver from
/// the host and from inside it, stop and remove it.
/// </summary>
[Collection("RealContainers")]
public class PodmanTests
{

    [Fact]
    public void Build_inspect_run_measure_and_remove_an_onload_container()
    {
        string suffix = Guid.NewGuid().ToString("N")[..8];
        string tag = "localhost/onloadtools-test-img:" + suffix;
        string name = "onloadtools-test-" + suffix;
        int port = TestProcess.FreePort();
        string work = Directory.CreateTempSubdirectory("onloadtools-podman-").FullName;
        using var env = new ContainerTestEnvironment(dockerDouble: false);
        using var engine = new PowerShellEngine();
        try
        {
            // ---- New-OnloadImage: generated Dockerfile, real build, package versions read inside the image.
            string deb = ContainerTestEnvironment.BuildOnloadDeb(work);
            string dockerfile = Path.Combine(work, "Dockerfile");
            var built = engine.Run("New-OnloadImage -Tag $tag -BaseImage $base -OnloadPackage $deb -DockerfilePath $df",
                ("tag", tag), ("base", PodmanBaseImage.Name), ("deb", deb), ("df", dockerfile));
            Assert.Null(built.Terminating);
            Assert.Empty(built.Errors);
            var image = Assert.IsType<OnloadImage>(Assert.Single(built.Output).BaseObject);
            Assert.Equal("podman", image.Engine);
            Assert.Equal(tag, image.Name);
            Assert.Equal("8.1.2.26", image.OnloadVersion);
            Assert.True(image.OnloadVersionMatchesHost);
            Assert.Contains("onload 8.1.2.26-1", image.Packages);
            Assert.Contains(image.Packages, p => p.StartsWith("netperf 2.7", StringComparison.Ordinal));
            Assert.Equal(File.ReadAllText(dockerfile), image.Dockerfile);
            Assert.Contains(built.Progress, p => p.StatusDescription.Contains("step ") && p.StatusDescription.Contains(" of "));
            Assert.True(image.Created > DateTime.UtcNow.AddMinutes(-10));

            // The RUN label is what `podman container runlabel RUN` runs.
            var label = TestProcess.Run("podman", "container", "runlabel", "--display", "--name", name, "RUN", tag);
            Assert.Equal(0, label.ExitCode);
            Assert.Contains($"podman run -d --name {name} --net=host --init --device=/dev/onload --device=/dev/onload_epoll --device=/dev/onload_cplane {tag}", label.Output);

            // ---- Get-OnloadImage: like atomic info, and the new image is among the Onload images.
            var info = engine.Run("Get-OnloadImage $tag", ("tag", tag));
            var got = Assert.IsType<OnloadImage>(Assert.Single(info.Output).BaseObject);
            Assert.Equal(image.Id, got.Id);
            Assert.Contains($"org.opencontainers.image.base.name={PodmanBaseImage.Name}", got.Labels);
            Assert.Equal("onload --profile=latency netserver -D", got.Command);
            Assert.StartsWith("podman run --rm --network=none --entrypoint dpkg-query", got.PackageQueryCommandLine);
            var all = engine.Run("Get-OnloadImage -NoPackageQuery");
            Assert.Contains(all.Output, o => ((OnloadImage)o.BaseObject).Id == image.Id);

            // ---- A host with another Onload is refused before podman runs.
            env.Set("ONLOADTOOLS_DOUBLE_ONLOAD_VERSION", "9.0.1.3");
            var refused = engine.Run("Start-OnloadContainer $tag $name", ("tag", tag), ("name", name));
            Assert.StartsWith("OnloadVersionMismatch,", refused.SingleError.FullyQualifiedErrorId);
            Assert.NotEqual(0, TestProcess.Run("podman", "container", "exists", name).ExitCode);
            env.Set("ONLOADTOOLS_DOUBLE_ONLOAD_VERSION", null);

            // ---- Start-OnloadContainer: devices, host network, init, read-only, netserver on lo's address.
            var started = engine.Run("$image | Start-OnloadContainer -Name $name -InterfaceName lo -Port $port -ReadOnly",
                ("image", image), ("name", name), ("port", port));
            Assert.Null(started.Terminating);
            Assert.Empty(started.Errors);
            var c = Assert.IsType<OnloadContainer>(Assert.Single(started.Output).BaseObject);
            Assert.Equal(name, c.Name);
            Assert.True(c.Running);
            Assert.Equal("host", c.NetworkMode);
            Assert.True(c.ReadOnly);
            Assert.False(c.Privileged);
            Assert.Equal(new[] { "/dev/onload", "/dev/onload_epoll", "/dev/onload_cplane" }, c.Devices);
            Assert.EndsWith($"netserver -D -p {port} -L 127.0.0.1", c.Command);
            Assert.StartsWith($"podman run --detach --name {name} --net=host --init --device=", c.CommandLine);

            Assert.True(TestProcess.TryWaitListening("127.0.0.1", port, TimeSpan.FromSeconds(15)),
                "the container's netserver never listened on 127.0.0.1:" + port);

            var rw = TestProcess.Run("podman", "exec", name, "touch", "/etc/onloadtools-write-test");
            Assert.NotEqual(0, rw.ExitCode);                                   // read-only root
            Assert.Equal(0, TestProcess.Run("podman", "exec", name, "touch", "/tmp/ok", "/run/ok").ExitCode);
            Assert.Equal(0, TestProcess.Run("podman", "exec", name, "test", "-c", "/dev/onload_epoll").ExitCode);

            // ---- Measure from the host against the containerized netserver.
            var fromHost = engine.Run("Measure-NetperfLatency -ComputerName 127.0.0.1 -Port $port -Duration 1 -Iterations 2", ("port", port));
            Assert.Null(fromHost.Terminating);
            Assert.Empty(fromHost.Errors);
            var hostRuns = fromHost.Output.Select(o => (LatencyRun)o.BaseObject).ToArray();
            Assert.Equal(new[] { "TCP_RR", "UDP_RR" }, hostRuns.Select(r => r.TestName));
            Assert.All(hostRuns, r => { Assert.Equal(2, r.IterationsCompleted); Assert.True(r.MeanLatency > 0); Assert.Equal("host", r.ClientLocation); });

            // ---- Measure inside the container (podman exec), under the image's onload.
            var inside = engine.Run("Get-OnloadContainer $name | ForEach-Object { Measure-NetperfLatency -Container $_ -Port $port -TestName TCP_RR -Duration 1 -Iterations 1 -Onload }",
                ("name", name), ("port", port));
            Assert.Null(inside.Terminating);
            Assert.Empty(inside.Errors);
            var run = Assert.IsType<LatencyRun>(Assert.Single(inside.Output).BaseObject);
            Assert.Equal("container:" + name, run.ClientLocation);
            Assert.Equal("container", run.Label);
            Assert.Equal("8.1.2.26", run.OnloadVersion);                     // `onload --version` ran in the container
            Assert.True(run.MeanLatency > 0);
            Assert.StartsWith($"podman exec {name} onload --profile=latency netperf -H 127.0.0.1 -p {port} -t TCP_RR -l 1", run.Samples[0].CommandLine);

            var running = engine.Run("Get-OnloadContainer -Running");
            Assert.Contains(running.Output, o => ((OnloadContainer)o.BaseObject).Name == name);

            // ---- Stop and remove through the pipeline.
            var stopStart = DateTime.UtcNow;
            var stopped = engine.Run("Get-OnloadContainer $name | Stop-OnloadContainer -Remove", ("name", name));
            Assert.Null(stopped.Terminating);
            Assert.Empty(stopped.Errors);
            Assert.True(DateTime.UtcNow - stopStart < TimeSpan.FromSeconds(8), "--init makes stop prompt");
            Assert.NotEqual(0, TestProcess.Run("podman", "container", "exists", name).ExitCode);
            Assert.False(TestProcess.IsListening("127.0.0.1", port));

            var gone = engine.Run("Get-OnloadContainer $name", ("name", name));
            Assert.StartsWith("ContainerNotFound,", gone.SingleError.FullyQualifiedErrorId);
        }
        finally
        {
            TestProcess.Run("podman", "rm", "--force", "--time", "0", name);
            TestProcess.Run("podman", "rmi", "--force", tag);
            Directory.Delete(work, recursive: true);
        }
        Assert.NotEqual(0, TestProcess.Run("podman", "image", "exists", tag).ExitCode);
    }

    /// <summary>
    /// The guide's layout: two containers on two partitioned functions of one port, both with netserver on the
    /// well-known port, each listening only on its own interface's address. The second "PF" is one end of a veth
    /// pair with a TEST-NET address, created for the test and deleted after it (this kernel has no dummy links).
    /// </summary>
    [Fact]
    public void Two_containers_share_one_netserver_port_on_two_interfaces()
    {
        string suffix = Guid.NewGuid().ToString("N")[..8];
        string tag = "localhost/onloadtools-test-img:two-" + suffix;
        string[] names = { "onloadtools-test-pf0-" + suffix, "onloadtools-test-pf1-" + suffix };
        string link = "otpf" + suffix[..6];
        const string address = "192.0.2.77";
        int port = TestProcess.FreePort();
        string work = Directory.CreateTempSubdirectory("onloadtools-podman-").FullName;
        using var env = new ContainerTestEnvironment(dockerDouble: false);
        Directory.CreateDirectory(Path.Combine(env.HostRoot, "sys", "class", "net", link));
        using var engine = new PowerShellEngine();
        try
        {
            Assert.Equal(0, TestProcess.Run("ip", "link", "add", link, "type", "veth", "peer", "name", link + "p").ExitCode);
            Assert.Equal(0, TestProcess.Run("ip", "addr", "add", address + "/32", "dev", link).ExitCode);
            Assert.Equal(0, TestProcess.Run("ip", "link", "set", link + "p", "up").ExitCode);
            Assert.Equal(0, TestProcess.Run("ip", "link", "set", link, "up").ExitCode);

            string deb = ContainerTestEnvironment.BuildOnloadDeb(work);
            var built = engine.Run("New-OnloadImage -Tag $tag -BaseImage $base -OnloadPackage $deb", ("tag", tag), ("base", PodmanBaseImage.Name), ("deb", deb));
            Assert.Empty(built.Errors);

            var started = engine.Run("Start-OnloadContainer $tag $n0 -InterfaceName lo -Port $port; Start-OnloadContainer $tag $n1 -InterfaceName $link -Port $port",
                ("tag", tag), ("n0", names[0]), ("n1", names[1]), ("link", link), ("port", port));
            Assert.Null(started.Terminating);
            Assert.Empty(started.Errors);
            var containers = started.Output.Select(o => (OnloadContainer)o.BaseObject).ToArray();
            Assert.Equal(2, containers.Length);
            Assert.EndsWith($"-p {port} -L 127.0.0.1", containers[0].Command);
            Assert.EndsWith($"-p {port} -L {address}", containers[1].Command);

            TestProcess.TryWaitListening("127.0.0.1", port, TimeSpan.FromSeconds(15));
            Thread.Sleep(500);
            Assert.All(containers, c => Assert.True(
                Assert.IsType<OnloadContainer>(Assert.Single(engine.Run("Get-OnloadContainer $n", ("n", c.Name)).Output).BaseObject).Running,
                c.Name + " exited: both netservers must bind the same port on different addresses"));

            var measured = engine.Run("'127.0.0.1', $address | Measure-NetperfLatency -Port $port -TestName TCP_RR -Duration 1 -Iterations 1",
                ("address", address), ("port", port));
            Assert.Empty(measured.Errors);
            Assert.Equal(new[] { "127.0.0.1", address }, measured.Output.Select(o => ((LatencyRun)o.BaseObject).ComputerName));

            var stopped = engine.Run("Get-OnloadContainer onloadtools-test-pf?-" + suffix + " | Stop-OnloadContainer -Remove -Timeout 1");
            Assert.Empty(stopped.Errors);
            Assert.All(names, n => Assert.NotEqual(0, TestProcess.Run("podman", "container", "exists", n).ExitCode));
        }
        finally
        {
            foreach (string n in names) TestProcess.Run("podman", "rm", "--force", "--time", "0", n);
            TestProcess.Run("podman", "rmi", "--force", tag);
            TestProcess.Run("ip", "link", "del", link); // deletes the peer too
            Directory.Delete(work, recursive: true);
        }
    }
}

/// <summary>
/// The real-engine tests (podman, docker) share one debootstrapped base image. The suite runs one test at a time
/// (AssemblyInfo), so this collection serializes nothing more than "Environment" does.
/// </summary>
[CollectionDefinition("RealContainers", DisableParallelization = true)]
public sealed class RealContainersCollection : ICollectionFixture<PodmanBaseImage> { }
