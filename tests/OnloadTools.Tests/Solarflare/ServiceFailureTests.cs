using OnloadTools.Processes;
using OnloadTools.Solarflare;
using OnloadTools.Tests.Infrastructure;

namespace OnloadTools.Tests.Solarflare;

/// <summary>The typed failures of the Solarflare services, which the cmdlets turn into ErrorIds without reading words.</summary>
public class ServiceFailureTests
{
    [Fact]
    public void A_port_sfupdate_does_not_list_is_an_adapter_not_found_naming_sfupdate()
    {
        string listing = TestPaths.ReadFixture("solarflare", "sfupdate_list_v8_modelled.txt");
        var service = new SfcToolService(new ScriptedRunner(c => (0, listing, ""), "sfupdate"));
        var (_, ports) = service.ReadFirmwarePortsAsync(null, default).Result;
        Assert.NotEmpty(ports);
        var e = Assert.Throws<SfcAdapterNotFoundException>(() => service.ReadFirmwarePortsAsync("nosuch0", default).GetAwaiter().GetResult());
        Assert.Equal("sfupdate", e.Tool);
        Assert.Equal("nosuch0", e.InterfaceName);
        Assert.Contains("nosuch0", e.Message);
    }

    [Fact]
    public void Sfboot_without_adapters_names_sfboot()
    {
        var service = new SfcToolService(new ScriptedRunner(c => (1, "", "No supported Solarflare adapters found"), "sfboot"));
        var e = Assert.Throws<SfcAdapterNotFoundException>(() => service.ReadBootConfigAsync(null, default).GetAwaiter().GetResult());
        Assert.Equal("sfboot", e.Tool);
        Assert.Null(e.InterfaceName);
    }

    [Fact]
    public void Rpmbuild_and_rpm_failures_are_told_apart_by_type()
    {
        string dir = Directory.CreateTempSubdirectory("onloadtools-rpm-").FullName;
        try
        {
            string source = Path.Combine(dir, "openonload-8.1.2.26.tgz");
            File.WriteAllText(source, "");
            var failing = new ScriptedRunner(c => (1, "", "error: Failed build dependencies"), "rpmbuild", "rpm");
            Assert.Throws<RpmbuildFailedException>(() => Build(failing, source, dir));

            // rpmbuild "makes" one package; then rpm fails, or prints no header.
            string Make(ToolCommand c)
            {
                string rpms = Path.Combine(dir, "top", "RPMS", "x86_64");
                Directory.CreateDirectory(rpms);
                File.WriteAllText(Path.Combine(rpms, "openonload-8.1.2.26-1.x86_64.rpm"), "");
                return "";
            }
            var rpmFails = new ScriptedRunner(c => c.Tool == "rpmbuild" ? (0, Make(c), "") : (1, "", "error: not an rpm package"), "rpmbuild", "rpm");
            Assert.Throws<RpmQueryFailedException>(() => Build(rpmFails, source, dir));
            var rpmMute = new ScriptedRunner(c => c.Tool == "rpmbuild" ? (0, Make(c), "") : (0, "garbage", ""), "rpmbuild", "rpm");
            Assert.Throws<RpmQueryUnparsableException>(() => Build(rpmMute, source, dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Build(IToolRunner runner, string source, string dir) =>
        new OnloadPackageBuilder(runner).BuildAsync(source, Path.Combine(dir, "out"), Path.Combine(dir, "top"), false, false, TimeSpan.FromMinutes(1), default)
            .GetAwaiter().GetResult();
}
