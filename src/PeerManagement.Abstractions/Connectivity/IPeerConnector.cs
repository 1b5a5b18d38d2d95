namespace PeerManagement;

/// <summary>Opens connections to peers over TCP or TLS, directly or through a proxy.</summary>
public interface IPeerConnector
{
    /// <summary>Connects to one endpoint of a peer.</summary>
    /// <param name="endpoint">Where to connect and which transport to speak.</param>
    /// <param name="useProxy"><see langword="true"/> to go through the proxy (onion peers, or when the proxy is forced).</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The open connection; the caller disposes it.</returns>
    /// <exception cref="PeerConnectionException">The peer could not be reached, or no proxy is known when one was asked for.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<PeerConnection> ConnectAsync(PeerEndpoint endpoint, bool useProxy, CancellationToken cancellationToken);
}
