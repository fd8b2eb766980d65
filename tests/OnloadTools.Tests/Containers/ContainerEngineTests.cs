using OnloadTools.Containers;
using OnloadTools.Host;
using OnloadTools.Onload;
using OnloadTools.Processes;
using OnloadTools.Tests.Infrastructure;

namespace OnloadTools.Tests.Containers;

/// <summary>
/// Which container engine a command uses (ContainerEngine: the one rule every cmdlet and Test-OnloadHost asks) and the
/// argument lists ContainerService hands it, against a scripted runner: the tools named are "installed", nothing runs.
/// (The same commands against the real podman and dockerd are Pester's: tests/Pester/Containers.Tests.ps1.)
/// </summary>
public class ContainerEngineTests
{
    private static ScriptedRunner Installed(params string[] tools) => new(_ => (0, "", ""), tools);

    [Fact]
    public void Without_a_choice_podman_comes_first_then_docker()
    {
        var both = ContainerEngine.Resolve(Installed("docker", "podman"), null);
        Assert.Equal("podman", both.Name);
        Assert.Equal("/usr/bin/podman", both.Path);
        Assert.False(both.IsDocker);

        var dockerOnly = ContainerEngine.Resolve(Installed("docker"), "");
        Assert.Equal("docker", dockerOnly.Name);
        Assert.Equal("/usr/bin/docker", dockerOnly.Path);
        Assert.True(dockerOnly.IsDocker);
    }

    [Fact]
    public void A_container_the_module_removes_is_killed_at_once_not_given_podmans_ten_seconds()
    {
        var podman = ContainerEngine.Resolve(Installed("podman"), "podman");
        Assert.Equal(new[] { "rm", "--force", "--time", "0", "c1" }, podman.RemoveNowArguments("c1"));
        var docker = ContainerEngine.Resolve(Installed("docker"), "docker");
        Assert.Equal(new[] { "rm", "--force", "c1" }, docker.RemoveNowArguments("c1"));   // docker has no --time on rm; --force kills at once
    }

    [Fact]
    public void Without_either_engine_the_error_says_what_to_install()
    {
        var e = Assert.Throws<ContainerEngineNotFoundException>(() => ContainerEngine.Resolve(Installed("netperf"), null));
        Assert.Contains("neither 'podman' nor 'docker'", e.Message);
        Assert.Contains("dnf install podman", e.Message);
        Assert.Null(ContainerEngine.Choose(Installed(), null));
    }

    [Theory]
    [InlineData("podman", "podman")]
    [InlineData("Podman", "podman")]
    [InlineData("PODMAN", "podman")]
    [InlineData("Docker", "docker")]
    [InlineData("docker", "docker")]
    public void The_engine_asked_for_is_used_whatever_its_case_even_when_another_comes_first(string asked, string engine)
    {
        var runner = Installed("podman", "docker");
        Assert.Equal(engine, ContainerEngine.Choose(runner, asked));
        var resolved = ContainerEngine.Resolve(runner, asked);
        Assert.Equal(engine, resolved.Name);
        Assert.Equal("/usr/bin/" + engine, resolved.Path);
        Assert.Empty(runner.Commands);   // choosing runs nothing
    }

    [Fact]
    public void An_engine_asked_for_that_is_not_installed_is_not_replaced_by_the_other()
    {
        var e = Assert.Throws<ToolNotFoundException>(() => ContainerEngine.Resolve(Installed("podman"), "Docker"));
        Assert.Equal("docker", e.Tool);
        Assert.Equal("docker", ContainerEngine.Choose(Installed("podman"), "Docker"));   // the choice stands; the lookup fails
    }

