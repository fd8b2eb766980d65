using OnloadTools.Host;
using OnloadTools.Tests.Infrastructure;
using OnloadTools.Tuning;

namespace OnloadTools.Tests.Tuning;

/// <summary>
/// grubby --info on RHEL 8/9 where tuned manages boot arguments prints args="… $tuned_params": a GRUB variable that
/// GRUB fills from grubenv at boot, never an argument the kernel receives (issue 17 item 14).
/// </summary>
public class GrubVariableTests
{
    private const string TunedHost = "rhel9-tuned-cpu-partitioning";
    private const string Options = "ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet $tuned_params";
    private static readonly string TunedEntry =
        "index=0\nkernel=\"/boot/vmlinuz-5.14.0-162.6.1.el9_1.x86_64\"\nargs=\"" + Options + "\"\nroot=\"/dev/mapper/rhel-root\"\n" +
        "initrd=\"/boot/initramfs-5.14.0-162.6.1.el9_1.x86_64.img $tuned_initrd\"\ntitle=\"Red Hat Enterprise Linux (5.14.0-162.6.1.el9_1.x86_64) 9.1 (Plow)\"\n" +
        "id=\"4d684a4a6166439a867e701ded4f7e10-5.14.0-162.6.1.el9_1.x86_64\"\n";

    private static ScriptedRunner Grubby(string entry) =>
        new(c => c.Arguments.Contains("--info=DEFAULT") ? (0, entry, "") : (0, "", ""), "grubby");

    [Fact]
    public void The_environment_block_is_read_as_grub2_editenv_lists_it()
    {
        var env = GrubEnvironment.Parse(File.ReadAllText(Path.Combine(FakeHost.Root(TunedHost), "boot/grub2/grubenv")));
        Assert.Equal("skew_tick=1 tsc=reliable rcupdate.rcu_normal_after_boot=1 isolcpus=managed_irq,domain,2-7 intel_pstate=disable nosoftlockup nohz=on nohz_full=2-7 rcu_nocbs=2-7 tuned.non_isolcpus=00000003",
            env["tuned_params"]);
        Assert.Equal("", env["tuned_initrd"]);
        Assert.Equal(new[] { "boot_indeterminate", "boot_success", "saved_entry", "tuned_initrd", "tuned_params" }, env.Keys.Order(StringComparer.Ordinal));
        // grub-editenv escapes a backslash and a newline with a backslash
        Assert.Equal("a\\b\nc", GrubEnvironment.Parse("# GRUB Environment Block\nx=a\\\\b\\\nc\n####")["x"]);
        Assert.Empty(GrubEnvironment.Parse("##########"));
    }

    [Fact]
    public void A_variable_reference_is_never_an_argument()
    {
        var args = KernelCommandLine.Parse("ro quiet $tuned_params ${kernelopts}");
        Assert.Equal(new[] { "ro", "quiet" }, args.Select(a => a.Name));
    }

    [Fact]
    public void Variables_expand_from_the_environment_block_as_grub_does()
    {
        var env = new Dictionary<string, string> { ["tuned_params"] = "isolcpus=2-7 nohz=on", ["kernelopts"] = "root=/dev/sda1 ro" };
        var e = KernelCommandLine.ExpandGrubVariables("${kernelopts} quiet $tuned_params $undefined", env);
        Assert.Equal("root=/dev/sda1 ro quiet isolcpus=2-7 nohz=on", e.Text);
        Assert.Equal(new[] { "kernelopts", "tuned_params", "undefined" }, e.Variables);
        Assert.Empty(e.Unresolved);
        Assert.Equal("tuned_params", e.FromVariable["isolcpus=2-7"]);
        Assert.False(e.FromVariable.ContainsKey("quiet"));

        // grubenv unreadable: the reference stays as written and is named, never parsed as an argument
        var unknown = KernelCommandLine.ExpandGrubVariables("ro quiet $tuned_params", null);
        Assert.Equal("ro quiet $tuned_params", unknown.Text);
        Assert.Equal(new[] { "tuned_params" }, unknown.Unresolved);
        Assert.Equal(new[] { "ro", "quiet" }, KernelCommandLine.Parse(unknown.Text).Select(a => a.Name));
    }

