using System.Net;
using System.Net.Sockets;

namespace OnloadTools.Latency;

/// <summary>
/// Whether the name given as -ComputerName resolves, checked before anything is measured: a name that does not
/// resolve is not "no netserver answered", and saying so sends the admin to the wrong fix.
/// </summary>
internal static class TargetHost
{
    /// <summary>
    /// Null when <paramref name="name"/> is an address or resolves (or when the resolver could not give an answer
    /// either way: the tool then tries for itself); else why it does not resolve. Names under the special-use
    /// domain "invalid" never resolve (RFC 6761) and are answered without asking a name server.
    /// </summary>
    public static async Task<string?> WhyUnresolvableAsync(string name, CancellationToken ct)
    {
        if (IPAddress.TryParse(name, out _)) return null;
        string bare = name.TrimEnd('.');
        if (bare.Equals("invalid", StringComparison.OrdinalIgnoreCase) || bare.EndsWith(".invalid", StringComparison.OrdinalIgnoreCase))
        {
            return $"The computer name '{name}' does not resolve: names under '.invalid' are reserved never to resolve (RFC 6761).";
        }
        try
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(name, ct).ConfigureAwait(false);
            return addresses.Length > 0 ? null : $"The computer name '{name}' does not resolve to any address.";
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData)
        {
            return $"The computer name '{name}' does not resolve: {e.Message}. Check the name, /etc/hosts and DNS.";
        }
        catch (SocketException)
        {
            return null; // no answer (name server unreachable, try again): not proof that the name is wrong
        }
        catch (ArgumentException e)
        {
            return $"'{name}' is not a valid computer name: {e.Message}";
        }
    }
}
