using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PeerManagement;

/// <summary>
/// The network an address belongs to at a prefix length, e.g. <c>203.0.0.0/16</c> or <c>2001:db8:1::/48</c>: the
/// one key type for grouping addresses (sessions per network, <c>server.add_peer</c> pauses, rate-limit keys,
/// sybil buckets). An IPv4-mapped IPv6 address counts as the IPv4 address it carries. Compared by value, with no
/// allocation; <see cref="ToString"/> gives the CIDR text.
/// </summary>
public readonly struct NetworkPrefix : IEquatable<NetworkPrefix>
{
    private readonly UInt128 _network;
    private readonly byte _family;
    private readonly byte _length;

    private NetworkPrefix(byte family, UInt128 network, int length)
    {
        _family = family;
        _network = network;
        _length = (byte)length;
    }

    /// <summary>The address family: <see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>; <see cref="AddressFamily.Unspecified"/> for the default value.</summary>
    public AddressFamily Family => _family switch
    {
        4 => AddressFamily.InterNetwork,
        6 => AddressFamily.InterNetworkV6,
        _ => AddressFamily.Unspecified,
    };

    /// <summary>The prefix length in bits (0–32 for IPv4, 0–128 for IPv6).</summary>
    public int Length => _length;

    /// <summary>The network of <paramref name="address"/> at the prefix length of its family.</summary>
    /// <param name="address">The address; an IPv4-mapped IPv6 address is taken as IPv4.</param>
    /// <param name="ipv4Length">The prefix length for IPv4 (0–32).</param>
    /// <param name="ipv6Length">The prefix length for IPv6 (0–128).</param>
    /// <returns>The network.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A prefix length is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="address"/> is neither IPv4 nor IPv6.</exception>
    public static NetworkPrefix Of(IPAddress address, int ipv4Length, int ipv6Length)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNegative(ipv4Length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ipv4Length, 32);
        ArgumentOutOfRangeException.ThrowIfNegative(ipv6Length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ipv6Length, 128);
        address = PeerAddress.Normalize(address);

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var bits = IPAddressRanges.ToUInt32(address);
            var masked = ipv4Length == 0 ? 0u : bits & (uint.MaxValue << (32 - ipv4Length));
            return new NetworkPrefix(4, masked, ipv4Length);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"'{address}' is neither an IPv4 nor an IPv6 address.", nameof(address));
        }

        var value = IPAddressRanges.ToUInt128(address);
        var network = ipv6Length == 0 ? UInt128.Zero : value & (UInt128.MaxValue << (128 - ipv6Length));
        return new NetworkPrefix(6, network, ipv6Length);
    }

    /// <summary>Whether <paramref name="address"/> lies in this network.</summary>
    /// <param name="address">The address; an IPv4-mapped IPv6 address is taken as IPv4.</param>
    /// <returns><see langword="true"/> when it does.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is <see langword="null"/>.</exception>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = PeerAddress.Normalize(address);

        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork when _family == 4 => Of(address, _length, 0)._network == _network,
            AddressFamily.InterNetworkV6 when _family == 6 => Of(address, 0, _length)._network == _network,
            _ => false,
        };
    }

    /// <inheritdoc />
    public bool Equals(NetworkPrefix other) => _family == other._family && _length == other._length && _network == other._network;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is NetworkPrefix other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_family, _length, _network);

    /// <summary>The CIDR text, e.g. <c>203.0.0.0/16</c>; an empty string for the default value.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        if (_family == 4)
        {
            var v4 = (uint)_network;
            return string.Create(CultureInfo.InvariantCulture, $"{v4 >> 24}.{(v4 >> 16) & 0xFF}.{(v4 >> 8) & 0xFF}.{v4 & 0xFF}/{_length}");
        }

        if (_family == 6)
        {
            Span<byte> bytes = stackalloc byte[16];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, _network);
            return string.Create(CultureInfo.InvariantCulture, $"{new IPAddress(bytes)}/{_length}");
        }

        return string.Empty;
    }

    /// <summary>Whether two networks are the same.</summary>
    /// <param name="left">One network.</param>
    /// <param name="right">The other.</param>
    /// <returns><see langword="true"/> when they are equal.</returns>
    public static bool operator ==(NetworkPrefix left, NetworkPrefix right) => left.Equals(right);

    /// <summary>Whether two networks differ.</summary>
    /// <param name="left">One network.</param>
    /// <param name="right">The other.</param>
    /// <returns><see langword="true"/> when they are not equal.</returns>
    public static bool operator !=(NetworkPrefix left, NetworkPrefix right) => !left.Equals(right);
}
