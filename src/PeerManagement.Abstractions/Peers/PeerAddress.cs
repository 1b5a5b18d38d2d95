using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace PeerManagement;

/// <summary>
/// The one normal form of a remote address: an IPv4-mapped IPv6 address (<c>::ffff:203.0.113.5</c>, what a
/// dual-mode socket reports for an IPv4 caller) is the IPv4 address it carries. Addresses are normalised once,
/// where they enter (a connection, a session), so that matching, buckets, blacklists and rate-limit keys agree.
/// </summary>
public static class PeerAddress
{
    /// <summary>The normal form of <paramref name="address"/>.</summary>
    /// <param name="address">The address, or <see langword="null"/>.</param>
    /// <returns>The IPv4 address an IPv4-mapped address carries; any other address itself; <see langword="null"/> for <see langword="null"/>.</returns>
    [return: NotNullIfNotNull(nameof(address))]
    public static IPAddress? Normalize(IPAddress? address)
        => address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}
