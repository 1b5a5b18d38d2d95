using System.ComponentModel.DataAnnotations;

namespace PeerManagement;

/// <summary>
/// Settings of peer discovery and verification. Every number of the protocol is a setting here, with the
/// reference's value as default. The other components have their own: <see cref="ProxyOptions"/> (the SOCKS5 proxy),
/// <see cref="JsonRpcOptions"/> (JSON-RPC sessions), <see cref="PeerConnectorOptions"/> (connecting, TLS) and
/// <see cref="RateLimitingOptions"/>. Bound from the environment variables named on each property (or keys of the
/// same name in <c>IConfiguration</c>), then from the delegate given to <c>AddPeerManagement</c>; validated at
/// start.
/// </summary>
public sealed class PeerManagementOptions
{
    /// <summary>Discovery mode (<c>PEER_DISCOVERY</c>: on, self or off). Default: on.</summary>
    public PeerDiscoveryMode Discovery { get; set; } = PeerDiscoveryMode.On;

    /// <summary>Whether to announce ourselves to peers through <c>server.add_peer</c> (<c>PEER_ANNOUNCE</c>). Default: true.</summary>
    public bool Announce { get; set; } = true;

    /// <summary>
    /// Whether every peer is reached through the proxy (<c>FORCE_PROXY</c>), not only onion peers. Where the proxy is
    /// and how it is found are <see cref="ProxyOptions"/>. Default: false.
    /// </summary>
    public bool ForceProxy { get; set; }

    /// <summary>URL of a JSON array of blacklist entries (<c>BLACKLIST_URL</c>); none by default.</summary>
    public Uri? BlacklistUrl { get; set; }

    /// <summary>How often the blacklist is refreshed. Default: 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan BlacklistRefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Our own identities as real names (e.g. <c>electrum.example.org s t</c>), announced and reported to peers.</summary>
    public IList<string> Identities { get; } = [];

    /// <summary>Seed peers as real names; imported at start without the per-source cap.</summary>
    public IList<string> SeedPeers { get; } = [];

    /// <summary>Whether private, loopback and other non-public peers are accepted (lab and test networks). Default: false.</summary>
    public bool AllowNonPublicPeers { get; set; }

    /// <summary>The network's default plain TCP port, for a bare <c>t</c>. Default: 50001 (Bitcoin mainnet).</summary>
    [Range(1, 65535)]
    public int DefaultTcpPort { get; set; } = 50001;

    /// <summary>The network's default TLS port, for a bare <c>s</c>. Default: 50002 (Bitcoin mainnet).</summary>
    [Range(1, 65535)]
    public int DefaultSslPort { get; set; } = 50002;

    /// <summary>How long a success keeps a peer good. Default: 3 hours.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromHours(3);

    /// <summary>The base of the check schedule: retries back off as <c>Wakeup × 2^n</c>. Default: 5 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan Wakeup { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Failures in a row after which a once-good, not-bad peer is forgotten. Default: 10.</summary>
    [Range(1, 1000)]
    public int ForgetAfterTriesOnceGood { get; set; } = 10;

    /// <summary>Failures in a row after which any other peer is forgotten. Default: 3.</summary>
    [Range(1, 1000)]
    public int ForgetAfterTries { get; set; } = 3;

    /// <summary>
    /// The second chance of a bad peer whose reason can change (its height too far from ours, its header not
    /// matching ours): it is checked again after this long, and forgotten only after
    /// <see cref="ForgetAfterTriesOnceGood"/> such tries. Blacklisted and wrong-genesis peers keep the ordinary
    /// back-off. Zero turns second chances off. Default: 60 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan BadRetryInterval { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>
    /// Pull discovery: every this long the good peer checked longest ago is checked again early, which pulls its
    /// peer list, so that over time every good peer is asked for its list whatever strangers announce through
    /// <c>server.add_peer</c>. One check per interval. Zero turns it off; otherwise at least 1 second.
    /// Default: 10 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan PeerListRefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>At most this many new peers are taken from one remote list, chosen at random. Default: 2.</summary>
    [Range(0, 10000)]
    public int MaxNewPeersPerSource { get; set; } = 2;

    /// <summary>At most this many checks run at once. Default: 16.</summary>
    [Range(1, 4096)]
    public int MaxConcurrentChecks { get; set; } = 16;

