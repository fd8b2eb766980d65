using OnloadTools.Host;
using OnloadTools.Onload;
using OnloadTools.Processes;

namespace OnloadTools.Tests.Onload;

public class OnloadHostInspectorTests
{
    [Fact]
    public void A_host_with_onload_loaded_is_ready()
    {
        var runner = new FakeOnloadRunner("Onload 8.1.2.26\nCopyright 2006-2023 Advanced Micro Devices, Inc.\n");
        var info = new OnloadHostInspector(runner, new HostFileSystem(TestPaths.Fixture("hosts", "sfc-dual-port"))).InspectAsync(default).Result;
        Assert.True(info.Installed);
        Assert.Equal("8.1.2.26", info.Version);
        Assert.Equal("8.1.2.26", info.KernelModuleVersion);
        // Onload's modules; sfc, the adapter's network driver, is judged by the interfaces it drives (SfcInterfaceCount).
        Assert.Equal(new[] { "onload", "sfc_char", "sfc_resource" }, info.LoadedModules);
        Assert.Empty(info.MissingModules);
        Assert.Equal(4, info.DeviceNodes.Length);
        Assert.Contains("latency", info.Profiles);
        Assert.DoesNotContain("throughput", info.Profiles); // .opf-fragment files are not profiles
        Assert.Equal(4, info.SfcInterfaceCount);
        Assert.Empty(info.Problems);
        Assert.True(info.Ready);
        Assert.Equal("sfc-host-01", info.ComputerName);
    }

    [Fact]
    public void A_host_without_onload_says_so_plainly()
    {
        var info = new OnloadHostInspector(new FakeOnloadRunner(null), new HostFileSystem("/")).InspectAsync(default).Result;
        Assert.False(info.Installed);
        Assert.Null(info.Version);
        Assert.False(info.Ready);
        Assert.Contains(info.Problems, p => p.Contains("not installed", StringComparison.Ordinal));
        Assert.Equal(new[] { "/dev/onload", "/dev/onload_epoll" }, info.MissingDeviceNodes);
    }

    /// <summary>A runner where onload is installed (answering --version with the given text) or absent (null).</summary>
    private sealed class FakeOnloadRunner(string? versionOutput) : IToolRunner
    {
        public string? Which(string tool) => tool == "onload" && versionOutput is not null ? "/usr/bin/onload" : null;

        public Task<ToolResult> RunAsync(ToolCommand command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            if (Which(command.Tool) is null) throw new ToolNotFoundException(command.Tool);
            return Task.FromResult(new ToolResult
            {
                CommandLine = command.CommandLine, ExecutablePath = "/usr/bin/onload", ExitCode = 0,
                StandardOutput = versionOutput!, StandardError = "", StartTime = DateTime.UtcNow, EndTime = DateTime.UtcNow,
            });
        }

        public BackgroundProcess Start(ToolCommand command) => throw new NotSupportedException();
    }
}
