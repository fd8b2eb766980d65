using CsCheck;
using OnloadTools.Containers;

namespace OnloadTools.Tests.Containers;

/// <summary>The pure parts of the container domain: names, inspect JSON, package lists, the generated Dockerfile.</summary>
public class ContainerDomainTests
{
    private static string Fixture(string name) => TestPaths.ReadFixture("containers", name);

    // ---------------------------------------------------------------- names

    [Theory]
    [InlineData("onload-netperf")]
    [InlineData("onload-netperf:8.1.2.26")]
    [InlineData("localhost/onload-netperf:latest")]
    [InlineData("registry.example.com:5000/team/onload_netperf:v1.2-rc")]
    [InlineData("quay.io/a/b/c__d")]
    [InlineData("docker.io/library/alpine@sha256:1b0d4ddd99b1a8c8a80e885aafe6034c95f266da44ead992aab388e6aa91611a")]
    [InlineData("37e5619f4a8c")]
    [InlineData("sha256:37e5619f4a8ca9dbc4d6c0ae7890625674a10dbcfb76201399e2aaddb40da17d")]
    public void Image_references_the_engines_accept_pass(string reference) =>
        Assert.Null(ContainerNames.ImageReferenceProblem(reference));

    [Theory]
    [InlineData("Onload-Netperf", "lowercase")]
    [InlineData("localhost/Onload:1", "lowercase")]
    [InlineData("onload netperf", "white space")]
    [InlineData("onload:bad tag", "white space")]
    [InlineData("onload:-dash", "tag")]
    [InlineData("onload:", "tag")]
    [InlineData("onload//netperf", "empty path component")]
    [InlineData("onload--_netperf", "single separators")]
    [InlineData("-onload", "single separators")]
    [InlineData("onload@sha256:xyz", "digest")]
    [InlineData("my_registry.com/a", "registry host")]
    public void Image_references_the_engines_reject_are_explained(string reference, string why)
    {
        string? problem = ContainerNames.ImageReferenceProblem(reference);
        Assert.NotNull(problem);
        Assert.Contains(why, problem);
        Assert.Contains(reference, problem);
    }

    [Fact]
    public void A_new_tag_cannot_be_a_digest_or_too_long()
    {
        Assert.NotNull(ContainerNames.ImageReferenceProblem("onload@sha256:" + new string('a', 64), allowDigest: false));
        Assert.NotNull(ContainerNames.ImageReferenceProblem("onload:" + new string('t', 129)));
        Assert.Null(ContainerNames.ImageReferenceProblem("onload:" + new string('t', 128)));
        Assert.NotNull(ContainerNames.ImageReferenceProblem(new string('a', 256)));
    }

    [Theory]
    [InlineData("netserver-p1p3", "podman", true)]
    [InlineData("a", "podman", true)]
    [InlineData("a", "docker", false)]
    [InlineData("c1.test_2", "docker", true)]
    [InlineData("-bad", "podman", false)]
    [InlineData("bad name", "podman", false)]
    [InlineData("bad/name", "docker", false)]
    [InlineData("", "podman", false)]
    public void Container_names_follow_each_engine_rule(string name, string engine, bool ok) =>
        Assert.Equal(ok, ContainerNames.ContainerNameProblem(name, engine) is null);

    // ---------------------------------------------------------------- inspect JSON

    [Fact]
    public void Podman_container_inspect_with_its_trailing_commas_is_read()
    {
        var c = Assert.Single(InspectParser.ParseContainers(Fixture("podman_container_inspect_exited.json")));
        Assert.Equal("99f66530fe9c7249f7cf29f78e8661669d5831cbe4ee80ea757d5e922dd6a8a6", c.Id);
        Assert.Equal("foobar", c.Name);
        Assert.Equal("docker.io/library/alpine:latest", c.Image);
        Assert.Equal("exited", c.State);
        Assert.False(c.Running);
        Assert.Equal(0, c.ExitCode);
        Assert.Equal("pasta", c.NetworkMode);
        Assert.Empty(c.Devices);
        Assert.False(c.Privileged);
        Assert.Equal(new[] { "echo", "hi" }, c.Command);
        Assert.Equal(new[] { "podman", "run", "--name", "foobar", "alpine", "echo", "hi" }, c.CreateCommand);
        Assert.Empty(c.Labels); // "Labels": null
        Assert.Equal(new DateTime(2021, 9, 16, 10, 9, 8, DateTimeKind.Utc).AddTicks(9366233), c.Created);
        Assert.Equal(DateTimeKind.Utc, c.Created!.Value.Kind);
    }