    /// <summary>
    /// Timeout of each request of a check to a peer reached directly. Connecting is not a request: it is bounded
    /// by <see cref="PeerConnectorOptions.ConnectTimeout"/> alone. Default: 30 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Timeout of each request of a check to a peer reached through the proxy (Tor is slow). Connecting is bounded
    /// by <see cref="PeerConnectorOptions.ProxyConnectTimeout"/> alone. Default: 120 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ProxyRequestTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// A whole check of a peer reached directly (connecting, every request, announcing ourselves) ends by this
    /// deadline; a check that runs over it is a failed try, so a peer that answers slowly cannot hold a check
    /// worker for long. It is not a connect timeout: each connection attempt is bounded by
    /// <see cref="PeerConnectorOptions.ConnectTimeout"/> in the connector, the one place that applies one.
    /// Default: 2 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The deadline of a whole check of a peer reached through the proxy (see <see cref="CheckTimeout"/>). Default: 8 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ProxyCheckTimeout { get; set; } = TimeSpan.FromMinutes(8);

    /// <summary>A peer's tip may differ from ours by at most this many blocks. Default: 5.</summary>
    [Range(0, 1000000)]
    public int MaxTipHeightDiff { get; set; } = 5;

    /// <summary>The header compared with ours is this many blocks below the lower tip. Default: 10.</summary>
    [Range(0, 1000000)]
    public int MaxChainSplit { get; set; } = 10;

    /// <summary>At most one accepted <c>server.add_peer</c> per bucket in this interval. Default: 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan PeerAddPause { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Onion peers announced through <c>server.add_peer</c> are accepted at most once per a random interval up to this. Default: 20 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MaxOnionAddInterval { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>
    /// <c>server.add_peer</c> callers are paused per network: an IPv4 caller by its network of this prefix length.
    /// Default: 24 (one operator rarely holds more than a /24).
    /// </summary>
    [Range(8, 32)]
    public int AddPeerIPv4PrefixLength { get; set; } = 24;

    /// <summary>
    /// <c>server.add_peer</c> callers are paused per network: an IPv6 caller by its network of this prefix length.
    /// Default: 48 (a site's usual allocation; one host alone owns a whole /64).
    /// </summary>
    [Range(16, 128)]
    public int AddPeerIPv6PrefixLength { get; set; } = 48;

    /// <summary>
    /// At most this many peers are accepted through <c>server.add_peer</c> per <see cref="AddPeerBudgetInterval"/>,
    /// whatever the callers (a flood from many networks cannot add more). Default: 20.
    /// </summary>
    [Range(1, 1000000)]
    public int AddPeerBudget { get; set; } = 20;

    /// <summary>
    /// Of <see cref="AddPeerBudget"/>, at most this many acceptances per interval go to callers of one external
    /// network (IPv4 /16, IPv6 /56), so that a flood from a few networks cannot spend the whole budget and shut out
    /// the announcements of honest nodes elsewhere. Callers with an address that is not public (a lab, a LAN) each
    /// have their own share. Default: 2.
    /// </summary>
    [Range(1, 1000000)]
    public int AddPeerBudgetPerNetwork { get; set; } = 2;

    /// <summary>The interval of <see cref="AddPeerBudget"/>. Default: 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan AddPeerBudgetInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The table holds at most this many peers. When it is full, a peer heard of from another node (its list,
    /// <c>server.add_peer</c>) takes the place of the peer that turned bad longest ago; good peers and peers not
    /// checked yet are never displaced, so with no bad peer it is not added. Seeds, our own identities and admin adds
    /// are always added. Default: 10,000.
    /// </summary>
    [Range(1, 10000000)]
    public int MaxPeers { get; set; } = 10_000;

