using System.Net;
using System.Net.Sockets;

namespace PeerManagement;

/// <summary>
/// Finds whether this machine has a route to public IPv4 and IPv6 addresses: it "connects" a UDP socket of each
/// family to a public address, which only asks the system for a route and sends no packet.
/// </summary>
public sealed class SocketAddressFamilyProbe : IAddressFamilyProbe
{
    // Any public address would do: nothing is sent to it, the system only looks up a route.
    private static readonly IPEndPoint IPv4Target = new(IPAddress.Parse("1.1.1.1"), 53);
    private static readonly IPEndPoint IPv6Target = new(IPAddress.Parse("2606:4700:4700::1111"), 53);

    /// <inheritdoc />
    public ValueTask<AddressFamilyReachability> ProbeAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(new AddressFamilyReachability(HasRoute(IPv4Target), Socket.OSSupportsIPv6 && HasRoute(IPv6Target)));
    }

    private static bool HasRoute(IPEndPoint target)
    {
        try
        {
            using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(target);
            return socket.LocalEndPoint is IPEndPoint local && !IPAddress.IsLoopback(local.Address) && !local.Address.Equals(IPAddress.Any) && !local.Address.Equals(IPAddress.IPv6Any);
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
