using System.Net;
using System.Net.Sockets;

namespace OnloadTools.Latency;

/// <summary>Loopback port probes for the private servers of the latency measurements.</summary>
internal static class LoopbackPorts
{
    /// <summary>A TCP listener accepts on 127.0.0.1:port. Loopback answers at once (accepted or refused), so this is
    /// a plain blocking connect: no thread pool involved.</summary>
    public static bool TcpAccepts(int port)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    /// <summary>Something holds UDP 127.0.0.1:port. A UDP server cannot be asked without speaking its protocol; a
    /// bound port is the sign of one.</summary>
    public static bool UdpBound(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            probe.ExclusiveAddressUse = true;
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return true;
        }
    }

    public static int FreeTcpPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static int FreeUdpPort()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)udp.LocalEndPoint!).Port;
    }
}
