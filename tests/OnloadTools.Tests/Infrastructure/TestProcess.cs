using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OnloadTools.Tests;

/// <summary>Test-side process helpers (set-up of servers and namespaces; the product uses Processes/ only).</summary>
public static class TestProcess
{
    public static (int ExitCode, string Output) Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();       // both pipes drained at once: a chatty stderr cannot block
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }

    public static Process Start(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = false, RedirectStandardError = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static bool IsListening(string host, int port)
    {
        try
        {
            using var c = new TcpClient();
            return c.ConnectAsync(host, port).Wait(500) && c.Connected;
        }
        catch (AggregateException) { return false; }
        catch (SocketException) { return false; }
    }

    /// <summary>True as soon as something listens on host:port, false when <paramref name="timeout"/> passes first.</summary>
    public static bool TryWaitListening(string host, int port, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (IsListening(host, port)) return true;
            Thread.Sleep(50);
        }
        return IsListening(host, port);
    }

    public static void WaitListening(string host, int port, TimeSpan timeout)
    {
        if (!TryWaitListening(host, port, timeout)) throw new TimeoutException($"nothing listened on {host}:{port} within {timeout}");
    }

    /// <summary>Command lines of every running process whose argv contains all of <paramref name="words"/>.</summary>
    public static IReadOnlyList<string> ProcessesWith(params string[] words)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                if (argv.Length == 0) continue;
                if (words.All(w => argv.Any(a => a == w || Path.GetFileName(a) == w))) found.Add(string.Join(' ', argv));
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    /// <summary>A netserver on a free loopback port for the duration of a test.</summary>
    public sealed class Netserver : IDisposable
    {
        private readonly Process _process;
        public int Port { get; }
        public Netserver(string? netns = null, string address = "127.0.0.1", int? port = null)
        {
            Port = port ?? FreePort();
            _process = netns is null
                ? Start("netserver", "-D", "-p", Port.ToString(), "-L", address, "-4")
                : Start("ip", "netns", "exec", netns, "netserver", "-D", "-p", Port.ToString(), "-L", address, "-4");
        }
        public void Dispose()
        {
            try { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
            _process.Dispose();
        }
    }
}

/// <summary>
/// A second host on this machine: a network namespace joined to the host by a veth pair
/// (10.231.7.1 here, 10.231.7.2 there), with a netserver inside it. Torn down after the tests.
/// </summary>
public sealed class TwoHostFixture : IDisposable
{
    public const string Namespace = "onloadtools-t2";
    public const string HostAddress = "10.231.7.1";
    public const string PeerAddress = "10.231.7.2";
    private const string HostVeth = "otveth0";
    private const string PeerVeth = "otveth1";
    public TestProcess.Netserver? Server { get; }
    public string? SetupError { get; }

    public TwoHostFixture()
    {
        TearDown();
        var steps = new[]
        {
            new[] { "netns", "add", Namespace },
            new[] { "link", "add", HostVeth, "type", "veth", "peer", "name", PeerVeth },
            new[] { "link", "set", PeerVeth, "netns", Namespace },
            new[] { "addr", "add", HostAddress + "/30", "dev", HostVeth },
            new[] { "link", "set", HostVeth, "up" },
            new[] { "netns", "exec", Namespace, "ip", "addr", "add", PeerAddress + "/30", "dev", PeerVeth },
            new[] { "netns", "exec", Namespace, "ip", "link", "set", PeerVeth, "up" },
            new[] { "netns", "exec", Namespace, "ip", "link", "set", "lo", "up" },
        };
        foreach (var step in steps)
        {
            var (code, output) = TestProcess.Run("ip", step);
            if (code != 0)
            {
                SetupError = $"ip {string.Join(' ', step)} failed: {output}";
                return;
            }
        }
        Server = new TestProcess.Netserver(Namespace, PeerAddress);
        TestProcess.WaitListening(PeerAddress, Server.Port, TimeSpan.FromSeconds(10));
    }

    private static void TearDown()
    {
        TestProcess.Run("ip", "netns", "del", Namespace);
        TestProcess.Run("ip", "link", "del", HostVeth);
    }

    public void Dispose()
    {
        Server?.Dispose();
        TearDown();
    }
}
