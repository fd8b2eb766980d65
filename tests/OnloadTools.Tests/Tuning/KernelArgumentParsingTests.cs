using CsCheck;
using OnloadTools.Tuning;

namespace OnloadTools.Tests.Tuning;

public class KernelArgumentParsingTests
{
    [Fact]
    public void Cpu_lists_ranges_strides_and_masks()
    {
        Assert.Equal(new[] { 0, 1, 2, 3, 8, 10, 11 }, CpuList.Parse("0-3,8,10-11"));
        Assert.Equal(new[] { 0, 2, 4, 6 }, CpuList.Parse("0-7:2"));
        Assert.Empty(CpuList.Parse("x-y,,"));
        Assert.Equal(new[] { 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31 }, CpuList.ParseMask("ff00ff00"));
        Assert.Equal(new[] { 0, 32 }, CpuList.ParseMask("00000001,00000001"));
        Assert.Equal("0-3,8,10,11", CpuList.Format(new[] { 11, 10, 8, 3, 2, 1, 0 }));
    }

    [Fact]
    public void Cpu_list_format_and_parse_round_trip()
    {
        Gen.Int[0, 300].Array[0, 64].Sample(cpus =>
            CpuList.Parse(CpuList.Format(cpus)).SequenceEqual(cpus.Distinct().Order()), iter: 1000);
    }

    [Fact]
    public void Command_line_words_flags_values_and_init_arguments()
    {
        var args = KernelCommandLine.Parse("BOOT_IMAGE=/vmlinuz ro isolcpus=managed_irq,domain,2-5 nosoftlockup mce=ignore_ce foo=\"a b\" -- --init-arg x=1");
        Assert.Equal(new[] { "BOOT_IMAGE", "ro", "isolcpus", "nosoftlockup", "mce", "foo" }, args.Select(a => a.Name));
        Assert.Null(args.Single(a => a.Name == "nosoftlockup").Value);
        Assert.Equal("a b", args.Single(a => a.Name == "foo").Value);
        var (flags, cpus) = KernelCommandLine.ParseCpuArgument("isolcpus", args.Single(a => a.Name == "isolcpus").Value);
        Assert.Equal(new[] { "managed_irq", "domain" }, flags);
        Assert.Equal(new[] { 2, 3, 4, 5 }, cpus);
        Assert.True(KernelCommandLine.Contains(args, "mce=ignore_ce"));
        Assert.True(KernelCommandLine.Contains(args, "isolcpus"));
        Assert.False(KernelCommandLine.Contains(args, "isolcpus=1"));
        Assert.False(KernelCommandLine.Contains(args, "x"));
    }

    [Fact]
    public void This_machines_cmdline_parses_and_stops_at_init_arguments()
    {
        string cmdline = File.ReadAllText("/proc/cmdline");
        var args = KernelCommandLine.Parse(cmdline);
        int dashes = cmdline.Split(' ', StringSplitOptions.RemoveEmptyEntries).TakeWhile(w => w != "--").Count();
        Assert.Equal(dashes, args.Count);
    }

    [Fact]
    public void Parsers_never_throw_on_arbitrary_text()
    {
        Gen.String.Sample(s =>
        {
            CpuList.Parse(s);
            CpuList.ParseMask(s);
            foreach (var a in KernelCommandLine.Parse(s)) KernelCommandLine.ParseCpuArgument("isolcpus", a.Value);
            KernelCommandLine.Contains(KernelCommandLine.Parse(s), s);
            GrubbyParser.ParseInfo(s);
            GrubbyParser.ParseDefaultKernel(s);
        }, iter: 2000);
    }

    [Fact]
    public void Grubby_rhel7_legacy_output()
    {
        var entries = GrubbyParser.ParseInfo(TestPaths.ReadFixture("tuning", "grubby_info_all_rhel7_legacy_unquoted.txt"));
        Assert.Equal(3, entries.Count);
        Assert.Equal("/boot/vmlinuz-3.10.0-862.el7.x86_64", entries[0].Kernel);
        Assert.StartsWith("ro console=tty0", entries[0].Args);
        Assert.Null(entries[0].Id);
        Assert.Equal("UUID=6bea2b7b-e6cc-4dba-ac79-be6530d348f5", entries[0].Root);
        Assert.EndsWith("root=UUID=6bea2b7b-e6cc-4dba-ac79-be6530d348f5", entries[0].FullArgs);
        Assert.False(entries[2].IsLinux);
        Assert.Equal(2, entries[2].Index);
    }

    [Fact]
    public void Grubby_rhel9_bls_output_is_unquoted()
    {
        var entries = GrubbyParser.ParseInfo(TestPaths.ReadFixture("tuning", "grubby_info_all_rhel9_bls_quoted.txt"));
        Assert.Equal(2, entries.Count);
        Assert.Equal("/boot/vmlinuz-5.14.0-162.6.1.el9_1.x86_64", entries[0].Kernel);
        Assert.Equal("4d684a4a6166439a867e701ded4f7e10-5.14.0-70.13.1.el9_0.x86_64", entries[1].Id);
        Assert.EndsWith("retbleed=stuff", entries[1].Args);
        Assert.Equal("Red Hat Enterprise Linux (5.14.0-162.6.1.el9_1.x86_64) 9.1 (Plow)", entries[0].Title);
        Assert.Equal("/dev/mapper/rhel-root", entries[0].Root);
    }

