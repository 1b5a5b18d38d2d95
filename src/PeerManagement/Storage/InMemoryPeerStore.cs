namespace PeerManagement;

/// <summary>
/// A peer store that keeps the last saved table in memory only: a restart starts from nothing. The default
/// when no other store is configured; use the file store to keep peers across restarts.
/// </summary>
public sealed class InMemoryPeerStore : IPeerStore
{
    private volatile IReadOnlyList<PeerRecord> _peers = [];

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<PeerRecord>> LoadAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_peers);
    }

    /// <inheritdoc />
    public ValueTask SaveAsync(IReadOnlyList<PeerRecord> peers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peers);
        cancellationToken.ThrowIfCancellationRequested();
        _peers = peers.ToArray();
        return ValueTask.CompletedTask;
    }
}