    [Fact]
    public void An_unknown_engine_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => ContainerEngine.Resolve(Installed("podman", "docker", "lxc"), "lxc"));
        Assert.Contains("podman or docker", e.Message);
    }

    [Fact]
    public void Commands_are_the_engine_and_an_argument_list_never_a_shell_string()
    {
        var docker = ContainerEngine.Resolve(Installed("docker"), null);
        var c = docker.Command("run", "--name", "a b; rm -rf /", "-d");
        Assert.Equal("docker", c.Tool);
        Assert.Equal(new[] { "run", "--name", "a b; rm -rf /", "-d" }, c.Arguments);
        Assert.Equal("docker run --name 'a b; rm -rf /' -d", c.CommandLine);   // quoted only for display
        Assert.Equal(new[] { "ps" }, docker.Command(new List<string> { "ps" }).Arguments);
    }

    // ------------------------------------------------------------------ the argument lists of ContainerService

    private static (ContainerService Service, ScriptedRunner Runner) Service(string engine, Func<ToolCommand, (int, string, string)> script, string root = "/")
    {
        var runner = new ScriptedRunner(script, engine, "ip");
        return (new ContainerService(runner, new HostFileSystem(root), ContainerEngine.Resolve(runner, engine)), runner);
    }

    private static string[] Args(ToolCommand c) => c.Arguments.ToArray();

    [Theory]
    [InlineData("podman")]
    [InlineData("docker")]
    public async Task Status_asks_info_then_the_client_version(string engine)
    {
        var (service, runner) = Service(engine, c => c.Arguments[0] == "version" ? (0, "5.4.2\n", "") : (0, "host: …\n", ""));
        var (info, version) = await service.StatusAsync(default);
        Assert.True(info.Succeeded);
        Assert.Equal("5.4.2", version);
        Assert.Equal(new[] { engine, engine }, runner.Commands.Select(c => c.Tool));
        Assert.Equal(new[] { "info" }, Args(runner.Commands[0]));
        Assert.Equal(new[] { "version", "--format", "{{.Client.Version}}" }, Args(runner.Commands[1]));
    }

    [Fact]
    public async Task A_failed_info_is_returned_for_the_caller_to_judge_and_asks_no_version()
    {
        var (service, runner) = Service("docker", _ => (1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"));
        var (info, version) = await service.StatusAsync(default);
        Assert.False(info.Succeeded);
        Assert.Null(version);
        Assert.Single(runner.Commands);
    }

    [Fact]
    public async Task Stop_uses_the_t_spelling_both_engines_accept_and_names_a_missing_container()
    {
        var (service, runner) = Service("podman", c => c.Arguments[c.Arguments.Count - 1] == "gone"
            ? (125, "", "Error: no container with name or id \"gone\" found: no such container")
            : (0, "", ""));
        await service.StopAsync("netperf-1", 3, default);
        Assert.Equal(new[] { "stop", "-t", "3", "netperf-1" }, Args(runner.Commands[0]));
        Assert.Equal(TimeSpan.FromSeconds(3) + ContainerService.QuickTimeout, runner.Timeouts[0]);
        var e = await Assert.ThrowsAsync<ContainerObjectNotFoundException>(() => service.StopAsync("gone", 3, default));
        Assert.Equal("container", e.Kind);
        Assert.Equal("gone", e.Name);
    }

    [Fact]
    public async Task A_stopped_docker_daemon_is_unavailable_not_a_missing_object()
    {
        var (service, _) = Service("docker", _ => (1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"));
        var e = await Assert.ThrowsAsync<ContainerEngineUnavailableException>(() => service.RemoveAsync("netperf-1", default));
        Assert.Contains("docker engine is not available", e.Message);
    }

    [Fact]
    public async Task Images_and_containers_are_found_by_the_onload_version_label()
    {
        var (service, runner) = Service("podman", c => (0, c.Arguments[0] == "images" ? "sha256:0123456789abcdef0123\nsha256:0123456789abcdef0123\n" : "c1\nc2\n", ""));
        var images = await service.ListOnloadImageIdsAsync(default);
        var containers = await service.ListOnloadContainerIdsAsync(default);
        Assert.Equal(new[] { "images", "--quiet", "--no-trunc", "--filter", "label=" + OnloadFacts.VersionLabel }, Args(runner.Commands[0]));
        Assert.Equal(new[] { "ps", "--all", "--quiet", "--no-trunc", "--filter", "label=" + OnloadFacts.VersionLabel }, Args(runner.Commands[1]));
        Assert.Single(images);   // the same image listed twice is one
        Assert.Equal(new[] { "c1", "c2" }, containers);
    }

    [Fact]
    public async Task Inspecting_an_image_the_engine_does_not_know_is_ObjectNotFound()
    {
        var (service, runner) = Service("podman", _ => (125, "[]\n", "Error: localhost/nope:1: image not known"));
        var e = await Assert.ThrowsAsync<ContainerObjectNotFoundException>(() => service.InspectImageAsync("localhost/nope:1", default));
        Assert.Equal("image", e.Kind);
        Assert.Equal(new[] { "image", "inspect", "localhost/nope:1" }, Args(runner.Commands[0]));
    }

    [Fact]
    public async Task Packages_are_listed_with_rpm_in_a_throwaway_container_without_network_and_with_dpkg_when_rpm_is_absent()
    {
        var (service, runner) = Service("podman", c => c.Arguments.Contains("rpm")
            ? (127, "", "Error: crun: executable file not found in $PATH: No such file or directory")
            : (0, "netperf\t2.7.0-5\nonload\t8.1.2.26\n", ""));
        var (packages, commandLine) = await service.QueryPackagesAsync("localhost/onload:8.1.2.26", default);
        Assert.Equal(2, runner.Commands.Count);
        Assert.Equal(new[] { "run", "--rm", "--network=none", "--entrypoint", "rpm", "localhost/onload:8.1.2.26", "-qa", "--queryformat", "%{NAME}\\t%{VERSION}-%{RELEASE}\\n" },
            Args(runner.Commands[0]));
        Assert.Equal(new[] { "run", "--rm", "--network=none", "--entrypoint", "dpkg-query", "localhost/onload:8.1.2.26", "-W", "-f", "${Package}\\t${Version}\\n" },
            Args(runner.Commands[1]));
        Assert.Equal(new[] { "netperf 2.7.0-5", "onload 8.1.2.26" }, packages.Select(p => p.ToString()));
        Assert.Equal(runner.Commands[1].CommandLine, commandLine);
    }

    [Fact]
    public void Exec_wraps_the_inner_command_and_keeps_its_arguments_apart()
    {
        var (service, _) = Service("docker", _ => (0, "", ""));
        var exec = service.ExecCommand("bench 1", new ToolCommand("netperf", "-H", "127.0.0.1", "-t", "TCP_RR"));
        Assert.Equal("docker", exec.Tool);
        Assert.Equal(new[] { "exec", "bench 1", "netperf", "-H", "127.0.0.1", "-t", "TCP_RR" }, exec.Arguments);
    }

    [Fact]
    public void A_device_is_passed_at_its_own_path_on_the_host_and_from_the_fake_root_in_tests()
    {
        Assert.Equal("--device=/dev/onload", Service("podman", _ => (0, "", "")).Service.DeviceArgument("/dev/onload"));
        string root = Path.Combine(Path.GetTempPath(), "fake-host");
        Assert.Equal($"--device={root}/dev/onload:/dev/onload", Service("podman", _ => (0, "", ""), root).Service.DeviceArgument("/dev/onload"));
    }

    [Fact]
    public void The_build_command_names_the_tag_the_dockerfile_and_the_context()
    {
        var (service, _) = Service("podman", _ => (0, "", ""));
        var build = service.BuildCommand("localhost/onload:8.1.2.26", "/tmp/ctx/Dockerfile", "/tmp/ctx");
        Assert.Equal("podman", build.Tool);
        Assert.Equal(new[] { "build", "--tag", "localhost/onload:8.1.2.26", "--file", "/tmp/ctx/Dockerfile", "/tmp/ctx" }, build.Arguments);
    }
}
