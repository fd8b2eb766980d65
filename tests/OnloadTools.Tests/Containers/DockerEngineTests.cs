using System.Diagnostics;

namespace OnloadTools.Tests.Containers;

/// <summary>
/// A private Docker engine for the suite: Debian's dockerd on its own socket, data root and exec root, with no
/// iptables and no bridge (this VM offers neither; the module's containers use the host network anyway). The
/// clients the module runs reach it through DOCKER_HOST. The test base image comes from podman (the same
/// debootstrap image the podman tests use) through `podman save` and `docker load`, so no registry is needed.
/// Stopped and its data root removed when the class is done: no image, container or mount is left behind.
/// </summary>
public sealed class DockerDaemon : IDisposable
{
    public const string Socket = "/run/onloadtools-test-docker.sock";
    private const string DataRoot = "/var/lib/onloadtools-test-docker";
    private const string ExecRoot = "/run/onloadtools-test-docker";
    private const string PidFile = "/run/onloadtools-test-docker.pid";
    private readonly Process? _daemon;
    private readonly string? _oldDockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");
    private readonly string _log = Path.Combine(Path.GetTempPath(), "onloadtools-test-dockerd.log");
    private bool _baseLoaded;

    public DockerDaemon()
    {
        if (!OnPath("dockerd") || !OnPath("docker"))
        {
            SetupError = "dockerd or the docker CLI is not installed (Debian: apt-get install docker.io); .ci/run installs it";
            return;
        }
        // A daemon of an earlier, killed run may still hold the pid file.
        if (File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), out int stale))
        {
            try { using var p = Process.GetProcessById(stale); p.Kill(entireProcessTree: true); p.WaitForExit(10_000); }
            catch (ArgumentException) { }
            catch (InvalidOperationException) { }
        }
        File.Delete(PidFile);
        File.Delete(Socket);

        var psi = new ProcessStartInfo("dockerd")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in new[]
        {
            "--iptables=false", "--ip6tables=false", "--bridge=none",
            "--host=unix://" + Socket, "--data-root=" + DataRoot, "--exec-root=" + ExecRoot, "--pidfile=" + PidFile,
        })
        {
            psi.ArgumentList.Add(a);
        }
        _daemon = Process.Start(psi)!;
        var log = File.CreateText(_log);
        log.AutoFlush = true;
        _daemon.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _daemon.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _daemon.BeginOutputReadLine();
        _daemon.BeginErrorReadLine();

        Environment.SetEnvironmentVariable("DOCKER_HOST", "unix://" + Socket);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_daemon.HasExited) break;
            if (TestProcess.Run("docker", "info", "--format", "{{.ServerVersion}}").ExitCode == 0) return;
            Thread.Sleep(250);
        }
        SetupError = "dockerd did not come up on " + Socket + ": " + Tail(SafeRead(_log));
    }

    public string? SetupError { get; }

    /// <summary>The podman base image, copied into this daemon once.</summary>
    public void EnsureBaseImage()
    {
        if (_baseLoaded) return;
        string dir = Directory.CreateTempSubdirectory("onloadtools-docker-base-").FullName;
        try
        {
            string tar = Path.Combine(dir, "base.tar");
            var save = TestProcess.Run("podman", "save", "--format", "docker-archive", "--output", tar, PodmanBaseImage.Name);
            if (save.ExitCode != 0) throw new InvalidOperationException("podman save failed: " + Tail(save.Output));
            var load = TestProcess.Run("docker", "load", "--input", tar);
            if (load.ExitCode != 0) throw new InvalidOperationException("docker load failed: " + Tail(load.Output));
            _baseLoaded = true;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(Path.Combine(d, tool)));

    private static string SafeRead(string path)
    {
        try { using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite); return new StreamReader(s).ReadToEnd(); }
        catch (IOException) { return ""; }
    }

    private static string Tail(string s) => s.Length > 2000 ? s[^2000..] : s;

    public void Dispose()
    {
        if (_daemon is not null)
        {
            // Anything a failed test left, then the daemon (SIGTERM: it unmounts its layers), then its data.
            var ps = TestProcess.Run("docker", "ps", "--all", "--quiet");
            foreach (string id in ps.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                TestProcess.Run("docker", "rm", "--force", id.Trim());
            }
            TestProcess.Run("kill", "-TERM", _daemon.Id.ToString());
            if (!_daemon.WaitForExit(20_000)) _daemon.Kill(entireProcessTree: true);
            _daemon.WaitForExit();
            _daemon.Dispose();
            // dockerd leaves its default network namespace bind-mounted in the exec root.
            foreach (string mount in File.ReadAllLines("/proc/mounts").Select(l => l.Split(' ')[1])
                         .Where(m => m.StartsWith(ExecRoot + "/", StringComparison.Ordinal) || m.StartsWith(DataRoot + "/", StringComparison.Ordinal))
                         .OrderByDescending(m => m.Length))
            {
                TestProcess.Run("umount", mount);
            }
            TestProcess.Run("rm", "-rf", "--one-file-system", DataRoot, ExecRoot);
            if (SetupError is null) File.Delete(_log);                 // kept only when the daemon did not come up
        }
        Environment.SetEnvironmentVariable("DOCKER_HOST", _oldDockerHost);
        Assert.False(Directory.Exists(ExecRoot) || Directory.Exists(DataRoot), "the private dockerd left its directories behind");
    }
}

