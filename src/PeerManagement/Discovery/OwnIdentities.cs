namespace PeerManagement;

/// <summary>
/// Our own identities (how other nodes reach us, from <see cref="PeerManagementOptions.Identities"/>), the one we
/// announce to a given peer, and the features we answer and announce.
/// </summary>
internal sealed class OwnIdentities
{
    private readonly HashSet<PeerHost> _hosts;
    private readonly PeerManagementOptions _options;
    private readonly IChainView _chain;
    private PeerFeatures? _features;

    /// <exception cref="ArgumentException">An identity is not a valid real name.</exception>
    public OwnIdentities(PeerManagementOptions options, IChainView chain)
    {
        _options = options;
        _chain = chain;
        var identities = new List<PeerRealName>(options.Identities.Count);
        foreach (var text in options.Identities)
        {
            if (!PeerRealName.TryParse(text.AsSpan(), options.DefaultPorts, out var name, out var error))
            {
                throw new ArgumentException($"Own identity '{text}' is not a peer real name: {error}.", nameof(options));
            }

            identities.Add(name);
        }

        All = identities;
        _hosts = [.. identities.Select(i => i.Host)];
    }

    public IReadOnlyList<PeerRealName> All { get; }

    /// <summary>The first clearnet identity others can reach (public, or any when non-public peers are allowed).</summary>
    public PeerRealName? Clearnet => All.FirstOrDefault(i => !i.Host.IsOnion && (i.Host.IsPublic || _options.AllowNonPublicPeers));

    /// <summary>Our features: the hosts and ports of our identities, our genesis, client name and protocol range.</summary>
    public PeerFeatures Features => _features ??= BuildFeatures();

    public bool Contains(PeerHost host) => _hosts.Contains(host);

    /// <summary>Our identity of <paramref name="host"/>, or <see langword="null"/> when it is not ours.</summary>
    public PeerRealName? Find(PeerHost host) => _hosts.Contains(host) ? All.First(i => i.Host == host) : null;

    /// <summary>The identity to announce to <paramref name="peer"/>: an onion one to an onion peer when we have one, else the clearnet one.</summary>
    public PeerRealName? ToAnnounceTo(PeerHost peer)
        => peer.IsOnion ? All.FirstOrDefault(i => i.Host.IsOnion) ?? Clearnet : Clearnet;

    private PeerFeatures BuildFeatures()
    {
        var hosts = new Dictionary<PeerHost, PeerPorts>();
        foreach (var identity in All)
        {
            hosts.TryAdd(identity.Host, identity.Ports);
        }

        return new PeerFeatures
        {
            Hosts = hosts,
            GenesisHash = _chain.GenesisHash,
            HashFunction = "sha256",
            ServerVersion = _options.ClientName,
            ProtocolMin = ProtocolVersion.Parse(_options.ProtocolMin),
            ProtocolMax = ProtocolVersion.Parse(_options.ProtocolMax),
        };
    }
}
