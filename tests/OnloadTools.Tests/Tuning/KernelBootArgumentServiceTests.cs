using OnloadTools.Processes;
using OnloadTools.Tests.Infrastructure;
using OnloadTools.Tuning;

namespace OnloadTools.Tests.Tuning;

public class KernelBootArgumentServiceTests
{
    private const string DefaultEntry = "index=0\nkernel=\"/boot/vmlinuz-5.14.0\"\nargs=\"ro quiet isolcpus=2-3 nosoftlockup\"\nroot=\"/dev/mapper/rhel-root\"\n";

    [Fact]
    public void Applying_reports_the_next_boot_and_whether_the_running_kernel_differs()
    {
        var runner = new ScriptedRunner(c => c.Arguments.Contains("--info=DEFAULT") ? (0, DefaultEntry, "") : (0, "", ""), "grubby");
        var service = new KernelBootArgumentService(runner, FakeHost.Fs(FakeHost.TwoSocket));
        var change = service.ApplyAsync(new[] { "isolcpus=2-3" }, new[] { "rhgb" }, default).Result.Change;
        Assert.Equal("grubby --update-kernel=ALL --args=isolcpus=2-3 --remove-args=rhgb", change.CommandLine);
        Assert.Equal("/boot/vmlinuz-5.14.0", change.DefaultKernel);
        Assert.Equal("ro quiet isolcpus=2-3 nosoftlockup root=/dev/mapper/rhel-root", change.NextBootArguments);
        Assert.True(change.RebootRequired); // the running kernel has other isolcpus and still has rhgb

        // Arguments the running kernel already has (and lacks, for a removal) need no reboot.
        var same = service.ApplyAsync(new[] { "nosoftlockup" }, new[] { "nohz_full" }, default).Result.Change;
        Assert.False(same.RebootRequired);
    }

    [Theory]
    [InlineData("grubby: error: Permission denied", true)]
    [InlineData("grubby fatal error: unable to open /boot/loader/entries/x.conf: permission denied", true)]
    [InlineData("grubby: The param --args=x is not valid", false)]
    public void A_refused_write_is_told_apart_from_other_failures(string said, bool permission)
    {
        var runner = new ScriptedRunner(c => (1, "", said), "grubby");
        var e = Assert.ThrowsAny<ToolFailedException>(() => new GrubbyService(runner).UpdateAsync(new[] { "x" }, Array.Empty<string>(), default).GetAwaiter().GetResult());
        Assert.Equal(permission, e is GrubbyPermissionDeniedException);
        Assert.Contains(said, e.Message);
    }

    [Theory]
    [InlineData("isolcpus=1,3", true)]
    [InlineData("nosoftlockup", true)]
    [InlineData("a b", false)]
    [InlineData("-x", false)]
    [InlineData("=1", false)]
    [InlineData("x=\"1\"", false)]
    public void Only_single_arguments_reach_grubby(string argument, bool fine) =>
        Assert.Equal(fine, KernelBootArgumentService.ArgumentProblem(argument) is null);
}
