namespace PeerManagement;

/// <summary>One way to reach a peer: its host, a port and the transport spoken there.</summary>
public sealed record PeerEndpoint
{
    /// <summary>Creates an endpoint.</summary>
    /// <param name="host">The peer's host.</param>
    /// <param name="port">The port (1–65535).</param>
    /// <param name="transport">The transport spoken on that port.</param>
    /// <exception cref="ArgumentException"><paramref name="host"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not within 1–65535.</exception>
    public PeerEndpoint(PeerHost host, int port, PeerTransport transport)
    {
        if (host.IsEmpty)
        {
            throw new ArgumentException("The endpoint needs a host.", nameof(host));
        }

        if (!PeerPorts.IsValidPort(port))
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "A port must be within 1 and 65535.");
        }

        Host = host;
        Port = port;
        Transport = transport;
    }

    /// <summary>The peer's host.</summary>
    public PeerHost Host { get; }

    /// <summary>The port.</summary>
    public int Port { get; }

    /// <summary>The transport spoken on the port.</summary>
    public PeerTransport Transport { get; }

    /// <summary>Formats as <c>host:port (ssl)</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
        => Host.Kind == HostKind.IPv6
            ? $"[{Host.Value}]:{Port} ({Transport.ToString().ToLowerInvariant()})"
            : $"{Host.Value}:{Port} ({Transport.ToString().ToLowerInvariant()})";
}
