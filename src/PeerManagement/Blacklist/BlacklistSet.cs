using System.Globalization;
using System.Net;

namespace PeerManagement;

/// <summary>
/// One immutable set of parsed blacklist entries: exact hosts, <c>*.domain</c> wildcards, IP addresses and CIDR
/// ranges, each with an optional expiry (<c>entry until 2026-12-01T00:00:00Z</c>).
/// </summary>
internal sealed class BlacklistSet
{
    private const string UntilKeyword = " until ";

    private readonly Dictionary<string, DateTimeOffset?> _hosts;
    private readonly Dictionary<string, DateTimeOffset?> _suffixes;
    private readonly Dictionary<IPAddress, DateTimeOffset?> _addresses;
    private readonly (IPNetwork Network, DateTimeOffset? Expires)[] _networks;

    private BlacklistSet(
        Dictionary<string, DateTimeOffset?> hosts,
        Dictionary<string, DateTimeOffset?> suffixes,
        Dictionary<IPAddress, DateTimeOffset?> addresses,
        (IPNetwork, DateTimeOffset?)[] networks,
        int skipped)
    {
        _hosts = hosts;
        _suffixes = suffixes;
        _addresses = addresses;
        _networks = networks;
        Skipped = skipped;
    }

    public static BlacklistSet Empty { get; } = Parse([]);

    /// <summary>How many entries the set holds.</summary>
    public int Count => _hosts.Count + _suffixes.Count + _addresses.Count + _networks.Length;

    /// <summary>How many entries could not be read and were skipped.</summary>
    public int Skipped { get; }

    /// <summary>Parses entries; unreadable ones are skipped and counted.</summary>
    public static BlacklistSet Parse(IEnumerable<string> entries)
    {
        var hosts = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        var suffixes = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        var addresses = new Dictionary<IPAddress, DateTimeOffset?>();
        var networks = new List<(IPNetwork, DateTimeOffset?)>();
        var skipped = 0;
        foreach (var raw in entries)
        {
            if (!TryAdd(raw, hosts, suffixes, addresses, networks))
            {
                skipped++;
            }
        }

        return new BlacklistSet(hosts, suffixes, addresses, [.. networks], skipped);
    }

    /// <summary>Combines sets; an entry in several keeps the latest expiry.</summary>
    public static BlacklistSet Combine(IReadOnlyList<BlacklistSet> sets)
    {
        if (sets.Count == 1)
        {
            return sets[0];
        }

        var hosts = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        var suffixes = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        var addresses = new Dictionary<IPAddress, DateTimeOffset?>();
        var networks = new List<(IPNetwork, DateTimeOffset?)>();
        var skipped = 0;
        foreach (var set in sets)
        {
            Merge(hosts, set._hosts);
            Merge(suffixes, set._suffixes);
            Merge(addresses, set._addresses);
            networks.AddRange(set._networks);
            skipped += set.Skipped;
        }

        return new BlacklistSet(hosts, suffixes, addresses, [.. networks], skipped);
    }

    /// <summary>Whether a peer is blacklisted at <paramref name="now"/>: by host, by a wildcard, by address or by range.</summary>
    public bool Contains(PeerHost host, IPAddress? address, DateTimeOffset now)
    {
        if (!host.IsEmpty)
        {
            var name = host.Value;
            if (Active(_hosts, name, now))
            {
                return true;
            }

            if (!host.IsIPAddress && _suffixes.Count > 0)
            {
                // "*.domain.tld" covers domain.tld and every name below it.
                var span = name.AsSpan();
                while (true)
                {
                    if (_suffixes.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(span, out var expires) && IsActive(expires, now))
                    {
                        return true;
                    }

                    var dot = span.IndexOf('.');
                    if (dot < 0)
                    {
                        break;
                    }

                    span = span[(dot + 1)..];
                }
            }

            if (host.Address is { } own && ContainsAddress(own, now))
            {
                return true;
            }
        }

        return address is not null && ContainsAddress(address, now);
    }

    private bool ContainsAddress(IPAddress address, DateTimeOffset now)
    {
        address = PeerAddress.Normalize(address);

        if (_addresses.TryGetValue(address, out var expires) && IsActive(expires, now))
        {
            return true;
        }

        foreach (var (network, until) in _networks)
        {
            if (IsActive(until, now) && network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Active(Dictionary<string, DateTimeOffset?> map, string key, DateTimeOffset now)
        => map.TryGetValue(key, out var expires) && IsActive(expires, now);

    private static bool IsActive(DateTimeOffset? expires, DateTimeOffset now) => expires is null || now < expires.Value;

    private static void Merge<TKey>(Dictionary<TKey, DateTimeOffset?> into, Dictionary<TKey, DateTimeOffset?> from)
        where TKey : notnull
    {
        foreach (var (key, expires) in from)
        {
            if (!into.TryGetValue(key, out var existing) || (existing is not null && (expires is null || expires > existing)))
            {
                into[key] = expires;
            }
        }
    }

    private static bool TryAdd(
        string? raw,
        Dictionary<string, DateTimeOffset?> hosts,
        Dictionary<string, DateTimeOffset?> suffixes,
        Dictionary<IPAddress, DateTimeOffset?> addresses,
        List<(IPNetwork, DateTimeOffset?)> networks)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return false;
        }

        var text = raw.Trim();
        DateTimeOffset? expires = null;
        var until = text.IndexOf(UntilKeyword, StringComparison.OrdinalIgnoreCase);
        if (until >= 0)
        {
            if (!DateTimeOffset.TryParse(text.AsSpan(until + UntilKeyword.Length).Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
            {
                return false;
            }

            expires = when;
            text = text[..until].TrimEnd();
        }

        if (text.StartsWith("*.", StringComparison.Ordinal))
        {
            if (!PeerHost.TryParse(text[2..], out var domain) || domain.IsIPAddress)
            {
                return false;
            }

            suffixes[domain.Value] = expires;
            return true;
        }

        if (text.Contains('/', StringComparison.Ordinal))
        {
            // The address part follows the host rules (no octal or hex disguises), as everywhere else.
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            if (!PeerHost.TryParse(text[..slash].Trim('[', ']'), out var networkHost) || !networkHost.IsIPAddress
                || !IPNetwork.TryParse(text, out var network))
            {
                return false;
            }

            networks.Add((network, expires));
            return true;
        }

        if (!PeerHost.TryParse(text.Trim('[', ']'), out var host))
        {
            return false;
        }

        if (host.Address is { } address)
        {
            addresses[PeerAddress.Normalize(address)] = expires;
        }
        else
        {
            hosts[host.Value] = expires;
        }

        return true;
    }
}
