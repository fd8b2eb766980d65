using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OnloadTools.Host;

/// <summary>Why a path could not be opened as a regular file for reading.</summary>
internal enum RegularFileRefusal
{
    /// <summary>A symbolic link, and links were not to be followed.</summary>
    SymbolicLink,
    /// <summary>A FIFO, socket, device or directory: reading it could block or never end.</summary>
    NotRegular,
    /// <summary>Larger than the caller's limit.</summary>
    TooLarge,
}

/// <summary>Thrown when a path is not a regular file that may be read.</summary>
internal sealed class RegularFileException : IOException
{
    public RegularFileException(string path, RegularFileRefusal refusal, string message) : base(message)
    {
        Path = path;
        Refusal = refusal;
    }

    public string Path { get; }
    public RegularFileRefusal Refusal { get; }
}

/// <summary>
/// Opens files that come from outside (histories received from other hosts) for reading without trusting them:
/// never blocks on a FIFO (opened non-blocking, then refused), optionally never follows a symbolic link (O_NOFOLLOW),
/// refuses anything but a regular file and anything above a size limit — all decided on the open descriptor, so the
/// file cannot be swapped between the check and the read. Takes no lock: a writer holding one never blocks a reader.
/// </summary>
internal static class RegularFile
{
    private const int O_RDONLY = 0;
    private const int O_NONBLOCK = 0x800;
    private const int O_CLOEXEC = 0x80000;
    private static int O_NOFOLLOW => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;
    private const int ELOOP = 40;
    private const int EWOULDBLOCK = 11;
    private const int AT_EMPTY_PATH = 0x1000;
    private const uint STATX_TYPE = 0x1, STATX_SIZE = 0x200;
    private const int S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFIFO = 0x1000, S_IFSOCK = 0xC000, S_IFCHR = 0x2000, S_IFBLK = 0x6000;
    private const int LOCK_SH = 1, LOCK_NB = 4, LOCK_UN = 8;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(int fd, int operation);

