using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace PeerManagement;

/// <summary>
/// A peer's host: a DNS name, an IPv4 or IPv6 literal, or a <c>.onion</c> name. Always valid once
/// constructed; stored lower-case and compared ordinally, so comparison is case-insensitive.
/// </summary>
/// <remarks>
/// Valid means: an IP literal that is neither multicast nor unspecified, or a DNS name of at most 253
/// characters whose labels are 1–63 letters, digits or inner hyphens and which is not <c>localhost</c>. An IPv4
/// literal is exactly four decimal parts 0–255 without leading zeros (<c>0</c> itself is fine). A name whose last
/// label is a number (all decimal digits, or <c>0x</c> and hex digits) is not a DNS name: it is that IPv4
/// literal or it is refused, so <c>0x7f.1</c>, <c>2130706433</c>, <c>127.1</c> and <c>010.8.8.8</c>, which
/// resolvers read as addresses without asking DNS, are not hosts. Whether the host may be used on the public
/// network is <see cref="IsPublic"/>.
/// </remarks>
public readonly partial struct PeerHost : IEquatable<PeerHost>, ISpanFormattable
{
    private const int MaxNameLength = 253;
    private const int MaxLabelLength = 63;
    private const string OnionSuffix = ".onion";

    // What a host name may hold; upper case is lowered.
    private static readonly SearchValues<char> NameCharacters = SearchValues.Create("-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private readonly string? _value;

    // A DNS name of one label (no dot): not public. Worked out once here, as hot paths ask IsPublic of every peer.
    private readonly bool _singleLabel;

    private PeerHost(string value, HostKind kind, IPAddress? address)
    {
        _value = value;
        Kind = kind;
        Address = address;
        _singleLabel = kind == HostKind.DnsName && !value.Contains('.', StringComparison.Ordinal);
    }

    /// <summary>The canonical text: lower-case; an IPv6 literal without brackets in its compressed form.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>What kind of name this is.</summary>
    public HostKind Kind { get; }

    /// <summary>The address when the host is an IP literal; otherwise <see langword="null"/>.</summary>
    public IPAddress? Address { get; }

    /// <summary><see langword="true"/> for a <c>.onion</c> name.</summary>
    public bool IsOnion => Kind == HostKind.Onion;

    /// <summary><see langword="true"/> when the host is an IPv4 or IPv6 literal.</summary>
    public bool IsIPAddress => Kind is HostKind.IPv4 or HostKind.IPv6;

    /// <summary><see langword="true"/> for the default value, which names no host.</summary>
    public bool IsEmpty => _value is null;

    /// <summary>
    /// <see langword="true"/> when the host may be used on the public network: an IP literal outside the
    /// private, loopback, link-local, shared (CGNAT), documentation and reserved ranges; a DNS name with at
    /// least two labels; or an onion name.
    /// </summary>
    public bool IsPublic => Kind switch
    {
        HostKind.IPv4 or HostKind.IPv6 => IsPublicAddress(Address!),
        HostKind.Onion => true,
        _ => _value is not null && !_singleLabel,
    };

    /// <summary>Parses a host, throwing when it is not valid.</summary>
    /// <param name="host">The host text; brackets around an IPv6 literal and one trailing dot are accepted.</param>
    /// <returns>The canonical host.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The text is not a valid host; the message names the input and why.</exception>
    public static PeerHost Parse(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (!TryParse(host.AsSpan(), out var result, out var error))
        {
            throw new FormatException($"'{host}' is not a valid peer host: {error}.");
        }

        return result;
    }

    /// <summary>Tries to parse a host.</summary>
    /// <param name="host">The host text.</param>
    /// <param name="result">The canonical host when the text is valid.</param>
    /// <returns><see langword="true"/> when the text is a valid host.</returns>
    public static bool TryParse([NotNullWhen(true)] string? host, out PeerHost result)
        => TryParse(host.AsSpan(), out result, out _);

    /// <summary>Tries to parse a host, saying why it is not valid.</summary>
    /// <param name="host">The host text.</param>
    /// <param name="result">The canonical host when the text is valid.</param>
    /// <param name="error">Why the text is not valid, when it is not.</param>
    /// <returns><see langword="true"/> when the text is a valid host.</returns>
    public static bool TryParse(ReadOnlySpan<char> host, out PeerHost result, [NotNullWhen(false)] out string? error)
    {
        if (TryParseCommonName(host, out result))
        {
            error = null;
            return true;
        }

        result = default;
        if (host.Length > 0 && host[^1] == '.' && !host.Contains(':'))
        {
            host = host[..^1];
        }

        if (host.IsEmpty)
        {
            error = "the host is empty";
            return false;
        }

        if (host.Length > MaxNameLength)
        {
            error = $"a host name is at most {MaxNameLength} characters";
            return false;
        }

        if (host[0] == '[' || host.Contains(':'))
        {
            return TryParseIPv6(host, out result, out error);
        }

        // A name ending in a number is an IPv4 literal or nothing: resolvers read 0x7f.1, 2130706433 or 0177.0.0.1
        // as addresses without asking DNS, so only the one unambiguous spelling is accepted.
        if (IPv4LiteralSyntax.EndsInNumber(host))
        {
            return IPv4LiteralSyntax.TryParse(host, out var v4, out error) && TryCreateAddress(v4, out result, out error);
        }

        return TryParseName(host, out result, out error);
    }

    /// <summary>
    /// Whether an address may be a peer at all: neither multicast nor unspecified (an IPv4-mapped IPv6 address is
    /// judged as its IPv4 address).
    /// </summary>
    /// <param name="address">The address, e.g. one a host name resolved to.</param>
    /// <returns><see langword="true"/> when the address can be a peer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is <see langword="null"/>.</exception>
    public static bool IsValidAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return IPAddressRanges.IsValid(PeerAddress.Normalize(address));
    }

    /// <summary>
    /// Whether an address is on the public network: the rule of <see cref="IsPublic"/> for IP literals, for any
    /// address (e.g. one a host name resolved to). Private, loopback, link-local, shared (CGNAT), documentation,
    /// benchmarking, reserved, multicast and unspecified addresses are not public; an IPv4-mapped IPv6 address is
    /// judged as its IPv4 address and a 6to4 address as the IPv4 address inside it.
    /// </summary>
    /// <param name="address">The address.</param>
    /// <returns><see langword="true"/> when the address is public.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is <see langword="null"/>.</exception>
    public static bool IsPublicAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return IPAddressRanges.IsPublic(PeerAddress.Normalize(address));
    }

    /// <summary>Creates a host from an IP address.</summary>
    /// <param name="address">The address; an IPv4-mapped IPv6 address becomes IPv4.</param>
    /// <returns>The host.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The address is multicast, unspecified or has a scope id.</exception>
    public static PeerHost FromAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!TryCreateAddress(address, out var host, out var error))
        {
            throw new ArgumentException($"'{address}' is not a valid peer host: {error}.", nameof(address));
        }

        return host;
    }

    /// <inheritdoc />
    public bool Equals(PeerHost other) => string.Equals(_value, other._value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PeerHost other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _value is null ? 0 : StringComparer.Ordinal.GetHashCode(_value);

    /// <summary>Returns <see cref="Value"/>.</summary>
    /// <returns>The canonical text.</returns>
    public override string ToString() => Value;

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => Value;

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        var value = Value;
        if (value.AsSpan().TryCopyTo(destination))
        {
            charsWritten = value.Length;
            return true;
        }

        charsWritten = 0;
        return false;
    }

    /// <summary>Compares two hosts.</summary>
    /// <param name="left">The first host.</param>
    /// <param name="right">The second host.</param>
    /// <returns><see langword="true"/> when they name the same host.</returns>
    public static bool operator ==(PeerHost left, PeerHost right) => left.Equals(right);

    /// <summary>Compares two hosts.</summary>
    /// <param name="left">The first host.</param>
    /// <param name="right">The second host.</param>
    /// <returns><see langword="true"/> when they name different hosts.</returns>
    public static bool operator !=(PeerHost left, PeerHost right) => !left.Equals(right);

    private static bool TryParseIPv6(ReadOnlySpan<char> host, out PeerHost result, out string? error)
    {
        result = default;
        if (host[0] == '[')
        {
            if (host.Length < 3 || host[^1] != ']')
            {
                error = "an IPv6 literal in brackets must end with ']'";
                return false;
            }

            host = host[1..^1];
        }

        if (host.Contains('%'))
        {
            error = "an IPv6 scope id is not allowed";
            return false;
        }

        if (!IPAddress.TryParse(host, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            error = "it is not a valid IPv6 address";
            return false;
        }

        return TryCreateAddress(address, out result, out error);
    }

    private static bool TryCreateAddress(IPAddress address, out PeerHost result, out string? error)
    {
        result = default;
        address = PeerAddress.Normalize(address);

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            error = "an IPv6 scope id is not allowed";
            return false;
        }

        if (!IPAddressRanges.IsValid(address))
        {
            error = "a multicast or unspecified address cannot be a peer";
            return false;
        }

        var kind = address.AddressFamily == AddressFamily.InterNetwork ? HostKind.IPv4 : HostKind.IPv6;
        result = new PeerHost(address.ToString(), kind, address);
        error = null;
        return true;
    }
}
