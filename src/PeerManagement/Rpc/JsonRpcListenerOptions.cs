using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace PeerManagement;

/// <summary>Where and how a <see cref="JsonRpcListener"/> accepts sessions.</summary>
public sealed class JsonRpcListenerOptions
{
    /// <summary>The local address and port to listen on (port 0: the system picks one). Default: 127.0.0.1, port 0.</summary>
    public IPEndPoint EndPoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>The certificate (with its private key) to speak TLS with; <see langword="null"/> (the default) listens for plain TCP.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>At most this many sessions are open at once; a connection beyond it is closed at once. Default: 1,000.</summary>
    public int MaxSessions { get; set; } = 1000;

    /// <summary>How long a client has to complete the TLS handshake. Default: 30 seconds.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A session closes when no message arrives within this time (<see cref="Timeout.InfiniteTimeSpan"/>: never). Default: 10 minutes.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Timeout of requests the host sends to its clients; <see langword="null"/> (the default) uses <see cref="PeerManagementOptions.RequestTimeout"/>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}
