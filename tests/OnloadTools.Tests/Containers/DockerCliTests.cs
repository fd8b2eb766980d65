using System.Management.Automation;

namespace OnloadTools.Tests.Containers;

/// <summary>
/// The arguments the docker CLI receives for every container operation, through the recording docker double
/// (tests/fixtures/bin-docker, on PATH only here), with the module imported into a real PowerShell engine.
/// The same operations run against a real, private dockerd in DockerEngineTests; the double also covers what a
/// real daemon cannot show here (a stopped daemon, exact argument lists, docker 28 messages).
/// </summary>
[Collection("Environment")]
public class DockerCliTests
{
    private const string Tag = "localhost/onload-netperf:8.1.2.26";

    private static T Single<T>(PowerShellEngine.Result r)
    {
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        return Assert.IsType<T>(Assert.Single(r.Output).BaseObject);
    }

    [Fact]
    public void New_OnloadImage_generates_the_dockerfile_builds_with_docker_and_reports_the_image()
    {
        using var env = new ContainerTestEnvironment(dockerDouble: true);
        string work = Directory.CreateTempSubdirectory("onloadtools-img-").FullName;
        try
        {
            string deb = ContainerTestEnvironment.BuildOnloadDeb(work);
            string kept = Path.Combine(work, "kept", "Dockerfile");
            using var engine = new PowerShellEngine();
            var r = engine.Run("New-OnloadImage -Tag $tag -BaseImage localhost/onloadtools-test-base -OnloadPackage $pkg -Engine docker -DockerfilePath $df",
                ("tag", Tag), ("pkg", new FileInfo(deb)), ("df", kept));
            var image = Single<OnloadImage>(r);

            var calls = env.DockerCalls;
            string[] build = calls[0];
            Assert.Equal(new[] { "build", "--tag", Tag, "--file", kept }, build[..5]);
            string context = build[5];
            Assert.StartsWith(Path.GetTempPath().TrimEnd('/') + "/onloadtools-build-", context);
            Assert.False(Directory.Exists(context));                       // the build context is cleaned up
            Assert.Equal(new[] { "onload-test-double.deb" }, File.ReadAllLines(Path.Combine(env.StateDirectory, "context.list")).Where(l => l != "Dockerfile"));
            Assert.Equal(new[] { "image", "inspect", Tag }, calls[1]);
            Assert.Equal(new[] { "run", "--rm", "--network=none", "--entrypoint", "rpm", image.Id }, calls[2][..6]);
            Assert.Equal(new[] { "run", "--rm", "--network=none", "--entrypoint", "dpkg-query", image.Id, "-W", "-f", "${Package}\\t${Version}\\n" }, calls[3]);
            Assert.Equal(4, calls.Count);

            // The file the engine built from is the one kept, and the one returned.
            string built = File.ReadAllText(Path.Combine(env.StateDirectory, "Dockerfile.built"));
            Assert.Equal(built, File.ReadAllText(kept));
            Assert.Equal(built, image.Dockerfile);
            Assert.Contains("FROM localhost/onloadtools-test-base\n", built);
            Assert.Contains("COPY [\"onload-test-double.deb\", \"/tmp/onloadtools-packages/\"]", built);
            Assert.Contains("apt-get install -y --no-install-recommends /tmp/onloadtools-packages/onload-test-double.deb", built);
            // Version from the package header (the file name has none); devices from the (fake) host's /dev.
            Assert.Contains("org.openonload.version=\"8.1.2.26\"", built);
            Assert.Contains("RUN=\"podman run -d --name NAME --net=host --init --device=/dev/onload --device=/dev/onload_epoll --device=/dev/onload_cplane IMAGE\"", built);
            Assert.Contains("CMD [\"onload\", \"--profile=latency\", \"netserver\", \"-D\"]", built);

            Assert.Equal($"docker build --tag {Tag} --file {kept} {context}", image.BuildCommandLine);
            Assert.Equal("docker", image.Engine);
            Assert.Equal(new[] { "netperf 2.7.0-0.1", "onload 8.1.2.26-1" }, image.Packages);
            Assert.True(image.OnloadVersionMatchesHost);
            Assert.StartsWith("docker run --rm --network=none --entrypoint dpkg-query", image.PackageQueryCommandLine);
            // Progress follows docker's "Step n/m" lines.
            Assert.Contains(r.Progress, p => p.StatusDescription.Contains("step ") && p.StatusDescription.Contains(" of "));
            Assert.Equal(ProgressRecordType.Completed, r.Progress[^1].RecordType);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void New_OnloadImage_WhatIf_returns_the_dockerfile_and_command_and_runs_nothing()
    {
        using var env = new ContainerTestEnvironment(dockerDouble: true);
        string work = Directory.CreateTempSubdirectory("onloadtools-img-").FullName;
        try
        {
            string deb = ContainerTestEnvironment.BuildOnloadDeb(work, "8.2.0.5");
            string kept = Path.Combine(work, "Dockerfile");
            using var engine = new PowerShellEngine();
            var r = engine.Run("[pscustomobject]@{ Path = $deb; Version = '7.0' } | New-OnloadImage -Tag $tag -BaseImage ubi9 -Engine docker -DockerfilePath $df -Command netserver,-D -WhatIf",
                ("tag", Tag), ("deb", deb), ("df", kept));
            var plan = Single<OnloadImageBuildPlan>(r);
            Assert.Empty(env.DockerCalls);
            Assert.False(File.Exists(kept));
            Assert.Equal("8.2.0.5", plan.OnloadVersion);                 // the header wins over the object's Version
            Assert.Equal(new[] { deb }, plan.Packages);
            Assert.StartsWith($"docker build --tag {Tag} --file {kept} ", plan.BuildCommandLine);
            Assert.Contains("CMD [\"netserver\", \"-D\"]", plan.Dockerfile);
            Assert.Contains("FROM ubi9\n", plan.Dockerfile);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void A_failed_build_is_reported_with_the_engines_words_and_leaves_no_context()
    {
        using var env = new ContainerTestEnvironment(dockerDouble: true);
        using var engine = new PowerShellEngine();
        var r = engine.Run("New-OnloadImage -Tag $tag -BaseImage nosuch-base -OnloadVersion 8.1.2.26 -Engine docker", ("tag", Tag));
        Assert.Empty(r.Output);
        var e = r.SingleError;
        Assert.StartsWith("ImageBuildFailed,", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidResult, e.CategoryInfo.Category);
        Assert.Contains("pull access denied", e.Exception.Message);
        Assert.Contains("exited with code 1", e.Exception.Message);
        Assert.False(Directory.Exists(env.DockerCalls[0][5]));
        Assert.Single(env.DockerCalls);                                       // nothing inspected after a failed build
    }

    [Fact]
    public void Docker_is_used_when_it_is_the_only_engine_and_WhatIf_starts_nothing()
    {
        // A PATH without podman: the double's shell utilities only.
        string tools = Directory.CreateTempSubdirectory("onloadtools-tools-").FullName;
        try
        {
            foreach (string t in new[] { "bash", "dirname", "mkdir", "cat", "sed", "cp", "ls", "grep", "head" })
            {
                string target = File.Exists("/usr/bin/" + t) ? "/usr/bin/" + t : "/bin/" + t;
                File.CreateSymbolicLink(Path.Combine(tools, t), target);
            }
            using var env = new ContainerTestEnvironment(dockerDouble: true,
                onlyPath: string.Join(':', ContainerTestEnvironment.DockerDoubles, ContainerTestEnvironment.HostOnloadDouble, tools));
            using var engine = new PowerShellEngine();
            var r = engine.Run("Start-OnloadContainer $tag c11 -WhatIf", ("tag", Tag));
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            Assert.Empty(r.Output);
            Assert.Equal(new[] { "image", "inspect", Tag }, Assert.Single(env.DockerCalls));
        }
        finally
        {
            Directory.Delete(tools, recursive: true);
        }
    }

    [Fact]
    public void Start_OnloadContainer_passes_the_host_devices_host_network_and_init()
    {
        using var env = new ContainerTestEnvironment(dockerDouble: true, devices: new[] { "onload", "onload_epoll", "sfc_char" });
        using var engine = new PowerShellEngine();
        var r = engine.Run("Start-OnloadContainer -Image $tag -Name c1 -Engine docker -ReadOnly -InterfaceName lo -Port 23865", ("tag", Tag));
        var c = Single<OnloadContainer>(r);
        string root = env.HostRoot;
        string[] expected =
        {
            "run", "--detach", "--name", "c1", "--net=host", "--init",
            $"--device={root}/dev/onload:/dev/onload", $"--device={root}/dev/onload_epoll:/dev/onload_epoll", $"--device={root}/dev/sfc_char:/dev/sfc_char",
            "--read-only", "--tmpfs", "/tmp", "--tmpfs", "/run", Tag,
            "onload", "--profile=latency", "netserver", "-D", "-p", "23865", "-L", "127.0.0.1",
        };
        var calls = env.DockerCalls;
        Assert.Equal(new[] { "image", "inspect", Tag }, calls[0]);
        Assert.Equal(expected, calls[1]);
        Assert.Equal(new[] { "container", "inspect", "44dd5a2ed8a61326b11cce47270e7d3da17c1f987f92a9fab4d6e9dbba33d643" }, calls[2]);
        Assert.Equal("c1", c.Name);
        Assert.Equal("docker", c.Engine);
        Assert.Equal("docker " + string.Join(' ', expected), c.CommandLine);
        Assert.Empty(r.Warnings);                                            // versions match, devices present, not privileged
    }

    [Fact]
    public void Privileged_is_passed_only_when_asked_and_warns()
    {
        using var env = new ContainerTestEnvironment(dockerDouble: true, devices: Array.Empty<string>());
        using var engine = new PowerShellEngine();
        var r = engine.Run("Start-OnloadContainer $tag c2 -Engine docker -Privileged -Network bridge", ("tag", Tag));
        Single<OnloadContainer>(r);
        var run = env.DockerCalls[1];
        Assert.Equal(new[] { "run", "--detach", "--name", "c2", "--net=bridge", "--init", "--privileged", Tag }, run);
        Assert.Contains(r.Warnings, w => w.Message.Contains("SELinux") && w.Message.Contains("capability"));
        Assert.Contains(r.Warnings, w => w.Message.Contains("none of the Onload device nodes"));
    }

    [Fact]
    public void Differing_onload_versions_refuse_to_start_unless_forced()
    {
        using var env = new ContainerTestEnvironment(dockerDouble: true);
        env.Set("ONLOADTOOLS_DOUBLE_ONLOAD_VERSION", "9.0.1.3");
        using var engine = new PowerShellEngine();
        var refused = engine.Run("Start-OnloadContainer $tag c3 -Engine docker", ("tag", Tag));
        Assert.Empty(refused.Output);
        var e = refused.SingleError;
        Assert.Equal("OnloadVersionMismatch,OnloadTools.Commands.StartOnloadContainerCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidOperation, e.CategoryInfo.Category);
        Assert.Contains("8.1.2.26", e.Exception.Message);
        Assert.Contains("9.0.1.3", e.Exception.Message);
        Assert.DoesNotContain(env.DockerCalls, c => c[0] == "run");

        var forced = engine.Run("Start-OnloadContainer $tag c3 -Engine docker -Force", ("tag", Tag));
        Single<OnloadContainer>(forced);
        Assert.Contains(env.DockerCalls, c => c[0] == "run");
        Assert.Contains(forced.Warnings, w => w.Message.Contains("9.0.1.3") && w.Message.Contains("-Force"));
    }

    [Fact]
    public void Get_and_Stop_work_in_a_pipeline_and_take_the_engine_from_the_objects()
    {
        using var env = new ContainerTestEnvironment(dockerDouble: true);
        using var engine = new PowerShellEngine();
        var listed = engine.Run("Get-OnloadContainer -Engine docker");
        var c = Single<OnloadContainer>(listed);
        Assert.Equal(new[] { "ps", "--all", "--quiet", "--no-trunc", "--filter", "label=org.openonload.version" }, env.DockerCalls[0]);
        Assert.Equal("runlike_fixture6", c.Name);
        Assert.True(c.Privileged);

        // No -Engine on Stop: the piped object says docker (podman, first on PATH, is not asked).
        var stopped = engine.Run("Get-OnloadContainer c4 -Engine docker | Stop-OnloadContainer -Remove -Timeout 2");
        Assert.Null(stopped.Terminating);
        Assert.Empty(stopped.Errors);
        Assert.Empty(stopped.Output);
        var calls = env.DockerCalls;
        Assert.Equal(new[] { "container", "inspect", "c4" }, calls[^3]);
        Assert.Equal(new[] { "stop", "-t", "2", "c4" }, calls[^2]);
        Assert.Equal(new[] { "rm", "c4" }, calls[^1]);

        var names = engine.Run("'c5','c6' | Stop-OnloadContainer -Engine docker -PassThru");
        Assert.Equal(new[] { "c5", "c6" }, names.Output.Select(o => ((OnloadContainer)o.BaseObject).Name));
        Assert.DoesNotContain(env.DockerCalls, k => k[0] == "rm" && k[1] != "c4");

        // Deserialized objects (Invoke-Command, Import-Clixml) are property bags: Name and Engine bind by name.
        var bags = engine.Run("[pscustomobject]@{ PSTypeName = 'Deserialized.OnloadTools.OnloadContainer'; Name = 'c14'; Engine = 'docker' } | Stop-OnloadContainer");
        Assert.Empty(bags.Errors);
        Assert.Equal(new[] { "stop", "-t", "10", "c14" }, env.DockerCalls[^1]);
        var image = engine.Run("[pscustomobject]@{ PSTypeName = 'Deserialized.OnloadTools.OnloadImage'; Name = $tag; Tags = @($tag); Engine = 'docker' } | Start-OnloadContainer -Name c15",
            ("tag", Tag));
        Assert.Empty(image.Errors);
        Assert.Equal("c15", Assert.IsType<OnloadContainer>(Assert.Single(image.Output).BaseObject).Name);
        Assert.Equal(Tag, env.DockerCalls.Last(c => c[0] == "run")[^1]);

        var whatIf = engine.Run("Stop-OnloadContainer c7 -Engine docker -Remove -WhatIf");
        Assert.DoesNotContain(env.DockerCalls, k => k.Contains("c7"));
    }

    [Fact]
    public void Get_OnloadImage_reports_labels_packages_and_the_host_match()
    {
        using var env = new ContainerTestEnvironment(dockerDouble: true);
        using var engine = new PowerShellEngine();
        var image = Single<OnloadImage>(engine.Run("Get-OnloadImage -Engine docker -PackageName bash"));
        Assert.Equal(new[] { "images", "--quiet", "--no-trunc", "--filter", "label=org.openonload.version" }, env.DockerCalls[0]);
        Assert.Equal(Tag, image.Name);
        Assert.Equal("8.1.2.26", image.OnloadVersion);
        Assert.Equal("8.1.2.26", image.HostOnloadVersion);
        Assert.True(image.OnloadVersionMatchesHost);
        Assert.Equal(new[] { "bash 5.2.15-2+b7", "netperf 2.7.0-0.1", "onload 8.1.2.26-1" }, image.Packages);
        Assert.Equal(245612345, image.Size);
        Assert.Contains("org.openonload.version=8.1.2.26", image.Labels);

        var piped = engine.Run("Get-OnloadContainer c8 -Engine docker | Get-OnloadImage -NoPackageQuery");
        Assert.Empty(Single<OnloadImage>(piped).Packages);
        Assert.Equal(new[] { "image", "inspect", "runlike_fixture" }, env.DockerCalls[^1]);
    }

    [Fact]
    public void Measure_NetperfLatency_Container_runs_netperf_through_docker_exec()
    {
        using var env = new ContainerTestEnvironment(dockerDouble: true);
        using var server = new TestProcess.Netserver();
        TestProcess.WaitListening("127.0.0.1", server.Port, TimeSpan.FromSeconds(10));
        using var engine = new PowerShellEngine();
        var r = engine.Run("$c = Get-OnloadContainer c9 -Engine docker; Measure-NetperfLatency -Container $c -Port $port -TestName TCP_RR -Duration 1 -Iterations 1",
            ("port", server.Port));
        var run = Single<LatencyRun>(r);
        Assert.Equal("container:c9", run.ClientLocation);
        Assert.Equal("container", run.Label);
        Assert.True(run.MeanLatency > 0);
        Assert.StartsWith($"docker exec c9 netperf -H 127.0.0.1 -p {server.Port} -t TCP_RR -l 1", run.Samples[0].CommandLine);
        Assert.Contains(env.DockerCalls, c => c.Take(4).SequenceEqual(new[] { "exec", "c9", "netperf", "-V" }));

        // A deserialized container (Invoke-Command, Import-Clixml) is a property bag: its Name and Engine are used.
        var bag = engine.Run("Measure-NetperfLatency -Container ([pscustomobject]@{ Name = 'c10'; Engine = 'docker' }) -Port $port -TestName UDP_RR -Duration 1 -Iterations 1",
            ("port", server.Port));
        Assert.Equal("container:c10", Single<LatencyRun>(bag).ClientLocation);
        Assert.Contains(env.DockerCalls, c => c.Take(3).SequenceEqual(new[] { "exec", "c10", "netperf" }));
        var unusable = engine.Run("Measure-NetperfLatency -Container ([pscustomobject]@{ Size = 1 }) -Duration 1");
        Assert.Equal(ErrorCategory.InvalidData, unusable.SingleError.CategoryInfo.Category);   // parameter binding refuses it
    }

    [Fact]
    public void Names_the_engine_would_reject_are_refused_before_anything_runs()
    {
        using var env = new ContainerTestEnvironment(dockerDouble: true);
        using var engine = new PowerShellEngine();
        var cases = new (string Script, string ErrorId)[]
        {
            ("New-OnloadImage -Tag 'Onload/Netperf:1' -BaseImage ubi9 -Engine docker", "InvalidImageTag"),
            ("New-OnloadImage -Tag 'onload:bad tag' -BaseImage ubi9 -Engine docker", "InvalidImageTag"),
            ("New-OnloadImage -Tag onload:1 -BaseImage 'UBI 9' -Engine docker", "InvalidImageName"),
            ("Start-OnloadContainer -Image onload:1 -Name 'bad name' -Engine docker", "InvalidContainerName"),
            ("Start-OnloadContainer -Image onload:1 -Name x -Engine docker", "InvalidContainerName"),   // docker needs 2+
            ("Start-OnloadContainer -Image 'Onload:1' -Engine docker", "InvalidImageName"),
            ("Stop-OnloadContainer '-rf' -Engine docker", "InvalidContainerName"),
            ("Get-OnloadContainer 'a/b' -Engine docker", "InvalidContainerName"),
            ("Get-OnloadImage 'UPPER' -Engine docker", "InvalidImageName"),
        };
        foreach (var (script, id) in cases)
        {
            var r = engine.Run(script);
            var e = r.SingleError;
            Assert.StartsWith(id + ",", e.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
            Assert.Empty(env.DockerCalls);
        }
    }

    [Fact]
    public void An_interface_the_host_lacks_is_refused_before_anything_runs()
    {
        using var env = new ContainerTestEnvironment(dockerDouble: true);
        using var engine = new PowerShellEngine();
        var r = engine.Run("Start-OnloadContainer $tag c12 -InterfaceName p9p9 -Engine docker", ("tag", Tag));
        Assert.StartsWith("InterfaceNotFound,", r.SingleError.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, r.SingleError.CategoryInfo.Category);
        Assert.Empty(env.DockerCalls);

        var notNetserver = engine.Run("Start-OnloadContainer $tag c12 -Port 2000 -Engine docker -Command sleep,infinity", ("tag", Tag));
        Assert.StartsWith("ImageCommandNotNetserver,", notNetserver.SingleError.FullyQualifiedErrorId);
        Assert.DoesNotContain(env.DockerCalls, c => c[0] == "run");

        var own = engine.Run("Start-OnloadContainer $tag c12 -Port 2000 -Engine docker -Command netserver,-D", ("tag", Tag));
        Assert.Null(own.Terminating);
        Assert.Equal(new[] { Tag, "netserver", "-D", "-p", "2000" }, env.DockerCalls[^2][^5..]);
    }

    [Fact]
    public void Without_podman_or_docker_the_error_says_what_to_install()
    {
        string empty = Directory.CreateTempSubdirectory("onloadtools-nopath-").FullName;
        try
        {
            using var env = new ContainerTestEnvironment(dockerDouble: false, onlyPath: empty);
            using var engine = new PowerShellEngine();
            var r = engine.Run("Get-OnloadImage");
            Assert.Equal("ContainerEngineNotInstalled,OnloadTools.Commands.GetOnloadImageCommand", r.SingleError.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.NotInstalled, r.SingleError.CategoryInfo.Category);
            Assert.Contains("dnf install podman", r.SingleError.Exception.Message);

            var asked = engine.Run("Get-OnloadContainer -Engine docker");
            Assert.StartsWith("DockerNotInstalled,", asked.SingleError.FullyQualifiedErrorId);

            var measure = engine.Run("Measure-NetperfLatency -Container c1 -Duration 1 -Iterations 1");
            Assert.StartsWith("PodmanNotInstalled,", measure.SingleError.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.NotInstalled, measure.SingleError.CategoryInfo.Category);

            // Bad names are still refused as bad names, not as a missing engine: validation comes first.
            var bad = engine.Run("Start-OnloadContainer -Image onload:1 -Name 'no way'");
            Assert.StartsWith("InvalidContainerName,", bad.SingleError.FullyQualifiedErrorId);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public void A_stopped_docker_daemon_and_unknown_objects_are_reported_with_dockers_words()
    {
        using var env = new ContainerTestEnvironment(dockerDouble: true);
        using var engine = new PowerShellEngine();
        var missing = engine.Run("Get-OnloadImage nosuch:1, " + Tag + " -Engine docker -NoPackageQuery");
        Assert.Single(missing.Output);                                         // the other image still comes out
        var e = Assert.Single(missing.Errors);
        Assert.StartsWith("ImageNotFound,", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        Assert.Contains("No such image: nosuch:1", e.Exception.Message);

        var stop = engine.Run("Stop-OnloadContainer nosuch1 -Engine docker");
        Assert.StartsWith("ContainerNotFound,", stop.SingleError.FullyQualifiedErrorId);

        env.Set("ONLOADTOOLS_DOUBLE_DOCKERD", "down");
        var down = engine.Run("Get-OnloadImage -Engine docker");
        Assert.StartsWith("ContainerEngineUnavailable,", down.SingleError.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceUnavailable, down.SingleError.CategoryInfo.Category);
        Assert.Contains("Cannot connect to the Docker daemon", down.SingleError.Exception.Message);
    }
}

[Collection("Environment")]
public class ContainerCompletionTests
{
    [Fact]
    public void Interface_and_container_names_complete_from_the_host_and_the_engine()
    {
        using var env = new ContainerTestEnvironment(dockerDouble: true);
        Directory.CreateDirectory(Path.Combine(env.HostRoot, "sys", "class", "net", "p1p3"));
        using var engine = new PowerShellEngine();
        string line = "Start-OnloadContainer -Image x -InterfaceName p1";
        var r = engine.Run("(TabExpansion2 -inputScript $s -cursorColumn $s.Length).CompletionMatches.CompletionText", ("s", line));
        Assert.Equal(new[] { "p1p3" }, r.Output.Select(o => o.ToString()));

        string stop = "Stop-OnloadContainer -Engine docker -Name 44";
        var c = engine.Run("(TabExpansion2 -inputScript $s -cursorColumn $s.Length).CompletionMatches.CompletionText", ("s", stop));
        Assert.Equal(new[] { "44dd5a2ed8a61326b11cce47270e7d3da17c1f987f92a9fab4d6e9dbba33d643" }, c.Output.Select(o => o.ToString()));
        Assert.Equal(new[] { "ps", "--all", "--format", "{{.Names}}" }, env.DockerCalls[^1]);
    }
}
