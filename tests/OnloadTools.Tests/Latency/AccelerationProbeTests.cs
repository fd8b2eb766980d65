using OnloadTools.Host;
using OnloadTools.Latency;
using OnloadTools.Processes;

namespace OnloadTools.Tests.Latency;

/// <summary>
/// "Was it really accelerated?" over a fake /proc (tests/fixtures/hosts/netperf-onload-processes: its README lists each
/// netperf and what it holds). Accelerated means an Onload stack served netperf: libonload mapped and an Onload stack
/// open (/dev/onload, or an onloadfs file). The real processes (the onload double preloading a stand-in libonload, with
/// and without a device) are in tests/Pester/Latency.Tests.ps1 and Comparison.Tests.ps1.
/// </summary>
public class AccelerationProbeTests
{
    private static readonly string Root = TestPaths.Fixture("hosts", "netperf-onload-processes");
    private static readonly HostFileSystem Fs = new(Root);
    private const string ContainerId = "a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

    /// <summary>The command the sessions build: onload --profile=latency netperf … -p PORT ….</summary>
    private static ToolCommand Under(int port) =>
        new("onload", "--profile=latency", "netperf", "-H", "127.0.0.1", "-p", port.ToString(), "-t", "TCP_RR", "-l", "1");

    private static AccelerationProbe.Finding Look(int port, Func<int, bool>? scope = null) =>
        AccelerationProbe.Look(Fs, Under(port), scope ?? (_ => true));

    [Fact]
    public void A_netperf_with_libonload_and_its_own_stack_is_accelerated()
    {
        var f = Look(12001);
        Assert.Equal(AccelerationProbe.True, f.State);
        Assert.Null(f.Warning);
        Assert.Equal("True", AccelerationProbe.Check(Fs, Under(12001), _ => true));
    }

    [Fact]
    public void A_stack_attached_through_onloadfs_counts()
    {
        Assert.Equal(AccelerationProbe.True, Look(12004).State);
    }

    [Fact]
    public void Libonload_without_a_stack_is_not_accelerated_and_says_why()
    {
        // The issue: Onload fell back to the kernel (no /dev/onload) and the library stayed mapped. It read True.
        var f = Look(12002);
        Assert.Equal(AccelerationProbe.False, f.State);
        Assert.Equal(AccelerationProbe.NoStackWarning, f.Warning);
        Assert.StartsWith("libonload is loaded but created no Onload stack: ", AccelerationProbe.NoStackWarning);
        Assert.Equal("False", AccelerationProbe.Check(Fs, Under(12002), _ => true));
    }

    [Fact]
    public void Onload_epoll_alone_is_no_stack()
    {
        var f = Look(12005);
        Assert.Equal(AccelerationProbe.False, f.State);
        Assert.Equal(AccelerationProbe.NoStackWarning, f.Warning);
    }

    [Fact]
    public void No_libonload_is_not_accelerated_with_the_library_warning()
    {
        var f = Look(12003);
        Assert.Equal(AccelerationProbe.False, f.State);
        Assert.Equal(AccelerationProbe.NotAcceleratedWarning, f.Warning);
    }

    [Fact]
    public void Unreadable_open_files_leave_it_unknown()
    {
        var f = Look(12006);
        Assert.Equal(AccelerationProbe.Unknown, f.State);
        Assert.Null(f.Warning);
        Assert.Null(ProcessInspector.OpenFiles(Fs, 2006));
    }

    [Fact]
    public void Two_netperfs_that_disagree_are_unknown_and_two_without_a_stack_are_false()
    {
        Assert.Equal(AccelerationProbe.Unknown, Look(12007).State);
        var f = Look(12009);
        Assert.Equal(AccelerationProbe.False, f.State);
        Assert.Equal(AccelerationProbe.NotAcceleratedWarning, f.Warning); // one had no library at all: the plainer cause
    }

    [Fact]
    public void A_command_without_netperf_or_a_netperf_not_running_is_unknown()
    {
        Assert.Equal(AccelerationProbe.Unknown, Look(12999).State);
        Assert.Equal(AccelerationProbe.Unknown, AccelerationProbe.Check(Fs, new ToolCommand("sockperf", "ping-pong"), _ => true));
    }

    [Fact]
    public void The_container_scope_sees_only_the_containers_netperf()
    {
        Assert.Equal(AccelerationProbe.True, Look(12011, AccelerationProbe.InContainer(Fs, ContainerId)).State);
        Assert.Equal(AccelerationProbe.Unknown, Look(12011).State); // both: one with a stack, one (on the host) without
        Assert.Equal(AccelerationProbe.False, Look(12011, pid => !ProcessInspector.CgroupContains(Fs, pid, ContainerId)).State);
    }

    [Fact]
    public void Open_files_read_as_the_kernel_links_them()
    {
        Assert.Equal(new[] { "/dev/pts/0", "pipe:[45870]", "pipe:[45871]", "/dev/onload", "onload:[tcp:1:0]", "onload:[tcp:1:1]" },
            ProcessInspector.OpenFiles(Fs, 2001)!.ToArray());
        Assert.Null(ProcessInspector.OpenFiles(Fs, 99999));
    }