    [Fact]
    public void Tuned_params_is_resolved_from_grubenv_and_nothing_is_pending()
    {
        var service = new KernelBootArgumentService(Grubby(TunedEntry), FakeHost.Fs(TunedHost));
        var c = service.CompareAsync(default).Result;
        Assert.DoesNotContain(c.Arguments, a => a.Name.StartsWith('$'));
        Assert.Empty(c.Pending);
        var iso = Assert.Single(c.Arguments, a => a.Name == "isolcpus");
        Assert.True(iso.NextBoot);
        Assert.Equal(new[] { 2, 3, 4, 5, 6, 7 }, iso.Cpus);
        Assert.Contains("isolcpus=managed_irq,domain,2-7", c.NextBootArguments);
        Assert.DoesNotContain("$tuned_params", c.NextBootArguments);
        Assert.Null(c.NextBootNote);
        Assert.Contains(c.NextBootVariables, v => v.StartsWith("$tuned_params = 'skew_tick=1", StringComparison.Ordinal) && v.Contains("/boot/grub2/grubenv"));
    }

    [Fact]
    public void A_changed_tuned_params_shows_as_pending_changes()
    {
        string root = FakeHost.Copy(TunedHost);
        try
        {
            string grubenv = Path.Combine(root, "boot/grub2/grubenv");
            File.WriteAllText(grubenv, File.ReadAllText(grubenv).Replace("domain,2-7", "domain,4-7"));
            var c = new KernelBootArgumentService(Grubby(TunedEntry), new HostFileSystem(root)).CompareAsync(default).Result;
            var pending = Assert.Single(c.Pending);
            Assert.Equal(("isolcpus", "Changed", "managed_irq,domain,4-7"), (pending.Name, pending.Pending, pending.NextBootValue));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void Without_a_readable_grubenv_the_variable_is_shown_as_what_it_is_and_nothing_is_called_removed()
    {
        string root = FakeHost.Copy(TunedHost);
        try
        {
            File.Delete(Path.Combine(root, "boot/grub2/grubenv"));
            var c = new KernelBootArgumentService(Grubby(TunedEntry), new HostFileSystem(root)).CompareAsync(default).Result;
            Assert.DoesNotContain(c.Arguments, a => a.Name.StartsWith('$'));
            Assert.Empty(c.Pending); // isolcpus may well come from $tuned_params: unknown, not Removed
            var iso = Assert.Single(c.Arguments, a => a.Name == "isolcpus");
            Assert.Null(iso.NextBoot);
            Assert.True(Assert.Single(c.Arguments, a => a.Name == "quiet").NextBoot);
            Assert.EndsWith("$tuned_params root=/dev/mapper/rhel-root", c.NextBootArguments);
            Assert.Contains("$tuned_params", c.NextBootNote);
            Assert.Contains("grubenv", c.NextBootNote);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void Set_never_takes_a_variable_for_an_argument_and_says_what_grubby_cannot_remove()
    {
        Assert.NotNull(KernelBootArgumentService.ArgumentProblem("$tuned_params"));
        Assert.NotNull(KernelBootArgumentService.ArgumentProblem("isolcpus=${cores}"));
        Assert.Contains("GRUB variable", KernelBootArgumentService.ArgumentProblem("$tuned_params"));

        var service = new KernelBootArgumentService(Grubby(TunedEntry), FakeHost.Fs(TunedHost));
        var (change, warnings) = service.ApplyAsync(Array.Empty<string>(), new[] { "nosoftlockup" }, default).Result;
        Assert.DoesNotContain("$tuned_params", change.NextBootArguments);
        Assert.Contains("nosoftlockup", change.NextBootArguments); // tuned's, which grubby cannot remove
        Assert.Contains(warnings, w => w.StartsWith("nosoftlockup stays in the next boot's arguments: GRUB's $tuned_params", StringComparison.Ordinal));

        var (_, twice) = service.ApplyAsync(new[] { "isolcpus=1-3" }, Array.Empty<string>(), default).Result;
        Assert.Contains(twice, w => w.Contains("isolcpus=managed_irq,domain,2-7 from GRUB's $tuned_params", StringComparison.Ordinal));
    }
}