    /// <summary>Opens <paramref name="path"/> for reading if it is a regular file of at most <paramref name="maxBytes"/>.</summary>
    /// <param name="followSymlinks">False: a symbolic link is refused instead of followed.</param>
    /// <param name="length">The file's size when it was opened (bytes appended later are not part of this read).</param>
    /// <exception cref="RegularFileException">Not a regular file, a link not followed, or too large.</exception>
    /// <exception cref="IOException">The file cannot be opened (missing, unreadable).</exception>
    public static FileStream OpenRead(string path, long maxBytes, bool followSymlinks, out long length)
    {
        if (!OperatingSystem.IsLinux())
        {
            var info = new FileInfo(path);
            if (!followSymlinks && info.LinkTarget is not null) throw Refused(path, RegularFileRefusal.SymbolicLink);
            var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            length = fs.Length;
            if (length > maxBytes) { fs.Dispose(); throw TooLarge(path, length, maxBytes); }
            return fs;
        }

        int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (followSymlinks ? 0 : O_NOFOLLOW);
        int fd = Open(path, flags);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == ELOOP && !followSymlinks) throw Refused(path, RegularFileRefusal.SymbolicLink);
            throw Errno(path, errno);
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var buffer = new byte[256];
            if (Statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, buffer) != 0) throw Errno(path, Marshal.GetLastPInvokeError());
            int mode = BitConverter.ToUInt16(buffer, 28);
            length = BitConverter.ToInt64(buffer, 40);
            if ((mode & S_IFMT) != S_IFREG) throw Refused(path, RegularFileRefusal.NotRegular, TypeName(mode));
            if (length > maxBytes) throw TooLarge(path, length, maxBytes);
            // O_NONBLOCK has no effect on a regular file: the descriptor reads like any other.
            return new FileStream(handle, FileAccess.Read, bufferSize: 0);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes a shared flock on the open file, waiting up to <paramref name="wait"/> while a writer holds its exclusive
    /// lock (an append takes milliseconds). True once held (until the stream is closed), or when the file system does
    /// not lock; false when a writer kept it locked the whole time. Always true off Linux.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was tripped while waiting.</exception>
    public static bool TryLockShared(FileStream stream, TimeSpan wait, CancellationToken cancellation)
    {
        if (!OperatingSystem.IsLinux()) return true;
        int fd = (int)stream.SafeFileHandle.DangerousGetHandle();
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            if (Flock(fd, LOCK_SH | LOCK_NB) == 0) return true;
            if (Marshal.GetLastPInvokeError() != EWOULDBLOCK) return true;
            if (DateTime.UtcNow >= deadline) return false;
            cancellation.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(20));
            cancellation.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Opens a history file for appending (creating it if missing) without trusting its folder: a symbolic link is never
    /// followed (O_NOFOLLOW, also for a dangling one, which O_CREAT would otherwise create the target of), anything but
    /// a regular file with a single link is refused (a hard link is another name for a file elsewhere), then an exclusive
    /// flock is taken, waiting up to <paramref name="lockWait"/> for another writer. Unbuffered: a write that fails
    /// (full disk) leaves nothing pending that a later flush or truncate would try to write again.
    /// </summary>
    /// <exception cref="RegularFileException">A symbolic link, not a regular file, or a file with more than one link.</exception>
    /// <exception cref="IOException">It cannot be opened, or another writer kept the lock.</exception>
    public static FileStream OpenForAppend(string path, TimeSpan lockWait)
    {
        if (!OperatingSystem.IsLinux())
        {
            if (new FileInfo(path).LinkTarget is not null) throw new RegularFileException(path, RegularFileRefusal.SymbolicLink, WrittenThroughLink(path));
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        const int O_RDWR = 2, O_CREAT = 0x40;
        int fd = OpenMode(path, O_RDWR | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW, 0x1B6 /* 0666 less the umask */);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == ELOOP) throw new RegularFileException(path, RegularFileRefusal.SymbolicLink, WrittenThroughLink(path));
            throw Errno(path, errno);
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            const uint STATX_NLINK = 0x4;
            var buffer = new byte[256];
            if (Statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_NLINK, buffer) != 0) throw Errno(path, Marshal.GetLastPInvokeError());
            int mode = BitConverter.ToUInt16(buffer, 28);
            uint links = BitConverter.ToUInt32(buffer, 16);
            if ((mode & S_IFMT) != S_IFREG)
                throw new RegularFileException(path, RegularFileRefusal.NotRegular, $"'{path}' is {TypeName(mode)}; a history is written only to a regular file.");
            if (links > 1)
                throw new RegularFileException(path, RegularFileRefusal.NotRegular,
                    $"'{path}' has {links} hard links: another name for it may be a file outside the history, so nothing is appended to it.");
            var deadline = DateTime.UtcNow + lockWait;
            while (Flock(fd, LOCK_EX | LOCK_NB) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != EWOULDBLOCK) break;   // a file system without flock: nothing to wait for
                if (DateTime.UtcNow >= deadline) throw new IOException($"'{path}' is locked by another writer; gave up after {lockWait.TotalSeconds:0} s.");
                Thread.Sleep(50);
            }
            return new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static string WrittenThroughLink(string path) =>
        $"'{path}' is a symbolic link; a history file is written only where it is, never through a link. Give the link's target instead.";

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenMode([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    private const int LOCK_EX = 2;

    /// <summary>Releases the lock <see cref="TryLockShared"/> took, before the stream is closed.</summary>
    public static void Unlock(FileStream stream)
    {
        if (OperatingSystem.IsLinux()) Flock((int)stream.SafeFileHandle.DangerousGetHandle(), LOCK_UN);
    }

    private static string TypeName(int mode) => (mode & S_IFMT) switch
    {
        S_IFDIR => "a folder",
        S_IFIFO => "a FIFO (named pipe)",
        S_IFSOCK => "a socket",
        S_IFCHR => "a character device",
        S_IFBLK => "a block device",
        _ => "not a regular file",
    };

    private static RegularFileException Refused(string path, RegularFileRefusal refusal, string? what = null) => refusal switch
    {
        RegularFileRefusal.SymbolicLink => new RegularFileException(path, refusal, $"'{path}' is a symbolic link; links inside a history are not followed."),
        _ => new RegularFileException(path, refusal, $"'{path}' is {what ?? "not a regular file"}; only regular files are read."),
    };

    private static RegularFileException TooLarge(string path, long length, long maxBytes) =>
        new(path, RegularFileRefusal.TooLarge, $"'{path}' is {length / (1024 * 1024)} MiB; run histories are read up to {maxBytes / (1024 * 1024)} MiB per file.");

    private static Exception Errno(string path, int errno) => errno switch
    {
        2 or 20 => new FileNotFoundException($"Could not find '{path}'.", path),
        1 or 13 => new UnauthorizedAccessException($"Access to '{path}' is denied."),
        _ => new IOException($"Cannot open '{path}': {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})."),
    };
}
