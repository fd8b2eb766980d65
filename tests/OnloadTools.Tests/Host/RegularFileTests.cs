using OnloadTools.Host;

namespace OnloadTools.Tests.Host;

/// <summary>
/// RegularFile, the one way a file from outside (a history received from another host) is opened: only a regular file,
/// never blocking on a FIFO, a symbolic link only when asked, a size limit, and the append path's refusal of links
/// and its writer lock. (What Import/Export-LatencyRun make of these refusals is tested in Latency/HistoryTests.)
/// </summary>
public sealed class RegularFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("onloadtools-regular-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string Fifo(string name)
    {
        string path = Path.Combine(_dir, name);
        Assert.Equal(0, TestProcess.Run("mkfifo", path).ExitCode);
        return path;
    }

    /// <summary>Runs an open that must be refused on another thread: one that blocks (on a FIFO) fails the test instead of hanging it.</summary>
    private static RegularFileException Refused(Action open)
    {
        var task = Task.Run(open);
        Assert.True(task.ContinueWith(_ => { }).Wait(TimeSpan.FromSeconds(10)), "the open did not return within 10 s");
        return Assert.IsType<RegularFileException>(task.Exception?.InnerException);
    }

    [Fact]
    public void A_regular_file_is_read_with_its_length_at_the_open()
    {
        string path = Write("run.jsonl", "{\"a\":1}\n");
        using var stream = RegularFile.OpenRead(path, 1024, followSymlinks: false, out long length);
        Assert.Equal(8, length);
        Assert.Equal("{\"a\":1}\n", new StreamReader(stream).ReadToEnd());
    }

    [Fact]
    public void A_symbolic_link_is_refused_unless_links_are_followed()
    {
        string target = Write("secret", "not a history");
        string link = Path.Combine(_dir, "link.jsonl");
        File.CreateSymbolicLink(link, target);

        var e = Refused(() => RegularFile.OpenRead(link, 1024, followSymlinks: false, out _).Dispose());
        Assert.Equal(RegularFileRefusal.SymbolicLink, e.Refusal);
        Assert.Equal(link, e.Path);
        Assert.Contains("symbolic link", e.Message);

        using var followed = RegularFile.OpenRead(link, 1024, followSymlinks: true, out long length);
        Assert.Equal("not a history".Length, length);
    }

    [Fact]
    public void A_FIFO_is_refused_at_once_instead_of_blocking_the_read()
    {
        string fifo = Fifo("pipe.jsonl");
        var e = Refused(() => RegularFile.OpenRead(fifo, 1024, followSymlinks: true, out _).Dispose());
        Assert.Equal(RegularFileRefusal.NotRegular, e.Refusal);
        Assert.Contains("a FIFO (named pipe)", e.Message);
    }

    [Theory]
    [InlineData("folder", "a folder")]
    [InlineData("/dev/null", "a character device")]
    public void A_folder_or_a_device_is_not_a_regular_file(string name, string what)
    {
        string path = name.StartsWith('/') ? name : Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        var e = Refused(() => RegularFile.OpenRead(path, 1024, followSymlinks: true, out _).Dispose());
        Assert.Equal(RegularFileRefusal.NotRegular, e.Refusal);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void A_file_above_the_limit_is_refused_and_one_at_the_limit_is_read()
    {
        string path = Write("big.json", new string('x', 4096));
        using (RegularFile.OpenRead(path, 4096, followSymlinks: false, out long length)) Assert.Equal(4096, length);
        var e = Refused(() => RegularFile.OpenRead(path, 4095, followSymlinks: false, out _).Dispose());
        Assert.Equal(RegularFileRefusal.TooLarge, e.Refusal);
    }

    [Fact]
    public void A_missing_file_is_not_found_not_a_refusal()
    {
        string path = Path.Combine(_dir, "absent.jsonl");
        var e = Assert.Throws<FileNotFoundException>(() => RegularFile.OpenRead(path, 1024, followSymlinks: false, out _));
        Assert.Equal(path, e.FileName);
        Assert.Throws<FileNotFoundException>(() => RegularFile.OpenRead(Path.Combine(path, "below"), 1024, followSymlinks: false, out _));
    }

    // ------------------------------------------------------------------ appending to a history file

    [Fact]
    public void Append_creates_a_missing_file_and_writes_at_its_end()
    {
        string path = Path.Combine(_dir, "history.jsonl");
        using (var s = RegularFile.OpenForAppend(path, TimeSpan.FromSeconds(1)))
        {
            s.Seek(0, SeekOrigin.End);
            s.Write("one\n"u8);
        }
        using (var s = RegularFile.OpenForAppend(path, TimeSpan.FromSeconds(1)))
        {
            s.Seek(0, SeekOrigin.End);
            s.Write("two\n"u8);
        }
        Assert.Equal("one\ntwo\n", File.ReadAllText(path));
    }

    [Fact]
    public void Append_never_writes_through_a_link_not_even_a_dangling_one()
    {
        string victim = Write("victim", "keep me\n");
        string link = Path.Combine(_dir, "link.jsonl");
        File.CreateSymbolicLink(link, victim);
        string notYet = Path.Combine(_dir, "not-yet");
        string dangling = Path.Combine(_dir, "dangling.jsonl");
        File.CreateSymbolicLink(dangling, notYet);

        foreach (string path in new[] { link, dangling })
        {
            var e = Refused(() => RegularFile.OpenForAppend(path, TimeSpan.FromSeconds(1)).Dispose());
            Assert.Equal(RegularFileRefusal.SymbolicLink, e.Refusal);
        }
        Assert.Equal("keep me\n", File.ReadAllText(victim));
        Assert.False(File.Exists(notYet), "O_CREAT through the dangling link would have created its target");
    }

    [Fact]
    public void Append_refuses_a_file_with_a_second_name_and_a_FIFO()
    {
        string original = Write("elsewhere", "");
        string hard = Path.Combine(_dir, "hard.jsonl");
        Assert.Equal(0, TestProcess.Run("ln", original, hard).ExitCode);
        var e = Refused(() => RegularFile.OpenForAppend(hard, TimeSpan.FromSeconds(1)).Dispose());
        Assert.Equal(RegularFileRefusal.NotRegular, e.Refusal);
        Assert.Contains("2 hard links", e.Message);

        string fifo = Fifo("pipe.jsonl");
        var f = Refused(() => RegularFile.OpenForAppend(fifo, TimeSpan.FromSeconds(1)).Dispose());
        Assert.Contains("FIFO", f.Message);
    }

    [Fact]
    public void A_second_writer_waits_for_the_lock_and_gives_up_after_its_wait()
    {
        string path = Path.Combine(_dir, "history.jsonl");
        using (RegularFile.OpenForAppend(path, TimeSpan.FromSeconds(1)))
        {
            var started = DateTime.UtcNow;
            var e = Assert.Throws<IOException>(() => RegularFile.OpenForAppend(path, TimeSpan.FromMilliseconds(300)));
            Assert.IsNotType<RegularFileException>(e);
            Assert.Contains("locked by another writer", e.Message);
            Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        }
        using var after = RegularFile.OpenForAppend(path, TimeSpan.FromMilliseconds(300));   // released with the first stream
    }

    [Fact]
    public void A_reader_waits_for_a_writer_and_says_when_the_writer_kept_the_lock()
    {
        string path = Write("history.jsonl", "{}\n");
        using var reader = RegularFile.OpenRead(path, 1024, followSymlinks: false, out _);
        using (RegularFile.OpenForAppend(path, TimeSpan.FromSeconds(1)))
        {
            Assert.False(RegularFile.TryLockShared(reader, TimeSpan.FromMilliseconds(200), CancellationToken.None));
        }
        Assert.True(RegularFile.TryLockShared(reader, TimeSpan.FromMilliseconds(200), CancellationToken.None));
        // While the reader holds its shared lock a writer waits; once unlocked, it gets in.
        Assert.Throws<IOException>(() => RegularFile.OpenForAppend(path, TimeSpan.FromMilliseconds(200)));
        RegularFile.Unlock(reader);
        using var writer = RegularFile.OpenForAppend(path, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_reader_waiting_for_the_lock_stops_when_cancelled()
    {
        string path = Write("history.jsonl", "{}\n");
        using var reader = RegularFile.OpenRead(path, 1024, followSymlinks: false, out _);
        using var writer = RegularFile.OpenForAppend(path, TimeSpan.FromSeconds(1));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var started = DateTime.UtcNow;
        Assert.ThrowsAny<OperationCanceledException>(() => RegularFile.TryLockShared(reader, TimeSpan.FromSeconds(30), cts.Token));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }
}
