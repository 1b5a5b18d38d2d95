namespace PeerManagement;

/// <summary>The TCP and SSL ports a peer serves on; either may be absent.</summary>
public readonly struct PeerPorts : IEquatable<PeerPorts>
{
    private readonly ushort _tcp;
    private readonly ushort _ssl;

    /// <summary>Creates a port pair.</summary>
    /// <param name="tcpPort">The plain TCP port, or <see langword="null"/> when the peer serves no TCP.</param>
    /// <param name="sslPort">The TLS port, or <see langword="null"/> when the peer serves no TLS.</param>
    /// <exception cref="ArgumentOutOfRangeException">A port is not within 1–65535.</exception>
    public PeerPorts(int? tcpPort, int? sslPort)
    {
        _tcp = Check(tcpPort, nameof(tcpPort));
        _ssl = Check(sslPort, nameof(sslPort));
    }

    /// <summary>No ports at all.</summary>
    public static PeerPorts None => default;

    /// <summary>The plain TCP port, if any.</summary>
    public int? TcpPort => _tcp == 0 ? null : _tcp;

    /// <summary>The TLS port, if any.</summary>
    public int? SslPort => _ssl == 0 ? null : _ssl;

    /// <summary><see langword="true"/> when neither port is set.</summary>
    public bool IsEmpty => _tcp == 0 && _ssl == 0;

    /// <summary>Whether <paramref name="port"/> may be used as a port: <c>0 &lt; port &lt; 65536</c>.</summary>
    /// <param name="port">The candidate.</param>
    /// <returns><see langword="true"/> when it is a usable port.</returns>
    public static bool IsValidPort(long port) => port is > 0 and < 65536;

    /// <inheritdoc />
    public bool Equals(PeerPorts other) => _tcp == other._tcp && _ssl == other._ssl;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PeerPorts other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => (_tcp << 16) | _ssl;

    /// <summary>Formats as <c>t50001 s50002</c>, or <c>none</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => (_tcp, _ssl) switch
    {
        (0, 0) => "none",
        (_, 0) => $"t{_tcp}",
        (0, _) => $"s{_ssl}",
        _ => $"t{_tcp} s{_ssl}",
    };

    /// <summary>Compares two port pairs.</summary>
    /// <param name="left">The first pair.</param>
    /// <param name="right">The second pair.</param>
    /// <returns><see langword="true"/> when both ports are equal.</returns>
    public static bool operator ==(PeerPorts left, PeerPorts right) => left.Equals(right);

    /// <summary>Compares two port pairs.</summary>
    /// <param name="left">The first pair.</param>
    /// <param name="right">The second pair.</param>
    /// <returns><see langword="true"/> when a port differs.</returns>
    public static bool operator !=(PeerPorts left, PeerPorts right) => !left.Equals(right);

    private static ushort Check(int? port, string name)
    {
        if (port is null)
        {
            return 0;
        }

        if (!IsValidPort(port.Value))
        {
            throw new ArgumentOutOfRangeException(name, port, "A port must be within 1 and 65535.");
        }

        return (ushort)port.Value;
    }
}
