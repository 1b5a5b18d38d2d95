namespace PeerManagement;

/// <summary>Keeps the peer table across restarts.</summary>
public interface IPeerStore
{
    /// <summary>Loads the saved peers.</summary>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The peers saved last; empty when nothing was saved or nothing could be read.</returns>
    /// <remarks>A damaged store is not an exception: implementations recover what they can and log the rest.</remarks>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<IReadOnlyList<PeerRecord>> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the saved peers with <paramref name="peers"/>, atomically: a crash leaves the old or the new table.</summary>
    /// <param name="peers">The whole table.</param>
    /// <param name="cancellationToken">Cancels the save; the previous copy stays.</param>
    /// <returns>A task that completes when the table is saved.</returns>
    /// <exception cref="IOException">The store could not be written; the previous copy stays.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask SaveAsync(IReadOnlyList<PeerRecord> peers, CancellationToken cancellationToken);
}
