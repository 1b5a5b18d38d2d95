namespace PeerManagement;

/// <summary>
/// A network's default ports: what a bare <c>t</c> or <c>s</c> in a real name means.
/// </summary>
public readonly record struct DefaultPorts
{
    /// <summary>Creates the default ports of a network.</summary>
    /// <param name="tcp">The default plain TCP port.</param>
    /// <param name="ssl">The default TLS port.</param>
    /// <exception cref="ArgumentOutOfRangeException">A port is not within 1–65535.</exception>
    public DefaultPorts(int tcp, int ssl)
    {
        if (!PeerPorts.IsValidPort(tcp))
        {
            throw new ArgumentOutOfRangeException(nameof(tcp), tcp, "A port must be within 1 and 65535.");
        }

        if (!PeerPorts.IsValidPort(ssl))
        {
            throw new ArgumentOutOfRangeException(nameof(ssl), ssl, "A port must be within 1 and 65535.");
        }

        Tcp = tcp;
        Ssl = ssl;
    }

    /// <summary>Bitcoin mainnet: TCP 50001, SSL 50002.</summary>
    public static DefaultPorts BitcoinMainnet { get; } = new(50001, 50002);

    /// <summary>Bitcoin testnet: TCP 60001, SSL 60002.</summary>
    public static DefaultPorts BitcoinTestnet { get; } = new(60001, 60002);

    /// <summary>The default plain TCP port.</summary>
    public int Tcp { get; }

    /// <summary>The default TLS port.</summary>
    public int Ssl { get; }
}