    /// <summary>
    /// The table holds at most this many entries in one public network (IPv4 /16, IPv6 /56): peers whose host is
    /// an IP literal there, or whose name was last reached there; 0 switches the cap off. A peer heard of from a
    /// stranger, over the cap, takes the place of the network's bad entry, else of its entry verified longest ago
    /// among those tried and not good now (test before evict); when only good peers, peers not tried yet and the
    /// operator's are left, the newcomer is refused. A name is grouped when a check first reaches its address:
    /// over the cap then, it makes room the same way or is forgotten before it is verified. Seeds and our own
    /// identities are never refused or evicted by it, admin adds never refused (at their first check either);
    /// addresses that are not public (loopback, private networks) and onion peers are not counted.
    /// Default: 64 — well above the 8 good peers a network may hold (<see cref="MaxGoodPeersPerNetwork"/>), so
    /// newcomers wait for their check beside them, and far more than honest servers share one /16, while an
    /// attacker's names in a few networks hold at most 64 places each of <see cref="MaxPeers"/>. Must not be below
    /// <see cref="MaxGoodPeersPerNetwork"/> when both are on.
    /// </summary>
    [Range(0, 10000000)]
    public int MaxPeersPerNetwork { get; set; } = 64;

    /// <summary>
    /// The sybil rule of admission: a checked peer is bad when another recent good peer shares its internal bucket
    /// (an IPv4 address, an IPv6 /64), so one machine counts once however many names point at it. Default: true.
    /// Turning it off lets a few addresses fill the table with good names; the network simulator measures what it buys.
    /// </summary>
    public bool OneGoodPeerPerAddress { get; set; } = true;

    /// <summary>
    /// The sybil rule of admission per network: a checked peer is bad when its external network (IPv4 /16, IPv6 /56)
    /// already holds this many other recent good peers, so an operator with many addresses in few networks holds few
    /// places in the table; 0 switches the rule off. Addresses that are not public (loopback, private networks) are
    /// not counted: a lab or a LAN is the operator's own. It never displaces a good peer: the newcomer is the one refused.
    /// Checks running at the same time in one network can each pass it, so it may be exceeded by at most
    /// <see cref="MaxConcurrentChecks"/>. Default: 8 (answers name at most 2 per network anyway).
    /// </summary>
    [Range(0, 10000000)]
    public int MaxGoodPeersPerNetwork { get; set; } = 8;

    /// <summary>
    /// The sybil rule of admission per operator: a peer checked over TLS is bad when this many other recent good
    /// peers presented the same public key (<see cref="PeerRecord.ServerKeyId"/>); 0 switches the rule off. Like the
    /// per-network rule it never displaces a good peer, and checks running at the same time may each pass it.
    /// Default: 8. Answers name one peer per key anyway (<see cref="LimitAnswerPerOperator"/>).
    /// </summary>
    [Range(0, 10000000)]
    public int MaxGoodPeersPerOperator { get; set; } = 8;

    /// <summary>
    /// Whether a <c>server.peers.subscribe</c> answer names at most 2 peers per external bucket (IPv4 /16, IPv6
    /// /56), so an operator with many addresses in few networks takes few places in it. Default: true. Turning it
    /// off lists every good peer; the network simulator measures what it buys.
    /// </summary>
    public bool LimitAnswerPerNetwork { get; set; } = true;

    /// <summary>
    /// Whether a <c>server.peers.subscribe</c> answer names at most one of the peers that presented one TLS public
    /// key at their last check (<see cref="PeerRecord.ServerKeyId"/>), so an operator with many hosts on many
    /// networks still counts once. Default: true. Peers checked over plain TCP carry no key and are not affected.
    /// </summary>
    public bool LimitAnswerPerOperator { get; set; } = true;

    /// <summary>The pause map of <c>server.add_peer</c> holds at most this many buckets. Default: 10,000.</summary>
    [Range(1, 10000000)]
    public int MaxAddPeerPauseEntries { get; set; } = 10_000;

    /// <summary>The client name sent in <c>server.version</c>. Default: <c>PeerManagement</c>.</summary>
    [Required]
    public string ClientName { get; set; } = "PeerManagement";

    /// <summary>The lowest protocol version we speak. Default: 1.4.</summary>
    [Required]
    public string ProtocolMin { get; set; } = "1.4";

    /// <summary>The highest protocol version we speak. Default: 1.4.2.</summary>
    [Required]
    public string ProtocolMax { get; set; } = "1.4.2";

    /// <summary>The network's default ports.</summary>
    public DefaultPorts DefaultPorts => new(DefaultTcpPort, DefaultSslPort);

    /// <summary>Settings from the environment that could not be read; reported by validation at start.</summary>
    internal List<string> ConfigurationErrors { get; } = [];
}