    [Fact]
    public void Grubby_default_kernel_skips_fork_warnings()
    {
        Assert.Equal("/boot/vmlinuz-4.18.0-147.5.1.el8_1.x86_64",
            GrubbyParser.ParseDefaultKernel(TestPaths.ReadFixture("tuning", "grubby_default_kernel_with_fork_errors.txt")));
    }

    private static string Row(KernelBootArgument a) => $"{a.Name}#{a.Occurrence}:{a.Value}>{a.NextBootValue}:{a.Pending}";

    [Fact]
    public void Repeated_arguments_are_each_kept_and_compared_as_multisets()
    {
        var running = KernelCommandLine.Parse("BOOT_IMAGE=/vmlinuz ro console=tty0 console=ttyS0,115200n8 hugepagesz=1G hugepages=50 hugepagesz=2M hugepages=0 rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap");
        var next = KernelCommandLine.Parse("ro console=tty0 console=ttyS1,115200n8 hugepagesz=1G hugepages=64 hugepagesz=2M hugepages=0 rd.lvm.lv=rhel/swap rd.lvm.lv=rhel/root");
        var all = KernelBootArgumentDiff.Compare(running, next);
        Assert.Equal(new[] { "tty0>tty0:", "ttyS0,115200n8>ttyS1,115200n8:Changed" },
            all.Where(a => a.Name == "console").Select(a => $"{a.Value}>{a.NextBootValue}:{a.Pending}"));
        Assert.Equal(new[] { "1G", "2M" }, all.Where(a => a.Name == "hugepagesz").Select(a => a.Value));
        // rd.lvm.lv in another order is the same multiset: nothing pending.
        Assert.Equal(new[] { "rhel/root", "rhel/swap" }, all.Where(a => a.Name == "rd.lvm.lv").Select(a => a.Value));
        Assert.Equal(new[] { "console#2:ttyS0,115200n8>ttyS1,115200n8:Changed", "hugepages#1:50>64:Changed" },
            all.Where(a => a.Pending.Length > 0).Select(Row));
        Assert.Null(all.Single(a => a.Name == "BOOT_IMAGE").NextBoot);
    }

    [Fact]
    public void An_occurrence_more_or_fewer_is_added_or_removed()
    {
        var running = KernelCommandLine.Parse("console=tty0 console=ttyS0 quiet quiet");
        var next = KernelCommandLine.Parse("console=ttyS0 quiet isolcpus=2 isolcpus=3");
        Assert.Equal(new[]
        {
            "console#1:tty0>:Removed", "console#2:ttyS0>ttyS0:", "quiet#1:>:", "quiet#2:>:Removed",
            "isolcpus#1:>2:Added", "isolcpus#2:>3:Added",
        }, KernelBootArgumentDiff.Compare(running, next).Select(Row));
        Assert.Equal(new[] { 3 }, KernelBootArgumentDiff.Compare(running, next).Last().Cpus);
    }

    [Fact]
    public void Without_a_next_boot_every_running_occurrence_is_listed_and_nothing_is_pending()
    {
        var all = KernelBootArgumentDiff.Compare(KernelCommandLine.Parse("console=tty0 console=ttyS0"), null);
        Assert.Equal(new[] { "console#1:tty0>:", "console#2:ttyS0>:" }, all.Select(Row));
        Assert.All(all, a => Assert.Null(a.NextBoot));
    }

    [Fact]
    public void Isolation_arguments_naming_cpus_the_host_lacks_are_reported()
    {
        int[] twoSocket = CpuList.Parse(OnloadTools.Host.HostInfo.PossibleCpuList(FakeHost.Fs(FakeHost.TwoSocket)));
        Assert.Equal(32, twoSocket.Length);
        var problems = KernelCommandLine.CpusNotOnHost(
            new[] { "isolcpus=9999", "nohz_full=30-40", "rcu_nocbs=1-3", "isolcpus=managed_irq,domain,2-5", "irqaffinity=64", "nosoftlockup" }, twoSocket);
        Assert.Equal(2, problems.Count);
        Assert.StartsWith("isolcpus=9999 names CPU(s) 9999 that this host does not have (its CPUs are 0-31)", problems[0]);
        Assert.StartsWith("nohz_full=30-40 names CPU(s) 32-40 ", problems[1]);
        Assert.Single(KernelCommandLine.CpusNotOnHost(new[] { "isolcpus=domain,1-2" }, new[] { 0, 1 }));
        Assert.Empty(KernelCommandLine.CpusNotOnHost(new[] { "isolcpus=9999" }, Array.Empty<int>())); // host unknown: nothing to say
    }
}
