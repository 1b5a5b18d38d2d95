namespace PeerManagement;

/// <summary>Keeps the run-time bans (added through the peer manager) across restarts.</summary>
public interface IBanStore
{
    /// <summary>Loads the saved bans.</summary>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The bans saved last; empty when nothing was saved or nothing could be read.</returns>
    /// <remarks>A damaged store is not an exception: implementations recover what they can and log the rest.</remarks>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<IReadOnlyList<PeerBan>> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the saved bans with <paramref name="bans"/>, atomically.</summary>
    /// <param name="bans">Every run-time ban.</param>
    /// <param name="cancellationToken">Cancels the save; the previous copy stays.</param>
    /// <returns>A task that completes when the bans are saved.</returns>
    /// <exception cref="IOException">The store could not be written; the previous copy stays.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask SaveAsync(IReadOnlyList<PeerBan> bans, CancellationToken cancellationToken);
}
