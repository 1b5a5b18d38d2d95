namespace PeerManagement;

/// <summary>What kind of name a <see cref="PeerHost"/> is.</summary>
public enum HostKind
{
    /// <summary>A DNS host name such as <c>electrum.example.org</c>.</summary>
    DnsName = 0,

    /// <summary>An IPv4 literal such as <c>203.0.113.7</c>.</summary>
    IPv4 = 1,

    /// <summary>An IPv6 literal such as <c>2001:db8::1</c>.</summary>
    IPv6 = 2,

    /// <summary>A Tor hidden-service name ending in <c>.onion</c>.</summary>
    Onion = 3,
}
