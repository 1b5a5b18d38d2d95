namespace PeerManagement;

/// <summary>
/// Settings of the default <see cref="IPeerConnector"/> (<see cref="TcpPeerConnector"/>): timeouts, the local
/// address to connect from, whether non-public addresses may be reached, and TLS certificate pins. Configure with
/// <c>services.Configure&lt;PeerConnectorOptions&gt;(...)</c>; validated at start.
/// </summary>
public sealed class PeerConnectorOptions
{
    /// <summary>
    /// How long a direct connection (TCP connect plus TLS handshake) may take. The one connect timeout: the
    /// checker and the manager apply none of their own. Default: 30 seconds.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a connection through the proxy (connecting to it, the SOCKS5 tunnel, then the TLS handshake) may
    /// take; Tor is slow. The one connect timeout through the proxy: <see cref="Socks5ProxyConnector"/> applies none
    /// of its own. Default: 120 seconds.
    /// </summary>
    public TimeSpan ProxyConnectTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// The local IP address direct connections are made from (e.g. to pick one of several interfaces); none by
    /// default. Only peers of the same address family are then reachable directly.
    /// </summary>
    public string? LocalAddress { get; set; }

    /// <summary>
    /// Whether peers at non-public addresses (private, loopback, link-local, CGNAT, documentation, reserved; see
    /// <see cref="PeerHost.IsPublicAddress"/>) may be connected to. Default: <see langword="false"/>: an endpoint
    /// that is such an address is refused, and every address a host name resolves to is checked before connecting,
    /// so a public-looking name that resolves to 127.0.0.1 is not reached. Set to <see langword="true"/> by
    /// <c>AddPeerManagement</c> when <see cref="PeerManagementOptions.AllowNonPublicPeers"/> is
    /// <see langword="true"/> (lab and test networks).
    /// </summary>
    public bool AllowNonPublicAddresses { get; set; }

    /// <summary>
    /// TLS pins for every peer without an entry in <see cref="HostCertificatePins"/>: each is the SHA-256, in hex
    /// (colons allowed), of a certificate's DER encoding or of its public key (SubjectPublicKeyInfo). Empty (the
    /// default): certificates are not checked at all, as Electrum servers are mostly self-signed.
    /// </summary>
    public IList<string> CertificatePins { get; } = [];

    /// <summary>
    /// TLS pins per host (host → pins separated by commas, same format as <see cref="CertificatePins"/>). A
    /// host listed here is accepted only with one of its own pins.
    /// </summary>
    public IDictionary<string, string> HostCertificatePins { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}
