using System.Net;

namespace PeerManagement;

/// <summary>Reaches hosts through a proxy (SOCKS5 by default), passing the host name to the proxy so onion names work.</summary>
public interface IProxyConnector
{
    /// <summary>The proxy in use, or <see langword="null"/> while none is known.</summary>
    EndPoint? ProxyEndPoint { get; }

    /// <summary>
    /// Finds the proxy: the configured one, or the first candidate port that answers a real handshake.
    /// Returns the known proxy at once when there is one.
    /// </summary>
    /// <param name="cancellationToken">Cancels the probe.</param>
    /// <returns>The proxy's address, or <see langword="null"/> when none answered.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<EndPoint?> DetectAsync(CancellationToken cancellationToken);

    /// <summary>Opens a tunnel to <paramref name="host"/>:<paramref name="port"/> through the proxy.</summary>
    /// <param name="host">The destination host, sent to the proxy by name (or as an address for IP literals).</param>
    /// <param name="port">The destination port.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The tunnel's stream; the caller disposes it.</returns>
    /// <exception cref="ProxyException">No proxy is known, or the proxy refused (its reply code is given).</exception>
    /// <exception cref="IOException">The connection to the proxy failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<Stream> ConnectAsync(PeerHost host, int port, CancellationToken cancellationToken);
}
