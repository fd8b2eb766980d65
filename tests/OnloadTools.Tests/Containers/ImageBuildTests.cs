using OnloadTools.Containers;
using OnloadTools.Processes;

namespace OnloadTools.Tests.Containers;

/// <summary>A running build read the way New-OnloadImage reads it (a real process stands in for the engine).</summary>
public class ImageBuildTests
{
    private static ImageBuild Start(string script)
    {
        var command = new ToolCommand("sh", "-c", script);
        return new ImageBuild(ToolRunner.Default.Start(command), command, "localhost/t:1");
    }

    [Fact]
    public void Each_line_is_handed_out_once_and_the_last_step_follows_them()
    {
        using var build = Start("echo 'STEP 1/3: FROM base'; echo 'STEP 2/3: COPY x'");
        build.WaitAsync(default).Wait(TimeSpan.FromSeconds(30));
        Assert.Equal(new[] { "STEP 1/3: FROM base", "STEP 2/3: COPY x" }, build.NewLines());
        Assert.Equal((2, 3), (build.LastStep?.Step, build.LastStep?.Total));
        Assert.Empty(build.NewLines());
        Assert.Empty(build.NewLines(final: true));
        Assert.Equal(2, build.LastStep?.Step);
        build.ThrowIfFailed();
    }

    [Fact]
    public void A_failed_build_keeps_the_engines_last_words()
    {
        using var build = Start("for i in $(seq 1 100); do echo line $i; done; echo 'Error: no such file: x.rpm' >&2; exit 125");
        build.WaitAsync(default).Wait(TimeSpan.FromSeconds(30));
        var e = Assert.Throws<ImageBuildFailedException>(build.ThrowIfFailed);
        Assert.Equal("localhost/t:1", e.Tag);
        Assert.Equal(125, e.Result.ExitCode);
        Assert.Contains("no such file: x.rpm", e.Message);
        Assert.Equal(ImageBuild.FailureTailLines, e.Result.StandardOutput.Split('\n').Length);
        Assert.EndsWith("line 100", e.Result.StandardOutput);
    }

    [Fact]
    public void An_unreachable_daemon_is_unavailable_not_a_failed_build()
    {
        using var build = Start("echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2; exit 1");
        build.WaitAsync(default).Wait(TimeSpan.FromSeconds(30));
        Assert.Throws<ContainerEngineUnavailableException>(build.ThrowIfFailed);
    }
}