    [Fact]
    public void Docker_container_inspect_gives_name_without_slash_devices_and_labels()
    {
        var c = Assert.Single(InspectParser.ParseContainers(Fixture("docker_inspect_running_privileged_devices_labels.json")));
        Assert.Equal("runlike_fixture6", c.Name);
        Assert.Equal("runlike_fixture", c.Image);           // docker has no ImageName: Config.Image
        Assert.Equal("0f2bf47f79041fea6ddbc1f460b82fe1e413c29e0e90beb8a3d27cd51f2876b2", c.ImageId);
        Assert.True(c.Running);
        Assert.Equal("running", c.State);
        Assert.True(c.Privileged);
        Assert.Equal(new[] { "/dev/null" }, c.Devices);
        Assert.Equal("bridge", c.NetworkMode);
        Assert.Equal(new DateTime(2024, 9, 3, 11, 32, 9, DateTimeKind.Utc).AddTicks(9273758), c.StartedAt);
        Assert.Equal("24.04", c.Labels["org.opencontainers.image.version"]);
        Assert.Equal("$KEEP_DOLLAR", c.Labels["com.example.notescaped"]);
        Assert.Empty(c.CreateCommand);                       // only podman records it

        var o = ContainerResults.Container(c, "docker");
        Assert.Null(o.CommandLine);
        Assert.Null(o.ExitCode);                             // running: no exit code
        Assert.Equal("/bin/bash /sleep.sh", o.Command);
    }

    [Fact]
    public void Podman_image_inspect_gives_tags_size_labels_and_command()
    {
        var i = Assert.Single(InspectParser.ParseImages(Fixture("podman_image_inspect_labels.json")));
        Assert.Equal("37e5619f4a8ca9dbc4d6c0ae7890625674a10dbcfb76201399e2aaddb40da17d", i.Id);
        Assert.Equal(new[] { "registry.fedoraproject.org/fedora:latest" }, i.Tags);
        Assert.Equal(183852302, i.Size);
        Assert.Equal("Fedora Project", i.Labels["vendor"]);
        Assert.Equal(new[] { "/bin/bash" }, i.Cmd);
        Assert.Equal(new DateTime(2021, 8, 9, 5, 48, 47, DateTimeKind.Utc), i.Created);

        var o = ContainerResults.Image(i, "podman", hostOnloadVersion: "8.1.2.26");
        Assert.Null(o.OnloadVersion);
        Assert.Null(o.OnloadVersionMatchesHost);             // unknown, not false
        Assert.Equal("registry.fedoraproject.org/fedora:latest", o.Name);
        Assert.Contains("license=MIT", o.Labels);
        Assert.Equal("/bin/bash", o.Command);
    }

    [Theory]
    [InlineData("RUN")]
    [InlineData("run")]
    [InlineData("Run")]
    public void The_run_label_is_found_whatever_its_case_as_podman_runlabel_finds_it(string key)
    {
        var i = new ImageInspect { Id = "abc", Labels = new Dictionary<string, string> { [key] = "podman run -d IMAGE", ["vendor"] = "x" } };
        Assert.Equal("podman run -d IMAGE", ContainerResults.Image(i, "podman", null).RunLabel);
        Assert.Null(i.Label("INSTALL"));
    }

    [Fact]
    public void An_exact_run_label_wins_over_another_spelling()
    {
        var i = new ImageInspect { Labels = new Dictionary<string, string> { ["run"] = "lower", ["RUN"] = "upper", ["Run"] = "mixed" } };
        Assert.Equal("upper", i.Label("RUN"));
        Assert.Equal("mixed", new ImageInspect { Labels = new Dictionary<string, string> { ["run"] = "lower", ["Run"] = "mixed" } }.Label("RUN"));
    }

