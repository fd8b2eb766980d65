using OnloadTools.Containers;
using OnloadTools.Host;
using OnloadTools.Processes;
using OnloadTools.Tests.Infrastructure;

namespace OnloadTools.Tests.Containers;

/// <summary>
/// The container work that left the cmdlets: Start-OnloadContainer's launch (ContainerLaunch), New-OnloadImage's design
/// and build folder (OnloadImageBuilder), and inspections that answer "not there" without an exception. The engine is
/// a scripted double here; tests/Pester/Containers.Tests.ps1 drives the cmdlets against real podman.
/// </summary>
public sealed class ContainerServicesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("onloadtools-containers-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static readonly string[] ImageCmd = { "onload", "--profile=latency", "netserver", "-D", "-p", "12865" };

    /// <summary>A service over a scripted podman (and ip), with the Onload devices given present in the fake /dev.</summary>
    private ContainerService Service(Func<ToolCommand, (int, string, string)> script, params string[] devices)
    {
        foreach (string d in devices)
        {
            string path = Path.Combine(_root, d.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "");
        }
        var runner = new ScriptedRunner(script, "podman", "ip");
        return new ContainerService(runner, new HostFileSystem(_root), ContainerEngine.Resolve(runner, "podman"));
    }

    private static ImageInspect Image(params string[] cmd) => new() { Id = "abc", Cmd = cmd, Labels = new Dictionary<string, string>() };

    private static (int, string, string) Address(ToolCommand c) =>
        c.Tool == "ip" ? (0, c.Arguments.Last() == "lo" ? "[{\"ifname\":\"lo\",\"addr_info\":[{\"family\":\"inet\",\"local\":\"127.0.0.1\",\"prefixlen\":8}]}]" : "[{\"ifname\":\"dummy0\",\"addr_info\":[]}]", "")
        : (1, "", "unexpected");

    [Fact]
    public async Task Without_interface_or_port_the_container_runs_the_command_given_or_the_images_own()
    {
        var launch = new ContainerLaunch(Service(Address), "localhost/i:1", Image(ImageCmd));
        Assert.Null((await launch.CommandAsync(null, null, null, default)).Command);
        var given = new[] { "sleep", "infinity" };
        Assert.Same(given, (await launch.CommandAsync(given, null, null, default)).Command);
    }

    [Fact]
    public async Task Interface_and_port_rewrite_netserver_in_the_images_command()
    {
        var launch = new ContainerLaunch(Service(Address), "localhost/i:1", Image(ImageCmd));
        var command = await launch.CommandAsync(null, "lo", 20000, default);
        Assert.Null(command.Problem);
        Assert.Equal(new[] { "onload", "--profile=latency", "netserver", "-D", "-p", "20000", "-L", "127.0.0.1" }, command.Command);
    }

    [Fact]
    public async Task An_interface_without_an_address_or_a_command_without_netserver_is_a_problem_not_a_command()
    {
        var launch = new ContainerLaunch(Service(Address), "localhost/i:1", Image(ImageCmd));
        var noAddress = await launch.CommandAsync(null, "dummy0", null, default);
        Assert.Equal(LaunchProblem.InterfaceHasNoAddress, noAddress.Problem);
        Assert.Contains("dummy0", noAddress.Message);
        Assert.Null(noAddress.Command);

        var notNetserver = await new ContainerLaunch(Service(Address), "localhost/i:1", Image("sleep", "infinity")).CommandAsync(null, null, 20000, default);
        Assert.Equal(LaunchProblem.CommandNotNetserver, notNetserver.Problem);
        Assert.Contains("sleep infinity", notNetserver.Message);
    }

    [Fact]
    public void The_run_command_passes_each_onload_device_the_host_has_and_warns_when_it_has_none()
    {
        var bare = new ContainerLaunch(Service(Address), "localhost/i:1", Image(ImageCmd));   // the fake /dev has no Onload device yet
        Assert.DoesNotContain(bare.RunCommand(null, "host", false, false, null).Arguments, a => a.StartsWith("--device", StringComparison.Ordinal));
        Assert.Contains(bare.Warnings(privileged: false), w => w.Contains("none of the Onload device nodes", StringComparison.Ordinal));

        var withDevices = new ContainerLaunch(Service(Address, "/dev/onload", "/dev/onload_epoll"), "localhost/i:1", Image(ImageCmd));
        var run = withDevices.RunCommand("n1", "host", privileged: false, readOnly: false, command: null);
        Assert.Contains($"--device={_root}/dev/onload:/dev/onload", run.Arguments);
        Assert.Contains($"--device={_root}/dev/onload_epoll:/dev/onload_epoll", run.Arguments);
        Assert.Empty(withDevices.Warnings(privileged: false));
        Assert.Contains(withDevices.Warnings(privileged: true), w => w.Contains("-Privileged", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Find_answers_null_for_an_image_or_container_the_engine_does_not_have_and_inspect_throws()
    {
        var service = Service(_ => (125, "", "Error: no such object: \"gone\""));
        Assert.Null(await service.FindImageAsync("gone", default));
        Assert.Null(await service.FindContainerAsync("gone", default));
        var e = await Assert.ThrowsAsync<ContainerObjectNotFoundException>(() => service.InspectImageAsync("gone", default));
        Assert.Equal(("image", "gone"), (e.Kind, e.Name));
        Assert.Equal("container", (await Assert.ThrowsAsync<ContainerObjectNotFoundException>(() => service.InspectContainerAsync("gone", default))).Kind);

        var broken = Service(_ => (1, "", "Error: something else went wrong"));
        await Assert.ThrowsAsync<ToolFailedException>(() => broken.FindImageAsync("x", default));
    }

    // ---------------------------------------------------------------- New-OnloadImage's design

    private string Package(string name)
    {
        string path = Path.Combine(_root, "pkgs", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "not really a package");
        return path;
    }

    private OnloadImageRequest Request(IEnumerable<(string, string?)> onload, params string[] other) => new()
    {
        Tag = "localhost/onload-netperf:1",
        BaseImage = "localhost/base",
        OnloadPackages = onload.ToList(),
        OtherPackages = other,
    };

    [Fact]
    public async Task The_version_label_comes_from_the_onload_package_file_name_when_no_tool_reads_its_header()
    {
        var request = Request(new[] { (Package("onload-8.1.2.26-1.el9.x86_64.rpm"), (string?)"7.0") }, Package("netperf-2.7.0-1.el9.x86_64.rpm"));
        var design = await OnloadImageBuilder.DesignAsync(new ScriptedRunner(_ => (1, "", ""), "podman"), Service(Address), request, default);
        using var builder = Assert.IsType<OnloadImageBuilder>(design.Builder);
        Assert.Equal("8.1.2.26", builder.Spec.OnloadVersion);   // the file's own version beats the piped object's
        Assert.Contains("org.openonload.version=\"8.1.2.26\"", builder.Dockerfile);
        Assert.Empty(design.Warnings);
        Assert.Equal(builder.Context, Path.GetDirectoryName(builder.DockerfilePath));
        Assert.Equal(new[] { "build", "--tag", request.Tag, "--file", builder.DockerfilePath, builder.Context }, builder.BuildCommand.Arguments);

        var plan = builder.Plan();
        Assert.Equal(request.Files, plan.Packages);
        Assert.Equal(builder.Dockerfile, plan.Dockerfile);
        Assert.False(Directory.Exists(builder.Context), "designing (and -WhatIf) writes nothing");
    }

    [Fact]
    public async Task Without_a_version_or_netperf_the_design_warns_and_bad_input_is_a_problem()
    {
        var design = await OnloadImageBuilder.DesignAsync(new ScriptedRunner(_ => (1, "", ""), "podman"), Service(Address), Request(Array.Empty<(string, string?)>()), default);
        Assert.NotNull(design.Builder);
        Assert.Equal(2, design.Warnings.Count);
        Assert.Contains("no Onload version label", design.Warnings[0]);
        Assert.Contains("no netperf package file", design.Warnings[1]);

        var mixed = await OnloadImageBuilder.DesignAsync(new ScriptedRunner(_ => (1, "", ""), "podman"), Service(Address),
            Request(new[] { (Package("onload_8.1.2.26-1_all.deb"), (string?)null) }, Package("netperf-2.7.0-1.el9.x86_64.rpm")), default);
        Assert.Null(mixed.Builder);
        Assert.Equal(ImageDesignProblem.InvalidPackage, mixed.Problem);

        var request = new OnloadImageRequest { Tag = "localhost/t:1", BaseImage = "localhost/base", Command = new[] { "netserver", "-D\nRUN rm -rf /" } };
        var lineBreak = await OnloadImageBuilder.DesignAsync(new ScriptedRunner(_ => (1, "", ""), "podman"), Service(Address), request, default);
        Assert.Equal(ImageDesignProblem.InvalidArgument, lineBreak.Problem);
    }

    [Fact]
    public async Task The_build_folder_holds_the_packages_and_the_dockerfile_and_goes_with_the_builder()
    {
        var request = Request(new[] { (Package("onload-8.1.2.26-1.el9.x86_64.rpm"), (string?)null) });
        var design = await OnloadImageBuilder.DesignAsync(new ScriptedRunner(_ => (1, "", ""), "podman"), Service(Address), request, default);
        string context;
        using (var builder = design.Builder!)
        {
            builder.WriteContext();
            context = builder.Context;
            Assert.Equal(builder.Dockerfile, File.ReadAllText(Path.Combine(context, "Dockerfile")));
            Assert.True(File.Exists(Path.Combine(context, builder.Spec.Packages[0].ContextName)));
        }
        Assert.False(Directory.Exists(context));
        Assert.Null(OnloadImageBuilder.MissingFile(request));
        Assert.Equal("/nowhere/x.rpm", OnloadImageBuilder.MissingFile(Request(new[] { ("/nowhere/x.rpm", (string?)null) })));
    }
}
