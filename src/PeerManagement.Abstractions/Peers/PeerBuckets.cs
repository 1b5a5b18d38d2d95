using System.Net;
using System.Net.Sockets;

namespace PeerManagement;

/// <summary>
/// Buckets group peers that one operator could cheaply multiply (sybil defence). Internal buckets decide
/// whom we accept: an IPv4 address is its own bucket, an IPv6 address its /64. External buckets decide
/// whom we tell others of: IPv4 /16, IPv6 /56. All onion peers share one bucket in both.
/// </summary>
public static class PeerBuckets
{
    /// <summary>The bucket of every onion peer.</summary>
    public const string Onion = "onion";

    private const int InternalIPv4Length = 32;
    private const int InternalIPv6Length = 64;
    private const int ExternalIPv4Length = 16;
    private const int ExternalIPv6Length = 56;

    /// <summary>The internal network of an address (used for admission): the IPv4 address itself, or its IPv6 /64.</summary>
    /// <param name="address">The address.</param>
    /// <returns>The network.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is <see langword="null"/>.</exception>
    public static NetworkPrefix GetInternalNetwork(IPAddress address) => NetworkPrefix.Of(address, InternalIPv4Length, InternalIPv6Length);

    /// <summary>The external network of an address (used for what we tell others): its IPv4 /16 or IPv6 /56.</summary>
    /// <param name="address">The address.</param>
    /// <returns>The network.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is <see langword="null"/>.</exception>
    public static NetworkPrefix GetExternalNetwork(IPAddress address) => NetworkPrefix.Of(address, ExternalIPv4Length, ExternalIPv6Length);

    /// <summary>The internal bucket of a peer (used for admission).</summary>
    /// <param name="host">The peer's host.</param>
    /// <param name="address">The address we connected to, when known; an IP-literal host is its own address.</param>
    /// <returns>The bucket key, or <see langword="null"/> for a DNS name whose address is not known yet.</returns>
    public static string? GetInternalBucket(PeerHost host, IPAddress? address)
        => GetBucket(host, address, InternalIPv4Length, InternalIPv6Length);

    /// <summary>The external bucket of a peer (used for what we tell others).</summary>
    /// <param name="host">The peer's host.</param>
    /// <param name="address">The address we connected to, when known; an IP-literal host is its own address.</param>
    /// <returns>The bucket key, or <see langword="null"/> for a DNS name whose address is not known yet.</returns>
    public static string? GetExternalBucket(PeerHost host, IPAddress? address)
        => GetBucket(host, address, ExternalIPv4Length, ExternalIPv6Length);

    /// <summary>The bucket of an address at the given prefix lengths, e.g. <c>203.0.0.0/16</c>.</summary>
    /// <param name="address">The address.</param>
    /// <param name="ipv4Prefix">The prefix length for IPv4 (0–32).</param>
    /// <param name="ipv6Prefix">The prefix length for IPv6 (0–128).</param>
    /// <returns>The bucket key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A prefix length is out of range.</exception>
    public static string GetAddressBucket(IPAddress address, int ipv4Prefix, int ipv6Prefix)
    {
        ArgumentNullException.ThrowIfNull(address);
        var network = NetworkPrefix.Of(address, ipv4Prefix, ipv6Prefix);
        return network.Family == AddressFamily.InterNetwork && ipv4Prefix == 32
            ? PeerAddress.Normalize(address).ToString()
            : network.ToString();
    }

    private static string? GetBucket(PeerHost host, IPAddress? address, int ipv4Prefix, int ipv6Prefix)
    {
        if (host.IsOnion)
        {
            return Onion;
        }

        address ??= host.Address;
        return address is null ? null : GetAddressBucket(address, ipv4Prefix, ipv6Prefix);
    }
}
