namespace PeerManagement;

/// <summary>
/// A ban store that keeps the run-time bans in memory only: a restart forgets them. The default when no file
/// store is configured (<c>UseFileStore</c> keeps them in a file next to the peer table).
/// </summary>
public sealed class InMemoryBanStore : IBanStore
{
    private volatile IReadOnlyList<PeerBan> _bans = [];

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<PeerBan>> LoadAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_bans);
    }

    /// <inheritdoc />
    public ValueTask SaveAsync(IReadOnlyList<PeerBan> bans, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bans);
        cancellationToken.ThrowIfCancellationRequested();
        _bans = bans.ToArray();
        return ValueTask.CompletedTask;
    }
}
