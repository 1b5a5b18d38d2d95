using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace PeerManagement;

/// <summary>
/// What an operator's kick or ban covers: one host (<c>electrum.example.org</c>), one IP address (<c>203.0.113.7</c>,
/// <c>2001:db8::1</c>), a CIDR range (<c>203.0.113.0/24</c>) or a host suffix (<c>*.example.org</c>: the domain and
/// every name below it). Parsed once at the edge; <see cref="ToString"/> is its canonical form, the form bans are
/// kept in.
/// </summary>
public sealed class PeerMatch
{
    /// <summary>The longest text accepted.</summary>
    public const int MaxLength = 300;

    private readonly PeerHost _host;
    private readonly IPAddress? _address;
    private readonly IPNetwork? _network;
    private readonly string? _suffix;
    private readonly string _text;

    private PeerMatch(PeerHost host, IPAddress? address, IPNetwork? network, string? suffix, string text)
    {
        _host = host;
        _address = address;
        _network = network;
        _suffix = suffix;
        _text = text;
    }

    /// <summary>Whether it covers exactly one host name (not an address, range or suffix); then <see cref="Host"/> is that host.</summary>
    public bool IsHost => !_host.IsEmpty;

    /// <summary>The host of a match made of one host name; otherwise empty.</summary>
    public PeerHost Host => _host;

    /// <summary>Parses a match.</summary>
    /// <param name="text">The text: a host, an IP address, a CIDR range or <c>*.domain</c>.</param>
    /// <param name="match">The match, when the text is one.</param>
    /// <param name="error">Why the text is not a match, quoting at most 100 characters of it.</param>
    /// <returns>Whether the text is a match.</returns>
    public static bool TryParse(string? text, [NotNullWhen(true)] out PeerMatch? match, [NotNullWhen(false)] out string? error)
    {
        match = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the match is empty";
            return false;
        }

        var trimmed = text.Trim();
        if (trimmed.Length > MaxLength)
        {
            error = $"the match is longer than {MaxLength} characters";
            return false;
        }

        if (trimmed.StartsWith("*.", StringComparison.Ordinal))
        {
            if (!PeerHost.TryParse(trimmed[2..], out var domain) || domain.IsIPAddress || !domain.Value.Contains('.', StringComparison.Ordinal))
            {
                error = $"'{PeerRealName.Quote(trimmed)}' is not a host suffix (*.domain.tld)";
                return false;
            }

            match = new PeerMatch(default, null, null, domain.Value, "*." + domain.Value);
            error = null;
            return true;
        }

        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            // The address part follows the host rules (no octal or hex disguises), as everywhere else.
            if (!PeerHost.TryParse(trimmed[..slash].Trim('[', ']'), out var networkHost) || !networkHost.IsIPAddress
                || !IPNetwork.TryParse(networkHost.Address + trimmed[slash..], out var network)
                || !network.BaseAddress.Equals(networkHost.Address))
            {
                error = $"'{PeerRealName.Quote(trimmed)}' is not a CIDR range (address/prefix, no bits set after the prefix)";
                return false;
            }

            match = new PeerMatch(default, null, network, null, network.ToString());
            error = null;
            return true;
        }

        if (!PeerHost.TryParse(trimmed.Trim('[', ']'), out var host))
        {
            error = $"'{PeerRealName.Quote(trimmed)}' is not a host, an IP address, a CIDR range or *.domain";
            return false;
        }

        match = host.Address is { } address
            ? new PeerMatch(default, PeerAddress.Normalize(address), null, null, PeerAddress.Normalize(address)!.ToString())
            : new PeerMatch(host, null, null, null, host.Value);
        error = null;
        return true;
    }

    /// <summary>Whether a peer is covered: by its host, or by the address it was last reached at.</summary>
    /// <param name="host">The peer's host.</param>
    /// <param name="address">The address it was last reached at, if any.</param>
    /// <returns><see langword="true"/> when covered.</returns>
    public bool Matches(PeerHost host, IPAddress? address)
    {
        if (!_host.IsEmpty)
        {
            return host == _host;
        }

        if (_suffix is not null)
        {
            var name = host.Value;
            return !host.IsIPAddress && (name == _suffix || (name.EndsWith(_suffix, StringComparison.Ordinal) && name[^(_suffix.Length + 1)] == '.'));
        }

        return MatchesAddress(host.Address) || MatchesAddress(address);
    }

    /// <summary>Whether an address is covered (an address or range match; a host or suffix match covers no address).</summary>
    /// <param name="address">The address.</param>
    /// <returns><see langword="true"/> when covered.</returns>
    public bool MatchesAddress(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        address = PeerAddress.Normalize(address)!;
        return _address is not null ? _address.Equals(address) : _network is { } network && network.Contains(address);
    }

    /// <summary>The canonical form: a lower-case host, <c>*.domain</c>, a normalised address or range.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => _text;
}
