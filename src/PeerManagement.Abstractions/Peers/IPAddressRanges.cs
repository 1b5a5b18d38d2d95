using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PeerManagement;

/// <summary>The special-purpose address ranges behind <see cref="PeerHost.IsPublic"/>.</summary>
internal static class IPAddressRanges
{
    // IPv4 ranges that are not public (RFC 6890 and friends), as (network, prefix length).
    private static readonly (uint Network, int Prefix)[] NonPublicV4 =
    [
        (0x00000000, 8),   // 0.0.0.0/8 "this network"
        (0x0A000000, 8),   // 10.0.0.0/8 private
        (0x64400000, 10),  // 100.64.0.0/10 shared address space (CGNAT)
        (0x7F000000, 8),   // 127.0.0.0/8 loopback
        (0xA9FE0000, 16),  // 169.254.0.0/16 link-local
        (0xAC100000, 12),  // 172.16.0.0/12 private
        (0xC0000000, 24),  // 192.0.0.0/24 IETF protocol assignments
        (0xC0000200, 24),  // 192.0.2.0/24 documentation (TEST-NET-1)
        (0xC0586300, 24),  // 192.88.99.0/24 deprecated 6to4 relay
        (0xC0A80000, 16),  // 192.168.0.0/16 private
        (0xC6120000, 15),  // 198.18.0.0/15 benchmarking
        (0xC6336400, 24),  // 198.51.100.0/24 documentation (TEST-NET-2)
        (0xCB007100, 24),  // 203.0.113.0/24 documentation (TEST-NET-3)
        (0xE0000000, 4),   // 224.0.0.0/4 multicast
        (0xF0000000, 4),   // 240.0.0.0/4 reserved, including broadcast
    ];

    // Inside 2000::/3 (global unicast), the ranges that are still not public.
    private static readonly (UInt128 Network, int Prefix)[] NonPublicV6 =
    [
        (Prefix(0x2001_0000, 0), 23), // 2001::/23 IETF protocol assignments: Teredo, benchmarking, ORCHID and the rest
        (Prefix(0x2001_0db8, 0), 32), // 2001:db8::/32 documentation
        (Prefix(0x3fff_0000, 0), 20), // 3fff::/20 documentation
    ];

    /// <summary>A peer's address must be neither multicast nor unspecified.</summary>
    public static bool IsValid(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var v4 = ToUInt32(address);
            return v4 != 0 && (v4 >> 28) != 0xE;
        }

        return !address.Equals(IPAddress.IPv6None) && !address.IsIPv6Multicast;
    }

    /// <summary>Public: valid, and not private, loopback, link-local, CGNAT, documentation or reserved.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return IsPublicV4(ToUInt32(address));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        var v6 = ToUInt128(address);
        if ((v6 >> 125) != 1)
        {
            // Only 2000::/3 is allocated as global unicast: ::1, fc00::/7, fe80::/10, ff00::/8 and the rest are not public.
            return false;
        }

        foreach (var (network, prefix) in NonPublicV6)
        {
            if ((v6 ^ network) >> (128 - prefix) == 0)
            {
                return false;
            }
        }

        // 6to4 (2002::/16) carries an IPv4 address in its next 32 bits: it is as public as that address.
        if ((v6 >> 112) == 0x2002)
        {
            return IsPublicV4((uint)(v6 >> 80));
        }

        return true;
    }

    private static bool IsPublicV4(uint v4)
    {
        foreach (var (network, prefix) in NonPublicV4)
        {
            if (InPrefix(v4, network, prefix))
            {
                return false;
            }
        }

        return true;
    }

    public static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static UInt128 ToUInt128(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static bool InPrefix(uint address, uint network, int prefix)
        => (address ^ network) >> (32 - prefix) == 0;

    private static UInt128 Prefix(uint high32, uint next32) => new(((ulong)high32 << 32) | next32, 0);
}