    [Fact]
    public void Docker_image_inspect_strips_the_sha256_prefix_and_reads_onload_labels()
    {
        var i = Assert.Single(InspectParser.ParseImages(Fixture("docker_image_inspect_onload.json")));
        Assert.Equal("7d3f1b2e5a9c4d8e0f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a", i.Id);
        var match = ContainerResults.Image(i, "docker", "8.1.2.26");
        Assert.Equal("8.1.2.26", match.OnloadVersion);
        Assert.True(match.OnloadVersionMatchesHost);
        Assert.StartsWith("podman run -d", match.RunLabel);
        Assert.Equal("registry.access.redhat.com/ubi9/ubi", match.BaseImage);
        Assert.Equal("onload --profile=latency netserver -D", match.Command);
        Assert.False(ContainerResults.Image(i, "docker", "9.0.0.1").OnloadVersionMatchesHost);
        Assert.Null(ContainerResults.Image(i, "docker", null).OnloadVersionMatchesHost);
    }

    [Fact]
    public void Inspect_parsers_never_throw_on_arbitrary_text()
    {
        Gen.String.Sample(s =>
        {
            _ = InspectParser.ParseContainers(s);
            _ = InspectParser.ParseImages(s);
            _ = InterfaceAddressParser.FirstIPv4(s);
            _ = PackageListParser.Parse(s);
            _ = BuildProgressParser.LastStep(s);
            _ = InspectParser.Date(s);
            _ = ContainerNames.ImageReferenceProblem(s);
            _ = ContainerNames.ContainerNameProblem(s, "docker");
            _ = ContainerRunSpec.NetserverCommand(s.Split(' '), s, 1);
            _ = PackageFileProbe.VersionFromName(s);
        }, iter: 2000);
        // Truncated and mangled real documents too.
        string[] docs = { Fixture("podman_container_inspect_exited.json"), Fixture("docker_inspect_running_privileged_devices_labels.json"),
                          Fixture("podman_image_inspect_labels.json"), Fixture("docker_image_inspect_onload.json") };
        Gen.Select(Gen.Int[0, docs.Length - 1], Gen.Int[0, 12_000], Gen.String).Sample((d, cut, junk) =>
        {
            string text = docs[d][..Math.Min(cut, docs[d].Length)] + junk;
            _ = InspectParser.ParseContainers(text);
            _ = InspectParser.ParseImages(text);
        }, iter: 2000);
    }

    [Fact]
    public void Wrong_shaped_json_gives_nothing_rather_than_half_objects()
    {
        Assert.Empty(InspectParser.ParseContainers("[]"));
        Assert.Empty(InspectParser.ParseContainers("[{\"Name\":\"x\"}]"));      // no Id
        Assert.Empty(InspectParser.ParseImages("{\"Id\": 5}"));
        Assert.Empty(InspectParser.ParseImages("Error: image not known"));
        var c = Assert.Single(InspectParser.ParseContainers("[{\"Id\":\"abc\",\"State\":\"weird\",\"HostConfig\":{\"Devices\":null}}]"));
        Assert.Equal("", c.State);
        Assert.Empty(c.Devices);
    }

    // ---------------------------------------------------------------- package lists, ip, build output

    [Fact]
    public void Package_lists_from_rpm_and_dpkg_query_are_filtered_by_pattern()
    {
        var all = PackageListParser.Parse("bash\t5.2.15-2+b7\nonload\t8.1.2.26-1\r\nopenonload-kmod\t201811-1.el7\nnetperf\t2.7.0-0.1\nnetperf-doc\t2.7.0\n\ngarbage line\n\tnoname\n");
        Assert.Equal(5, all.Count);
        var picked = PackageListParser.Select(all, ContainerService.DefaultPackagePatterns);
        Assert.Equal(new[] { "netperf 2.7.0-0.1", "onload 8.1.2.26-1", "openonload-kmod 201811-1.el7" }, picked.Select(p => p.ToString()));
        Assert.Contains(PackageListParser.Select(all, new[] { "BASH" }), p => p.Name == "bash");
    }

