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

    /// <summary>
    /// At most this many sessions are open at once. A connection beyond it takes the place of the session idle
    /// longest of the network (then address) holding the most sessions, when that source holds more than the
    /// newcomer's would; otherwise it is closed at once. Default: 1,000.
    /// </summary>
    public int MaxSessions { get; set; } = 1000;

    /// <summary>
    /// At most this many sessions from one address (an IPv4 address, or an IPv6 /64, which one host usually owns);
    /// a connection beyond it is closed at once. Default: 10.
    /// </summary>
    public int MaxSessionsPerAddress { get; set; } = 10;

    /// <summary>
    /// At most this many sessions from one network (IPv4 /24, IPv6 /48: one site); a connection beyond it is closed
    /// at once. Default: 50.
    /// </summary>
    public int MaxSessionsPerNetwork { get; set; } = 50;

    /// <summary>How long a client has to complete the TLS handshake. Default: 30 seconds.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A session closes when no valid request (or answer to one of ours) arrives within this time
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: never); white space, invalid messages and parse errors do not count.
    /// Default: 10 minutes.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Timeout of requests the host sends to its clients; <see langword="null"/> (the default) uses <see cref="JsonRpcOptions.RequestTimeout"/>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}
