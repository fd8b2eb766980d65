namespace OnloadTools.Tests.Infrastructure;

/// <summary>
/// The fake hosts under tests/fixtures/hosts model sysfs as the kernel lays it out: /sys/class/net entries and the
/// device/driver entries are symlinks. A copy of the repository that turned them into plain files (a tool that does
/// not keep links) breaks every sysfs reader test in a confusing way; this says what is wrong instead.
/// </summary>
public class FakeHostFixtureTests
{
    public static TheoryData<string> Hosts() => new() { "sfc-dual-port", "two-socket-sfc-node1" };

    [Theory]
    [MemberData(nameof(Hosts))]
    public void Sysfs_class_net_and_driver_entries_are_symlinks_that_resolve(string host)
    {
        string root = TestPaths.Fixture("hosts", host);
        string classNet = Path.Combine(root, "sys", "class", "net");
        var entries = Directory.GetFileSystemEntries(classNet);
        Assert.NotEmpty(entries);
        foreach (string entry in entries)
        {
            var info = new FileInfo(entry);
            Assert.True(info.LinkTarget is not null, $"{entry} should be a symlink into sys/devices, not a plain file");
            Assert.True(Directory.Exists(entry), $"{entry} -> {info.LinkTarget} does not resolve");
            string device = Path.Combine(entry, "device");
            if (Path.GetFileName(entry) == "lo") continue;
            Assert.True(new FileInfo(device).LinkTarget is not null, $"{device} should be a symlink");
            string driver = Path.Combine(device, "driver");
            Assert.True(new FileInfo(driver).LinkTarget is not null, $"{driver} should be a symlink");
            Assert.True(Directory.Exists(driver), $"{driver} -> {new FileInfo(driver).LinkTarget} does not resolve");
        }
    }
}
