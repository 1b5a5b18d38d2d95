using System.Net;

namespace PeerManagement;

/// <summary>
/// Everything we know of one peer: what it advertises and its history with us. Immutable; the peer table
/// replaces a record on every change. This is what a peer store saves and loads. When its
/// <see cref="Features"/> list the peer's own host, they share the record's host text (one copy, not two).
/// </summary>
public sealed record PeerRecord
{
    private readonly PeerHost _host;
    private readonly PeerFeatures? _features;

    /// <summary>The host; one table entry per host.</summary>
    public required PeerHost Host
    {
        get => _host;
        init
        {
            _host = value;
            ShareHostText(_features, value);
        }
    }

    /// <summary>The TCP and SSL ports to check first.</summary>
    public PeerPorts Ports { get; init; }

    /// <summary>The protocol version the peer advertised in its real name, if any.</summary>
    public ProtocolVersion? Version { get; init; }

    /// <summary>The pruning limit the peer advertised in its real name, if any.</summary>
    public long? Pruning { get; init; }

    /// <summary>The features the peer reported when last verified, if it ever was.</summary>
    public PeerFeatures? Features
    {
        get => _features;
        init
        {
            _features = value;
            ShareHostText(value, _host);
        }
    }

    /// <summary>Where we heard of the peer: one of <see cref="PeerSources"/>, or the host of the peer that listed it.</summary>
    public string Source { get; init; } = PeerSources.Seed;

    /// <summary>The IP address we last connected to (never set for onion peers).</summary>
    public IPAddress? IPAddress { get; init; }

    /// <summary>
    /// Who operates the peer, as far as TLS tells: the first 8 bytes of the SHA-256 of the public key it presented at
    /// its last good check (<see cref="PeerConnection.ServerKey"/>), or 0 when unknown — plain TCP, or not checked over
    /// TLS since the table was loaded. Hosts with one key count as one operator in answers. Not stored.
    /// </summary>
    public long ServerKeyId { get; init; }

    // Kept as UTC ticks (0 = never): a nullable DateTimeOffset is three times the size, and a table holds
    // 100,000 of these.
    private readonly long _lastGoodTicks;
    private readonly long _lastTryTicks;

    /// <summary>When the peer was last verified successfully, in UTC (an offset given is normalised to zero).</summary>
    public DateTimeOffset? LastGood
    {
        get => FromTicks(_lastGoodTicks);
        init => _lastGoodTicks = ToTicks(value);
    }

    /// <summary>When we last tried to check the peer, in UTC (an offset given is normalised to zero).</summary>
    public DateTimeOffset? LastTry
    {
        get => FromTicks(_lastTryTicks);
        init => _lastTryTicks = ToTicks(value);
    }

    /// <summary>How many checks in a row have failed.</summary>
    public int TryCount { get; init; }

    /// <summary>Why the peer was marked bad, or <see langword="null"/> when it is not bad.</summary>
    public string? BadReason { get; init; }

    /// <summary><see langword="true"/> when the peer is marked bad.</summary>
    public bool IsBad => BadReason is not null;

    /// <summary>The peer's real name: host, version, pruning and ports.</summary>
    public PeerRealName RealName => new(Host, Ports, Version, Pruning);

    /// <summary>Creates a record for a newly heard-of peer.</summary>
    /// <param name="name">Its real name.</param>
    /// <param name="source">Where we heard of it.</param>
    /// <returns>A record with no history.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static PeerRecord FromRealName(PeerRealName name, string source)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(source);
        return new PeerRecord { Host = name.Host, Ports = name.Ports, Version = name.Version, Pruning = name.Pruning, Source = source };
    }

    /// <summary>
    /// The status at <paramref name="now"/>: <see cref="PeerStatus.Bad"/> if marked bad; else
    /// <see cref="PeerStatus.Good"/> if last good less than <paramref name="staleAfter"/> ago; else
    /// <see cref="PeerStatus.Stale"/> if it was ever good; else <see cref="PeerStatus.Never"/>.
    /// </summary>
    /// <param name="now">The current time.</param>
    /// <param name="staleAfter">How long a success keeps a peer good.</param>
    /// <returns>The status.</returns>
    public PeerStatus GetStatus(DateTimeOffset now, TimeSpan staleAfter)
    {
        if (IsBad)
        {
            return PeerStatus.Bad;
        }

        if (LastGood is not { } lastGood)
        {
            return PeerStatus.Never;
        }

        return now - lastGood < staleAfter ? PeerStatus.Good : PeerStatus.Stale;
    }

    // A peer's features list the peer's own host: keep one copy of that text per entry, not two. Either
    // property may be set first, so both call this.
    private static void ShareHostText(PeerFeatures? features, PeerHost host)
    {
        if (features?.Hosts is PeerHostPortsMap hosts)
        {
            hosts.ShareKey(host);
        }
    }

    private static DateTimeOffset? FromTicks(long ticks) => ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    private static long ToTicks(DateTimeOffset? value) => value is { } time ? Math.Max(time.UtcTicks, 1) : 0;
}
