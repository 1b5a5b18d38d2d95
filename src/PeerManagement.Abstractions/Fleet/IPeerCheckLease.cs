namespace PeerManagement;

/// <summary>
/// Decides whether this instance may check a peer now, when several instances share one peer table (a fleet):
/// the instance that gets the lease checks the peer, the others leave it to it, so each peer is checked once per
/// interval across the fleet. A lease lapses on its own after a while, so a crashed instance's peers are taken
/// over. Without one (the default), every peer is checked by this instance when due.
/// </summary>
public interface IPeerCheckLease
{
    /// <summary>Asks for the lease of one peer's check.</summary>
    /// <param name="host">The peer.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns><see langword="true"/> when this instance may check the peer now.</returns>
    /// <remarks>An implementation that cannot reach its coordinator should answer <see langword="true"/> (go on locally) rather than throw.</remarks>
    ValueTask<bool> TryAcquireAsync(PeerHost host, CancellationToken cancellationToken);
}