    [Fact]
    public void Open_files_of_this_very_process_are_read_from_the_real_proc()
    {
        string path = Path.Combine(Path.GetTempPath(), $"onloadtools-probe-{Guid.NewGuid():N}");
        using var held = File.Create(path, 1, FileOptions.DeleteOnClose);
        var files = ProcessInspector.OpenFiles(new HostFileSystem("/"), Environment.ProcessId);
        Assert.NotNull(files);
        Assert.Contains(path, files!);
    }

    [Theory]
    [InlineData("/dev/onload", true)]
    [InlineData("onload:[stack:3]", true)]
    [InlineData("onload:[tcpl:1:4]", true)]
    [InlineData("onload:[pipew:1:5]", true)]
    [InlineData("/dev/onload_epoll", false)]
    [InlineData("/dev/onload_cplane", false)]
    [InlineData("/dev/onloadx", false)]
    [InlineData("socket:[123]", false)]
    [InlineData("anon_inode:[eventpoll]", false)]
    [InlineData("/home/u/onload:[stack:1]", false)]
    public void What_counts_as_an_onload_stack_file(string link, bool stack)
    {
        Assert.Equal(stack, AccelerationProbe.IsStackFile(new HostFileSystem("/"), link));
    }

    [Fact]
    public void Under_a_host_root_the_roots_device_is_onloads_device()
    {
        // As the container cmdlets' --device arguments map /dev/onload through the root, so does the probe.
        var fs = new HostFileSystem("/tmp/fake-host");
        Assert.True(AccelerationProbe.IsStackFile(fs, "/tmp/fake-host/dev/onload"));
        Assert.True(AccelerationProbe.IsStackFile(fs, "/dev/onload"));
        Assert.False(AccelerationProbe.IsStackFile(new HostFileSystem("/"), "/tmp/fake-host/dev/onload"));
    }

    [Fact]
    public async Task An_iteration_whose_netperf_has_the_library_alone_gets_False_and_the_stack_warning()
    {
        var sample = await AccelerationProbe.RunCheckedAsync(Iteration(TimeSpan.FromSeconds(1)), Fs, Under(12002), _ => true,
            TimeSpan.FromMilliseconds(50), default);
        Assert.Equal(AccelerationProbe.False, sample.Accelerated);
        Assert.Equal(new[] { "netperf's own warning", AccelerationProbe.NoStackWarning }, sample.Warnings);
    }

    [Fact]
    public async Task An_iteration_with_a_stack_gets_True_and_no_warning()
    {
        var sample = await AccelerationProbe.RunCheckedAsync(Iteration(TimeSpan.FromSeconds(1)), Fs, Under(12001), _ => true,
            TimeSpan.FromMilliseconds(50), default);
        Assert.Equal(AccelerationProbe.True, sample.Accelerated);
        Assert.Equal(new[] { "netperf's own warning" }, sample.Warnings);
    }

