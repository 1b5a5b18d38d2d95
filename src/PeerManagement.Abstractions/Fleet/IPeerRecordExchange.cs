namespace PeerManagement;

/// <summary>
/// Shares peer records among the instances of a fleet: this instance's changes go out (<see cref="Publish"/>), the
/// fleet's newer records come in (through the <see cref="IPeerRecordSink"/> given to <see cref="RunAsync"/>), so
/// every instance sees the same statuses and gives the same answers. Without one (the default), the table is
/// this instance's alone.
/// </summary>
public interface IPeerRecordExchange
{
    /// <summary>Sends a change of the local table to the fleet. Called on the thread that made the change: it must not block or throw.</summary>
    /// <param name="update">The record and its version.</param>
    void Publish(PeerRecordUpdate update);

    /// <summary>
    /// Brings the fleet's records into the local table until <paramref name="cancellationToken"/> is cancelled: the
    /// whole fleet table at start, then each newer record as it is published, and a re-sync (both ways) after the
    /// coordinator was unreachable.
    /// </summary>
    /// <param name="sink">The local table.</param>
    /// <param name="cancellationToken">Stops the exchange.</param>
    /// <returns>A task that ends when the exchange stops.</returns>
    Task RunAsync(IPeerRecordSink sink, CancellationToken cancellationToken);
}