/// <summary>
/// The podman scenario on a real Docker engine, through the docker CLI: build an image with netperf and a
/// test-double Onload package, inspect it, run it with the Onload devices and host networking, measure against
/// its netserver from the host and from inside it, stop and remove it.
/// </summary>
[Collection("RealContainers")]
public class DockerEngineTests : IClassFixture<DockerDaemon>
{
    private readonly DockerDaemon _daemon;

    public DockerEngineTests(DockerDaemon daemon)
    {
        _daemon = daemon;
    }


    [Fact]
    public void Build_inspect_run_measure_and_remove_an_onload_container_with_a_real_dockerd()
    {
        Assert.True(_daemon.SetupError is null, _daemon.SetupError);
        _daemon.EnsureBaseImage();
        string suffix = Guid.NewGuid().ToString("N")[..8];
        string tag = "localhost/onloadtools-test-img:docker-" + suffix;
        string name = "onloadtools-test-docker-" + suffix;
        int port = TestProcess.FreePort();
        string work = Directory.CreateTempSubdirectory("onloadtools-docker-").FullName;
        using var env = new ContainerTestEnvironment(dockerDouble: false);
        using var engine = new PowerShellEngine();
        try
        {
            // ---- New-OnloadImage with docker build (the daemon's legacy builder prints "Step n/m").
            string deb = ContainerTestEnvironment.BuildOnloadDeb(work);
            var built = engine.Run("New-OnloadImage -Engine docker -Tag $tag -BaseImage $base -OnloadPackage $deb",
                ("tag", tag), ("base", PodmanBaseImage.Name), ("deb", deb));
            Assert.Null(built.Terminating);
            Assert.Empty(built.Errors);
            var image = Assert.IsType<OnloadImage>(Assert.Single(built.Output).BaseObject);
            Assert.Equal("docker", image.Engine);
            Assert.Equal("8.1.2.26", image.OnloadVersion);
            Assert.True(image.OnloadVersionMatchesHost);
            Assert.Contains("onload 8.1.2.26-1", image.Packages);
            Assert.Contains(image.Packages, p => p.StartsWith("netperf 2.7", StringComparison.Ordinal));
            Assert.Contains(built.Progress, p => p.StatusDescription.Contains("step ") && p.StatusDescription.Contains(" of "));
            Assert.Equal(0, TestProcess.Run("docker", "image", "inspect", tag).ExitCode);

            // ---- Get-OnloadImage reads docker's inspect JSON and queries the packages inside.
            var info = engine.Run("Get-OnloadImage $tag -Engine docker", ("tag", tag));
            Assert.Empty(info.Errors);
            var got = Assert.IsType<OnloadImage>(Assert.Single(info.Output).BaseObject);
            Assert.Equal(image.Id, got.Id);
            Assert.Equal("onload --profile=latency netserver -D", got.Command);
            Assert.Contains("org.openonload.version=8.1.2.26", got.Labels);
            Assert.Contains("onload 8.1.2.26-1", got.Packages);

            // ---- Start-OnloadContainer: devices, host network, init, read-only, netserver on lo's address.
            var started = engine.Run("$image | Start-OnloadContainer -Name $name -InterfaceName lo -Port $port -ReadOnly",
                ("image", image), ("name", name), ("port", port));
            Assert.Null(started.Terminating);
            Assert.Empty(started.Errors);
            var c = Assert.IsType<OnloadContainer>(Assert.Single(started.Output).BaseObject);
            Assert.Equal("docker", c.Engine);
            Assert.Equal(name, c.Name);
            Assert.True(c.Running);
            Assert.Equal("host", c.NetworkMode);
            Assert.True(c.ReadOnly);
            Assert.Equal(new[] { "/dev/onload", "/dev/onload_epoll", "/dev/onload_cplane" }, c.Devices);
            Assert.StartsWith($"docker run --detach --name {name} --net=host --init --device=", c.CommandLine);

            Assert.True(TestProcess.TryWaitListening("127.0.0.1", port, TimeSpan.FromSeconds(15)),
                "the container's netserver never listened on 127.0.0.1:" + port);
            Assert.NotEqual(0, TestProcess.Run("docker", "exec", name, "touch", "/etc/onloadtools-write-test").ExitCode);
            Assert.Equal(0, TestProcess.Run("docker", "exec", name, "test", "-c", "/dev/onload").ExitCode);

            // ---- Measure from the host, then inside the container (docker exec) under the image's onload.
            var fromHost = engine.Run("Measure-NetperfLatency -ComputerName 127.0.0.1 -Port $port -TestName TCP_RR -Duration 1 -Iterations 2", ("port", port));
            Assert.Empty(fromHost.Errors);
            var hostRun = Assert.IsType<LatencyRun>(Assert.Single(fromHost.Output).BaseObject);
            Assert.Equal(2, hostRun.IterationsCompleted);
            Assert.True(hostRun.MeanLatency > 0);

            var inside = engine.Run("Get-OnloadContainer $name -Engine docker | ForEach-Object { Measure-NetperfLatency -Container $_ -Port $port -TestName UDP_RR -Duration 1 -Iterations 1 -Onload }",
                ("name", name), ("port", port));
            Assert.Null(inside.Terminating);
            Assert.Empty(inside.Errors);
            var run = Assert.IsType<LatencyRun>(Assert.Single(inside.Output).BaseObject);
            Assert.Equal("container:" + name, run.ClientLocation);
            Assert.Equal("8.1.2.26", run.OnloadVersion);
            Assert.True(run.MeanLatency > 0);
            Assert.StartsWith($"docker exec {name} onload --profile=latency netperf -H 127.0.0.1 -p {port} -t UDP_RR -l 1", run.Samples[0].CommandLine);

            var running = engine.Run("Get-OnloadContainer -Engine docker -Running");
            Assert.Contains(running.Output, o => ((OnloadContainer)o.BaseObject).Name == name);

            // ---- Stop and remove through the pipeline; the engine comes from the piped object.
            var stopped = engine.Run("Get-OnloadContainer $name -Engine docker | Stop-OnloadContainer -Remove -Timeout 2", ("name", name));
            Assert.Null(stopped.Terminating);
            Assert.Empty(stopped.Errors);
            Assert.NotEqual(0, TestProcess.Run("docker", "container", "inspect", name).ExitCode);
            Assert.False(TestProcess.IsListening("127.0.0.1", port));
        }
        finally
        {
            TestProcess.Run("docker", "rm", "--force", name);
            TestProcess.Run("docker", "rmi", "--force", tag);
            Directory.Delete(work, recursive: true);
        }
        Assert.NotEqual(0, TestProcess.Run("docker", "image", "inspect", tag).ExitCode);
    }
}