    [Fact]
    public void Ip_json_gives_the_first_ipv4_address()
    {
        const string json = """[{"ifindex":4,"ifname":"p1p3","flags":["BROADCAST","UP"],"mtu":1500,"addr_info":[{"family":"inet6","local":"fe80::1","prefixlen":64},{"family":"inet","local":"192.168.10.3","prefixlen":24,"label":"p1p3"},{"family":"inet","local":"192.168.10.4","prefixlen":24}]}]""";
        Assert.Equal("192.168.10.3", InterfaceAddressParser.FirstIPv4(json));
        Assert.Null(InterfaceAddressParser.FirstIPv4("""[{"ifindex":4,"ifname":"p1p3","addr_info":[]}]"""));
        Assert.Null(InterfaceAddressParser.FirstIPv4("[{}]"));
    }

    [Theory]
    [InlineData("STEP 1/5: FROM localhost/base\nSTEP 2/5: COPY [\"a.deb\", \"/tmp/\"]\n--> 51da36e68e3\nSTEP 3/5: RUN apt-get", 3, 5)]
    [InlineData("Step 1/4 : FROM base\n ---> abc\nStep 4/4 : CMD [\"onload\"]\nSuccessfully built 7d3f", 4, 4)]
    [InlineData("#5 [2/3] RUN apt-get install -y /tmp/x.deb\n#6 [3/3] LABEL x=y", 3, 3)]
    public void Build_steps_are_read_from_podman_docker_and_buildkit_output(string output, int step, int total)
    {
        var s = BuildProgressParser.LastStep(output);
        Assert.NotNull(s);
        Assert.Equal((step, total), (s!.Value.Step, s.Value.Total));
    }

    // ---------------------------------------------------------------- Dockerfile

    private static OnloadImageSpec Spec(IReadOnlyList<ImagePackage> packages, IReadOnlyList<string>? command = null) => new()
    {
        Tag = "localhost/onload-netperf:8.1.2.26",
        BaseImage = "registry.access.redhat.com/ubi9/ubi",
        Packages = packages,
        OnloadVersion = "8.1.2.26",
        Command = command ?? OnloadImageSpec.DefaultCommand,
        RunDevices = new[] { "/dev/onload", "/dev/onload_epoll", "/dev/onload_cplane" },
        Created = new DateTime(2024, 1, 10, 12, 0, 0, DateTimeKind.Utc),
    };

    [Fact]
    public void Rpm_dockerfile_installs_with_dnf_or_yum_labels_and_runs_netserver_under_onload()
    {
        var packages = OnloadImageSpec.PlanPackages(new[] { "/p/onload-8.1.2.26-1.el9.x86_64.rpm", "/q/netperf-2.7.0-1.el9.x86_64.rpm" });
        string d = Spec(packages).ToDockerfile();
        string[] lines = d.Split('\n');
        Assert.StartsWith("# Generated by OnloadTools", lines[0]);
        Assert.Contains("FROM registry.access.redhat.com/ubi9/ubi\n", d);
        Assert.Contains("COPY [\"onload-8.1.2.26-1.el9.x86_64.rpm\", \"netperf-2.7.0-1.el9.x86_64.rpm\", \"/tmp/onloadtools-packages/\"]", d);
        Assert.Contains("dnf -y install /tmp/onloadtools-packages/onload-8.1.2.26-1.el9.x86_64.rpm /tmp/onloadtools-packages/netperf-2.7.0-1.el9.x86_64.rpm && dnf clean all", d);
        Assert.Contains("elif command -v yum >/dev/null 2>&1; then yum -y install /tmp/onloadtools-packages/onload-8.1.2.26-1.el9.x86_64.rpm", d);
        Assert.Contains("else microdnf -y install /tmp/onloadtools-packages/onload-8.1.2.26-1.el9.x86_64.rpm", d);
        Assert.DoesNotContain("apt-get", d);
        Assert.Contains("LABEL RUN=\"podman run -d --name NAME --net=host --init --device=/dev/onload --device=/dev/onload_epoll --device=/dev/onload_cplane IMAGE\"", d);
        Assert.DoesNotContain(" -device", d.Replace("--device", ""));   // the guide's typo cannot come back
        Assert.Contains("org.openonload.version=\"8.1.2.26\"", d);
        Assert.Contains("org.opencontainers.image.created=\"2024-01-10T12:00:00Z\"", d);
        Assert.Contains("org.opencontainers.image.base.name=\"registry.access.redhat.com/ubi9/ubi\"", d);
        Assert.EndsWith("CMD [\"onload\", \"--profile=latency\", \"netserver\", \"-D\"]\n", d);
    }