    [Fact]
    public async Task A_library_mapped_after_the_first_look_is_seen_by_a_later_one()
    {
        // A first look between exec and the loader's mapping of the preloaded library sees netperf without libonload (CI
        // once caught a container arm there under load and said False). The probe looks again before a False stands;
        // here the library and the stack appear before the third look.
        string root = CopyOfFixture();
        try
        {
            var fs = new HostFileSystem(root);
            int looks = 0;
            var thirdLook = new TaskCompletionSource();
            bool Scope(int pid)
            {
                if (++looks == 3)
                {
                    string proc = Path.Combine(root, "proc", "2003");
                    File.AppendAllText(Path.Combine(proc, "maps"), "7f0000000000-7f0000001000 r-xp 00000000 08:01 4242 /usr/lib64/libonload.so\n");
                    File.CreateSymbolicLink(Path.Combine(proc, "fd", "9"), "/dev/onload");
                    thirdLook.TrySetResult();
                }
                return true;
            }
            async Task<LatencySample> Iteration(CancellationToken ct)
            {
                await Task.WhenAny(thirdLook.Task, Task.Delay(TimeSpan.FromSeconds(20), ct));
                return new LatencySample { TestName = "TCP_RR", Iteration = 1 };
            }
            var sample = await AccelerationProbe.RunCheckedAsync(Iteration, fs, Under(12003), Scope, TimeSpan.FromMilliseconds(50), default);
            Assert.Equal(3, looks);
            Assert.Equal(AccelerationProbe.True, sample.Accelerated);
            Assert.Empty(sample.Warnings);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task A_False_stands_after_three_looks()
    {
        int looks = 0;
        bool Scope(int pid) { looks++; return true; }
        async Task<LatencySample> Iteration(CancellationToken ct)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            return new LatencySample { TestName = "TCP_RR", Iteration = 1 };
        }
        var sample = await AccelerationProbe.RunCheckedAsync(Iteration, Fs, Under(12003), Scope, TimeSpan.FromMilliseconds(50), default);
        Assert.Equal(3, looks);
        Assert.Equal(AccelerationProbe.False, sample.Accelerated);
        Assert.Equal(new[] { AccelerationProbe.NotAcceleratedWarning }, sample.Warnings);
    }

    [Fact]
    public async Task A_stack_made_after_the_first_look_is_seen_by_the_second()
    {
        // Onload makes its stack at netperf's first socket: a first look between exec and that socket sees the library
        // alone. The probe looks once more before it says False; here the stack appears between the two looks.
        string root = CopyOfFixture();
        try
        {
            var fs = new HostFileSystem(root);
            int looks = 0;
            var secondLook = new TaskCompletionSource();
            bool Scope(int pid)
            {
                // Called for the netperf before its files are read: the second look finds the stack the first did not.
                if (++looks == 2)
                {
                    File.CreateSymbolicLink(Path.Combine(root, "proc", "2002", "fd", "9"), "/dev/onload");
                    secondLook.TrySetResult();
                }
                return true;
            }
            async Task<LatencySample> Iteration(CancellationToken ct)
            {
                await Task.WhenAny(secondLook.Task, Task.Delay(TimeSpan.FromSeconds(20), ct));
                return new LatencySample { TestName = "TCP_RR", Iteration = 1 };
            }
            var sample = await AccelerationProbe.RunCheckedAsync(Iteration, fs, Under(12002), Scope, TimeSpan.FromMilliseconds(50), default);
            Assert.Equal(2, looks);
            Assert.Equal(AccelerationProbe.True, sample.Accelerated);
            Assert.Empty(sample.Warnings);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_run_with_an_iteration_without_a_stack_is_False()
    {
        Assert.Equal(AccelerationProbe.False, AccelerationProbe.Combine(new[] { "True", "False", "True" }));
        Assert.Equal(AccelerationProbe.True, AccelerationProbe.Combine(new[] { "True", "True" }));
    }

    [Fact]
    public void An_unknown_iteration_makes_a_run_Unknown_unless_another_was_False_and_nothing_checked_is_null()
    {
        Assert.Equal(AccelerationProbe.Unknown, AccelerationProbe.Combine(new[] { "True", "Unknown", "True" }));
        Assert.Equal(AccelerationProbe.False, AccelerationProbe.Combine(new[] { "Unknown", "False" }));
        Assert.Equal(AccelerationProbe.True, AccelerationProbe.Combine(new[] { "True", null, "" }));   // unchecked iterations do not count
        Assert.Null(AccelerationProbe.Combine(new string?[] { null, "" }));
        Assert.Null(AccelerationProbe.Combine(Array.Empty<LatencySample>()));
        Assert.Equal(AccelerationProbe.False, AccelerationProbe.Combine(new[]
        {
            new LatencySample { TestName = "TCP_RR", Iteration = 1, Accelerated = "True" },
            new LatencySample { TestName = "TCP_RR", Iteration = 2, Accelerated = "False" },
        }));
    }

    [Theory]
    [InlineData(new[] { "netperf", "-H", "127.0.0.1", "-t", "TCP_RR" }, "-H 127.0.0.1 -t TCP_RR")]
    [InlineData(new[] { "onload", "--profile=latency", "netperf", "-t", "UDP_RR" }, "-t UDP_RR")]
    [InlineData(new[] { "podman", "exec", "bench", "/usr/bin/netperf", "-l", "1" }, "-l 1")]
    [InlineData(new[] { "sockperf", "ping-pong", "-i", "127.0.0.1" }, null)]
    public void Netperfs_own_arguments_are_found_after_any_wrapper(string[] words, string? arguments)
    {
        var found = AccelerationProbe.NetperfArguments(new ToolCommand(words[0], words.Skip(1)));
        Assert.Equal(arguments, found is null ? null : string.Join(' ', found));
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(4, 400)]
    [InlineData(10, 1000)]
    [InlineData(120, 1000)]
    public void The_first_look_is_a_tenth_into_the_run_between_100_ms_and_1_s(int seconds, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), AccelerationProbe.DelayFor(seconds));

    private static Func<CancellationToken, Task<LatencySample>> Iteration(TimeSpan length) => async ct =>
    {
        await Task.Delay(length, ct);
        return new LatencySample { TestName = "TCP_RR", Iteration = 1, Warnings = new[] { "netperf's own warning" } };
    };

    /// <summary>A writable copy of the fake host (its fd links kept as links).</summary>
    private static string CopyOfFixture()
    {
        string copy = Path.Combine(Path.GetTempPath(), $"onloadtools-probe-{Guid.NewGuid():N}");
        foreach (string dir in Directory.EnumerateDirectories(Root, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(copy, Path.GetRelativePath(Root, dir)));
        }
        foreach (string file in Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(copy, Path.GetRelativePath(Root, file));
            if (new FileInfo(file).LinkTarget is { } target) File.CreateSymbolicLink(to, target);
            else if (File.Exists(file)) File.Copy(file, to);
        }
        return copy;
    }
}
