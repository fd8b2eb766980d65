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
            HostReadiness.ReadLabel(s, "org.openonload.version");
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

    [Fact]
    public void Image_label_from_podman_inspect_json()
    {
        Assert.Equal("8.1.2.26", HostReadiness.ReadLabel("[{\"Labels\":{\"org.openonload.version\":\"8.1.2.26\"}}]", "org.openonload.version"));
        Assert.Equal("9", HostReadiness.ReadLabel("[{\"Config\":{\"Labels\":{\"org.openonload.version\":\"9\"}}}]", "org.openonload.version"));
        Assert.Null(HostReadiness.ReadLabel("[{\"Labels\":null}]", "org.openonload.version"));
    }
}
