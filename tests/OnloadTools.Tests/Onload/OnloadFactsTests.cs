using OnloadTools.Containers;
using OnloadTools.Onload;
using OnloadTools.Processes;
using OnloadTools.Tests.Infrastructure;

namespace OnloadTools.Tests.Onload;

public class OnloadFactsTests
{
    [Theory]
    [InlineData("8.1.2.26", "8.1.2.26", true)]
    [InlineData("v8.1.2.26", "8.1.2.26", true)]
    [InlineData("8.1.2.26", "V8.1.2.26", true)]
    [InlineData("8.1.2.26", "9.0.1.44", false)]
    [InlineData(null, "8.1.2.26", false)]
    [InlineData("8.1.2.26", "", false)]
    public void Versions_match_but_for_a_leading_v(string? a, string? b, bool match) =>
        Assert.Equal(match, OnloadFacts.VersionsMatch(a, b));

    [Fact]
    public void Required_modules_and_devices_are_among_what_a_container_gets()
    {
        Assert.DoesNotContain("sfc", OnloadFacts.KernelModules); // the adapter's driver is judged by its interfaces
        Assert.Equal(OnloadFacts.RequiredDevices, OnloadFacts.DeviceNodes.Take(OnloadFacts.RequiredDevices.Length));
    }

    private static Dictionary<string, string> Labelled(string? version) =>
        version is null ? new() : new() { [OnloadFacts.VersionLabel] = version };

    [Fact]
    public void An_image_is_judged_against_the_hosts_onload()
    {
        var same = OnloadVersionCheck.Of("img", Labelled("v8.1.2.26"), "8.1.2.26");
        Assert.Equal(OnloadVersionAgreement.Match, same.Agreement);
        Assert.True(same.Matches);
        Assert.Null(same.Warning);

        var differs = OnloadVersionCheck.Of("img", Labelled("8.1.2.26"), "9.0.1.44");
        Assert.Equal(OnloadVersionAgreement.Mismatch, differs.Agreement);
        Assert.False(differs.Matches);
        var e = differs.Mismatch();
        Assert.Equal("Image 'img' holds Onload 8.1.2.26 but this host runs Onload 9.0.1.44. " +
                     "Onload's user-space library in a container must match the host's kernel module.", e.Summary);
        Assert.Equal(e.Summary + " " + OnloadVersionMismatchException.Remedy, e.Message);

        var unlabelled = OnloadVersionCheck.Of("img", Labelled(null), "8.1.2.26");
        Assert.Equal(OnloadVersionAgreement.ImageUnlabelled, unlabelled.Agreement);
        Assert.Null(unlabelled.Matches);
        Assert.Contains(OnloadFacts.VersionLabel, unlabelled.Warning);
        Assert.Throws<InvalidOperationException>(() => unlabelled.Mismatch());

        var noHost = OnloadVersionCheck.Of("img", Labelled("8.1.2.26"), null);
        Assert.Equal(OnloadVersionAgreement.HostWithoutOnload, noHost.Agreement);
        Assert.Contains("holds Onload 8.1.2.26", noHost.Warning);
    }

    [Fact]
    public void The_version_label_is_read_from_either_place_the_engines_put_it()
    {
        var podman = Assert.Single(InspectParser.ParseImages("[{\"Id\":\"sha256:1\",\"Labels\":{\"org.openonload.version\":\"8.1.2.26\"}}]"));
        var docker = Assert.Single(InspectParser.ParseImages("[{\"Id\":\"sha256:2\",\"Config\":{\"Labels\":{\"org.openonload.version\":\"9\"}}}]"));
        Assert.Equal("8.1.2.26", OnloadVersionCheck.Of("a", podman.Labels, null).ImageVersion);
        Assert.Equal("9", OnloadVersionCheck.Of("b", docker.Labels, null).ImageVersion);
    }

    [Fact]
    public void Onload_is_asked_its_version_one_way_here_or_wrapped()
    {
        var runner = new ScriptedRunner(c => (0, "Onload 8.1.2.26\nCopyright 2006-2023 Advanced Micro Devices, Inc.\n", ""), "onload", "podman");
        var here = OnloadVersionQuery.ReadAsync(runner, default).Result;
        Assert.True(here.Succeeded);
        Assert.Equal("8.1.2.26", here.Version);
        var inside = OnloadVersionQuery.ReadAsync(runner, default, c => new ToolCommand("podman", new[] { "exec", "c1", c.Tool }.Concat(c.Arguments))).Result;
        Assert.Equal("8.1.2.26", inside.Version);
        Assert.Equal(new[] { "onload --version", "podman exec c1 onload --version" }, runner.Commands.Select(c => c.CommandLine));
        Assert.All(runner.Timeouts, t => Assert.Equal(OnloadVersionQuery.Timeout, t));
    }

    [Fact]
    public void The_hosts_version_is_null_when_onload_is_absent_fails_or_names_no_release()
    {
        Assert.Null(OnloadVersionQuery.HostVersionAsync(new ScriptedRunner(c => (0, "Onload 8.1.2.26", "")), default).Result);
        Assert.Null(OnloadVersionQuery.HostVersionAsync(new ScriptedRunner(c => (1, "Onload 8.1.2.26", "broken"), "onload"), default).Result);
        Assert.Null(OnloadVersionQuery.HostVersionAsync(new ScriptedRunner(c => (0, "usage: onload [options] <command>", ""), "onload"), default).Result);
        Assert.Null(OnloadVersionQuery.HostVersionAsync(new ScriptedRunner(c => throw new ToolTimeoutException("onload --version", TimeSpan.FromSeconds(1)), "onload"), default).Result);
        Assert.Equal("8.1.2.26", OnloadVersionQuery.HostVersionAsync(new ScriptedRunner(c => (0, "", "Onload 8.1.2.26"), "onload"), default).Result);
    }
}
