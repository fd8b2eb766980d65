using OnloadTools.Solarflare;

namespace OnloadTools.Tests.Solarflare;

public class SfcPartitioningTests
{
    [Fact]
    public void The_guides_command_line_is_built_exactly()
    {
        var r = new SfcPartitioningRequest { InterfaceName = "p1p1", PfCount = 2, SwitchMode = "partitioning", FirmwareVariant = "full-feature" };
        Assert.Equal("sfboot --adapter=p1p1 pf-count=2 switch-mode=partitioning firmware-variant=full-feature", SfcPartitioning.BuildCommand(r).CommandLine);
        var all = new SfcPartitioningRequest { PfCount = 2 };
        Assert.Equal("sfboot pf-count=2 switch-mode=partitioning firmware-variant=full-feature", SfcPartitioning.BuildCommand(all).CommandLine);
        var vlans = new SfcPartitioningRequest { InterfaceName = "p1p2", PfCount = 2, PfVlans = new[] { 0, 100 } };
        Assert.Equal(new[] { "--adapter=p1p2", "pf-count=2", "switch-mode=partitioning", "firmware-variant=full-feature", "pf-vlans=0,100" },
            SfcPartitioning.BuildCommand(vlans).Arguments);
        Assert.Equal("pf-vlans=none", SfcPartitioning.BuildCommand(new SfcPartitioningRequest { PfCount = 2, PfVlans = Array.Empty<int>() }).Arguments[^1]);
    }

    [Fact]
    public void The_guides_configuration_is_valid() =>
        Assert.Empty(SfcPartitioning.Validate(new SfcPartitioningRequest { PfCount = 2, SwitchMode = "partitioning", FirmwareVariant = "full-feature" }));

    [Theory]
    [InlineData(2, "partitioning", "ultra-low-latency", null, "needs firmware-variant=full-feature")]
    [InlineData(2, "partitioning-with-sriov", "auto", null, "needs firmware-variant=full-feature")]
    [InlineData(2, "default", "full-feature", null, "single physical function")]
    [InlineData(4, "sriov", "full-feature", null, "single physical function")]
    [InlineData(17, "partitioning", "full-feature", null, "between 1 and 16")]
    [InlineData(2, "partitioning", "full-feature", "0,100,200", "at most one tag per physical function")]
    [InlineData(2, "partitioning", "full-feature", "100,100", "repeats a tag")]
    [InlineData(2, "partitioning", "full-feature", "0,4095", "outside 0-4094")]
    [InlineData(1, "default", "full-feature", "100", "applies only to partitioned ports")]
    public void Combinations_sfboot_rejects_are_refused(int pfCount, string mode, string variant, string? vlans, string expected)
    {
        var r = new SfcPartitioningRequest
        {
            PfCount = pfCount, SwitchMode = mode, FirmwareVariant = variant,
            PfVlans = vlans?.Split(',').Select(int.Parse).ToArray(),
        };
        Assert.Contains(SfcPartitioning.Validate(r), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void The_plan_lists_before_and_after_of_each_changed_setting()
    {
        var before = new SfcAdapter { InterfaceName = "p1p1", PfCount = 1, SwitchMode = "default", FirmwareVariant = "full-feature" };
        var plan = SfcPartitioning.Plan(before, new SfcPartitioningRequest { InterfaceName = "p1p1", PfCount = 2 }, "cmd");
        Assert.Equal(new[] { "pf-count: 1 -> 2", "switch-mode: default -> partitioning" }, plan.Changes);
        Assert.False(plan.Changed);

        var same = new SfcAdapter { InterfaceName = "p1p1", PfCount = 2, SwitchMode = "partitioning", FirmwareVariant = "full-feature" };
        Assert.Empty(SfcPartitioning.Plan(same, new SfcPartitioningRequest { PfCount = 2 }, "cmd").Changes);

        SfcPartitioning.Complete(plan, same);
        Assert.True(plan.Changed);
        Assert.True(plan.ColdRebootRequired);
        Assert.Equal(2, plan.PfCountAfter);
    }
}