    [Fact]
    public void Deb_dockerfile_installs_with_apt_and_cleans_its_lists()
    {
        var packages = OnloadImageSpec.PlanPackages(new[] { "/p/onload_8.1.2.26-1_all.deb" });
        string d = Spec(packages).ToDockerfile();
        Assert.Contains("apt-get install -y --no-install-recommends /tmp/onloadtools-packages/onload_8.1.2.26-1_all.deb", d);
        Assert.Contains("rm -rf /tmp/onloadtools-packages /var/lib/apt/lists/*", d);
        Assert.DoesNotContain("dnf", d);
    }

    [Fact]
    public void User_text_cannot_break_out_of_the_dockerfile()
    {
        var packages = OnloadImageSpec.PlanPackages(new[] { "/p/on load$(id)\".rpm", "/q/on load$(id)\".rpm", "/r/.hidden.rpm" });
        Assert.Equal(new[] { "on_load__id__.rpm", "2-on_load__id__.rpm", "p.hidden.rpm" }, packages.Select(p => p.ContextName));
        string d = Spec(packages, new[] { "sh", "-c", "echo \"$HOME\" \\ done" }).ToDockerfile();
        Assert.Contains("CMD [\"sh\", \"-c\", \"echo \\\"$HOME\\\" \\\\ done\"]", d);
        Assert.Equal("\"a\\\"b\\$c\\\\d\"", OnloadImageSpec.LabelValue("a\"b$c\\d"));
        Assert.Throws<ArgumentException>(() => Spec(packages, new[] { "netserver", "-D\nRUN rm -rf /" }).ToDockerfile());
    }

    [Fact]
    public void Mixed_or_unknown_package_kinds_are_refused()
    {
        Assert.Throws<ArgumentException>(() => OnloadImageSpec.PlanPackages(new[] { "a.rpm", "b.deb" }));
        Assert.Throws<ArgumentException>(() => OnloadImageSpec.PlanPackages(new[] { "onload.tgz" }));
    }

    [Fact]
    public void Onload_versions_come_from_package_names_and_headers()
    {
        Assert.Equal("8.1.2.26", PackageFileProbe.VersionFromName("/x/onload-8.1.2.26-1.el8.x86_64.rpm"));
        Assert.Equal("201811", PackageFileProbe.VersionFromName("openonload_201811-1_amd64.deb"));
        Assert.Equal("8.1.2.26", PackageFileProbe.VersionFromName("onload-user_8.1.2.26-1_amd64.deb"));
        Assert.Null(PackageFileProbe.VersionFromName("netperf-2.7.0-1.el9.x86_64.rpm"));
        Assert.Equal("8.1.2.26", PackageFileProbe.UpstreamVersion("1:8.1.2.26-1", PackageKind.Deb));
        Assert.Equal("8.1.2.26", PackageFileProbe.UpstreamVersion("8.1.2.26", PackageKind.Rpm));
        Assert.True(PackageFileProbe.IsOnloadPackageName("onload"));
        Assert.True(PackageFileProbe.IsOnloadPackageName("openonload"));
        Assert.False(PackageFileProbe.IsOnloadPackageName("onload-devel"));
    }

    [Fact]
    public void Netserver_options_for_an_interface_and_port_replace_the_images()
    {
        var cmd = ContainerRunSpec.NetserverCommand(new[] { "onload", "--profile=latency", "netserver", "-D", "-p", "12865", "-L127.0.0.2" }, "192.168.10.3", 23865);
        Assert.Equal(new[] { "onload", "--profile=latency", "netserver", "-D", "-p", "23865", "-L", "192.168.10.3" }, cmd);
        Assert.Null(ContainerRunSpec.NetserverCommand(new[] { "sleep", "infinity" }, "10.0.0.1", null));
        Assert.Equal(new[] { "/usr/bin/netserver", "-D", "-L", "10.0.0.1" }, ContainerRunSpec.NetserverCommand(new[] { "/usr/bin/netserver", "-D" }, "10.0.0.1", null));
    }
}
