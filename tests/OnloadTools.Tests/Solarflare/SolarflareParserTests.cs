using CsCheck;
using OnloadTools.Onload;
using OnloadTools.Solarflare;
using OnloadTools.Tuning;

namespace OnloadTools.Tests.Solarflare;

public class SfbootParserTests
{
    private static string Fixture(string name) => TestPaths.ReadFixture("solarflare", name);

    [Fact]
    public void V8_listing_of_two_ports_maps_every_setting_with_units()
    {
        var output = SfbootParser.Parse(Fixture("sfboot_v8.2.4_two_adapters.txt"));
        Assert.Equal("8.2.4", output.UtilityVersion);
        Assert.Equal(new[] { "enp196s0f0np0", "enp196s0f1np1" }, output.Ports.Select(p => p.InterfaceName));

        var a = SfbootParser.ToAdapter(output.Ports[0], output.UtilityVersion);
        Assert.Equal("Option ROM and UEFI", a.BootImage);
        Assert.Null(a.LinkSpeedMbps);
        Assert.Equal("Negotiated automatically", a.LinkSpeed);
        Assert.Equal(5, a.LinkUpDelaySeconds);
        Assert.Equal(2, a.BannerDelaySeconds);
        Assert.Equal(5, a.BootSkipDelaySeconds);
        Assert.Equal("PXE", a.BootType);
        Assert.Equal(1, a.PfCount);
        Assert.Equal(32, a.MsixLimit);
        Assert.Equal(0, a.VfCount);
        Assert.Equal(8, a.VfMsixLimit);
        Assert.Equal("[4x10/25G]", a.PortMode);
        Assert.Equal("full-feature", a.FirmwareVariant);
        Assert.Equal("default", a.SwitchMode);
        Assert.Empty(a.PfVlans);
        Assert.Equal(32, a.RxDescriptorCacheSize);
        Assert.Equal(16, a.TxDescriptorCacheSize);
        Assert.Equal(2048, a.ViCount);
        Assert.Equal(1500, a.EventMergeTimeoutNs);

        var b = SfbootParser.ToAdapter(output.Ports[1], output.UtilityVersion);
        Assert.Equal(10000, b.LinkSpeedMbps);
        Assert.Equal(255, b.LinkUpDelaySeconds);
        Assert.Equal(0, b.BootSkipDelaySeconds);
        Assert.Equal("Disabled", b.BootType);
        Assert.Equal(4, b.PfCount);
        Assert.Equal(2, b.VfCount);
        Assert.Equal(new[] { 0, 100, 110, 120 }, b.PfVlans);
        Assert.Equal("partitioning-with-sriov", b.SwitchMode);
    }

    [Fact]
    public void V4_listing_uses_the_old_labels_unicode_hyphens_and_single_spaces()
    {
        var output = SfbootParser.Parse(Fixture("sfboot_v4.5.0_sriov.txt"));
        Assert.Equal("4.5.0", output.UtilityVersion);
        var port = Assert.Single(output.Ports);
        Assert.Equal("eth8", port.InterfaceName);
        var a = SfbootParser.ToAdapter(port, output.UtilityVersion);
        Assert.Equal("Option ROM only", a.BootImage);
        Assert.Equal(5, a.LinkUpDelaySeconds);          // "Link‐up delay time" with U+2010
        Assert.Equal(1, a.PfCount);                      // "Physical Functions per port"
        Assert.Equal(32, a.MsixLimit);                   // "MSI‐X interrupt limit"
        Assert.Equal(2, a.VfCount);                      // "Number of Virtual Functions"
        Assert.Equal(8, a.VfMsixLimit);                  // not confused with "MSI-X interrupt limit"
        Assert.Equal("full-feature", a.FirmwareVariant); // "full feature / virtualization"
        Assert.Equal("sriov", a.SwitchMode);             // "SRIOV"
        Assert.Equal("Disabled", a.InsecureFilters);
        Assert.Empty(a.PfVlans);
    }

    [Theory]
    [InlineData("10G bits/second", 10000)]
    [InlineData("1G bits/second", 1000)]
    [InlineData("100M bits/second", 100)]
    [InlineData("25G bits/second", 25000)]
    public void Link_speeds_are_parsed_to_megabits(string text, int mbps) => Assert.Equal(mbps, SfbootParser.SpeedMbps(text));

