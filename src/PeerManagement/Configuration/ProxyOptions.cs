using System.ComponentModel.DataAnnotations;

namespace PeerManagement;

/// <summary>
/// Settings of the SOCKS5 proxy (Tor) that onion peers, and every peer when
/// <see cref="PeerManagementOptions.ForceProxy"/> is set, are reached through: where it is looked for, its
/// credentials, how long a probe may take and how often the manager looks again while none is found. Bound from the
/// environment variables named on each property (or keys of the same name in <c>IConfiguration</c>), then from
/// <c>ConfigureProxy</c>; validated at start. Connecting through the proxy is bounded by
/// <see cref="PeerConnectorOptions.ProxyConnectTimeout"/>, not by a setting here.
/// </summary>
public sealed class ProxyOptions
{
    /// <summary>Host where a Tor SOCKS proxy is looked for (<c>TOR_PROXY_HOST</c>): an IP address or a name. Default: 127.0.0.1.</summary>
    [Required]
    public string TorProxyHost { get; set; } = "127.0.0.1";

    /// <summary>
    /// Port of the SOCKS proxy (<c>TOR_PROXY_PORT</c>). When set, only this port is used; when not set, ports 9050,
    /// 9150 and 1080 are probed in that order.
    /// </summary>
    [Range(1, 65535)]
    public int? TorProxyPort { get; set; }

    /// <summary>User name for a proxy that asks for RFC 1929 authentication (1 to 255 bytes; set with <see cref="ProxyPassword"/>); none by default.</summary>
    public string? ProxyUserName { get; set; }

    /// <summary>Password for a proxy that asks for RFC 1929 authentication (1 to 255 bytes; set with <see cref="ProxyUserName"/>); none by default.</summary>
    public string? ProxyPassword { get; set; }

    /// <summary>
    /// While no proxy is known, the manager looks for one again this long after each look that found none (one
    /// look per interval; the connector itself never looks again on its own). Default: 15 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ProxyRetryInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long probing one port (TCP connect plus the SOCKS5 greeting) may take before that port counts as no
    /// proxy. Default: 10 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// One look for the proxy by the manager (every candidate port, whatever the <see cref="IProxyConnector"/>)
    /// ends by this deadline; a look that runs over it found nothing this time. At least
    /// <see cref="ProbeTimeout"/>. Default: 30 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan DetectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Settings from the environment that could not be read; reported by validation at start.</summary>
    internal List<string> ConfigurationErrors { get; } = [];
}