    [Theory]
    [InlineData("Partitioning with SR-IOV", "partitioning-with-sriov")]
    [InlineData("Partitioning with SRIOV", "partitioning-with-sriov")]
    [InlineData("SR-IOV", "sriov")]
    [InlineData("PFIOV", "pfiov")]
    [InlineData("Default", "default")]
    public void Switch_modes_of_both_versions_map_to_the_sfboot_value(string shown, string value) =>
        Assert.Equal(value, SfbootParser.SwitchModeToken(shown));

    [Theory]
    [InlineData("Full feature / virtualization", "full-feature")]
    [InlineData("Ultra low latency", "ultra-low-latency")]
    [InlineData("Capture packed stream", "capture-packed-stream")]
    [InlineData("Data Plane Development Kit (DPDK)", "dpdk")]
    [InlineData("Auto", "auto")]
    public void Firmware_variants_map_to_the_sfboot_value(string shown, string value) =>
        Assert.Equal(value, SfbootParser.FirmwareVariantToken(shown));

    [Fact]
    public void Arbitrary_text_never_throws() =>
        Gen.String.Sample(s =>
        {
            var o = SfbootParser.Parse(s);
            foreach (var p in o.Ports) SfbootParser.ToAdapter(p, o.UtilityVersion);
        }, iter: 2000);

    [Fact]
    public void Arbitrary_lines_around_real_labels_never_throw() =>
        Gen.Select(Gen.String, Gen.OneOf("  Link speed   ", "eth0:", "  VLAN tags  ", "Switch mode ", "  Link-up delay time "), Gen.String)
            .Sample(t =>
            {
                var o = SfbootParser.Parse("eth0:\n" + t.Item2 + t.Item1 + "\n" + t.Item3);
                foreach (var p in o.Ports) SfbootParser.ToAdapter(p, o.UtilityVersion);
            }, iter: 2000);
}

public class SfupdateParserTests
{
    private static string Fixture(string name) => TestPaths.ReadFixture("solarflare", name);

    [Fact]
    public void V4_write_transcript_lists_controller_and_boot_rom_writes()
    {
        var o = SfupdateParser.Parse(Fixture("sfupdate_write_v4.6.6.txt"));
        Assert.Equal("4.6.6", o.UtilityVersion);
        Assert.Equal(2, o.Writes.Count);
        Assert.Equal(new SfupdateWrite("eno49", "controller firmware", "3.3.0.6275", "3.3.1.1003"), o.Writes[0]);
        Assert.Equal(new SfupdateWrite("eno49", "Boot ROM", "3.3.1.6312", "4.4.0.1002"), o.Writes[1]);
        Assert.Equal(100, o.LastPercent);
        Assert.Equal("Complete", o.LastPhase);
    }

    [Fact]
    public void V8_write_transcript_has_a_bundle_write_and_the_last_progress_phase()
    {
        var o = SfupdateParser.Parse(Fixture("sfupdate_write_v8.2.4_interrupted.txt"));
        Assert.Equal("8.2.4", o.UtilityVersion);
        Assert.Equal(new SfupdateWrite("ens2f0np0", "Bundle firmware", "8.0.1.1002", "8.5.2.1000"), Assert.Single(o.Writes));
        Assert.Equal(0, o.LastPercent);
        Assert.Equal("Validating", o.LastPhase);
    }

    [Fact]
    public void V4_listing_gives_versions_and_available_updates_per_port()
    {
        var o = SfupdateParser.Parse(Fixture("sfupdate_list_v4_modelled.txt"));
        Assert.Equal(new[] { "eno49", "eno50" }, o.Ports.Select(p => p.InterfaceName));
        var p = o.Ports[0];
        Assert.Equal("00-0F-53-21-9B-B0", p.MacAddress);
        Assert.Equal("3.3.0.6275", p.ControllerVersion);
        Assert.Equal("3.3.1.6312", p.BootRomVersion);
        Assert.Equal("Solarflare SFC9000 family", p.ControllerType);
        Assert.Null(p.BundleVersion);
        Assert.Equal(new[] { "Boot ROM firmware 4.4.0.1002", "controller firmware 3.3.1.1003" }, p.AvailableUpdates);
    }

    [Fact]
    public void V8_listing_gives_bundle_and_uefi_versions()
    {
        var o = SfupdateParser.Parse(Fixture("sfupdate_list_v8_modelled.txt"));
        var p = o.Ports[1];
        Assert.Equal("ens2f1np1", p.InterfaceName);
        Assert.Equal("8.0.1.1002", p.BundleVersion);
        Assert.Equal("2.9.7.2", p.UefiRomVersion);
        Assert.Equal("SFN8522", p.BundleType);
        Assert.Equal(new[] { "Bundle firmware 8.5.2.1000" }, p.AvailableUpdates);
    }

    [Fact]
    public void No_adapter_is_recognised()
    {
        var o = SfupdateParser.Parse("Solarflare firmware update utility [v8.2.2]\nCopyright 2002-2020 Xilinx, Inc.\nLoading firmware images from /usr/share/sfutils/sfupdate_images\nNo supported Solarflare adapters found\n");
        Assert.True(o.NoAdapters);
        Assert.Empty(o.Ports);
        Assert.Equal("8.2.2", o.UtilityVersion);
    }

    [Theory]
    [InlineData("v4.2.2.1003 rx1 tx1", "4.2.2.1003")]
    [InlineData("v8.5.2.1000", "8.5.2.1000")]
    [InlineData("  ", null)]
    public void Version_tokens_lose_the_v_and_the_rx_tx_suffix(string text, string? expected) =>
        Assert.Equal(expected, SfupdateParser.VersionToken(text));

    [Fact]
    public void Arbitrary_text_never_throws() => Gen.String.Sample(s => { SfupdateParser.Parse(s); }, iter: 2000);
}

public class SmallParserTests
{
    [Fact]
    public void Ethtool_i_of_sfc_gives_driver_version_firmware_and_bus()
    {
        var info = EthtoolInfoParser.Parse(TestPaths.ReadFixture("solarflare", "ethtool_i_sfc_v5.3.3.txt"));
        var a = new SfcAdapter();
        EthtoolInfoParser.Apply(info, a);
        Assert.Equal("sfc", a.Driver);
        Assert.Equal("5.3.3.2000.1", a.DriverVersion);
        Assert.Equal("7.8.7.1005 rx0 tx0", a.RunningFirmwareVersion);
        Assert.Equal("0000:3b:00.0", a.BusAddress);
        Assert.Equal("", info["expansion-rom-version"]);
    }

    [Theory]
    [InlineData("onload_banner_openonload_201811.txt", "201811")]
    [InlineData("onload_banner_20201215.txt", "20201215")]
    public void Onload_banners_give_the_version(string fixture, string version) =>
        Assert.Equal(version, OnloadVersionParser.Parse(TestPaths.ReadFixture("solarflare", fixture)));

    [Theory]
    [InlineData("0-3,8,10-11", new[] { 0, 1, 2, 3, 8, 10, 11 })]
    [InlineData("5", new[] { 5 })]
    [InlineData("", new int[0])]
    [InlineData("7-3", new int[0])]
    public void Cpu_lists_expand(string text, int[] cpus) => Assert.Equal(cpus, CpuList.Parse(text));

    [Fact]
    public void Rpm_query_lines_parse_and_kinds_follow_the_names()
    {
        Assert.Equal(("openonload", "8.1.2.26", "1.el9", "x86_64"), OnloadPackageBuilder.ParseQuery("openonload\t8.1.2.26\t1.el9\tx86_64\n"));
        Assert.Null(OnloadPackageBuilder.ParseQuery("garbage"));
        Assert.Equal("KernelModule", OnloadPackageBuilder.KindOf("kmod-openonload", "kmod-openonload-8.1.2.26-1.x86_64.rpm"));
        Assert.Equal("UserSpace", OnloadPackageBuilder.KindOf("openonload", "openonload-8.1.2.26-1.x86_64.rpm"));
        Assert.Equal("Development", OnloadPackageBuilder.KindOf("openonload-devel", "openonload-devel-8.1.2.26-1.x86_64.rpm"));
        Assert.Equal("Source", OnloadPackageBuilder.KindOf("openonload", "openonload-8.1.2.26-1.src.rpm"));
    }

    [Fact]
    public void Small_parsers_never_throw_on_arbitrary_text() =>
        Gen.String.Sample(s =>
        {
            EthtoolInfoParser.Parse(s);
            CpuList.Parse(s);
            OnloadVersionParser.Parse(s);
            OnloadPackageBuilder.ParseQuery(s);
            InterfaceAddresses.ParseIfInet6(s).ToList();
            InterfaceAddresses.ParseRoutes(s);
            InterfaceAddresses.ParseFibTrieLocal(s).ToList();
            SfbootParser.Vlans(s);
            SfbootParser.SpeedMbps(s);
        }, iter: 2000);
}
