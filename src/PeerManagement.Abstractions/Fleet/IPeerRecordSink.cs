namespace PeerManagement;

/// <summary>The local peer table as an <see cref="IPeerRecordExchange"/> sees it: where the fleet's records go, and what this instance holds.</summary>
public interface IPeerRecordSink
{
    /// <summary>
    /// Applies a record from the fleet when it is newer than the local one (or the peer is new here and acceptable);
    /// an older or equal one is ignored.
    /// </summary>
    /// <param name="update">The record.</param>
    /// <returns>Whether the local table changed.</returns>
    bool Apply(PeerRecordUpdate update);

    /// <summary>Every record of the local table with its version (to send after a reconnection).</summary>
    /// <returns>A new list.</returns>
    IReadOnlyList<PeerRecordUpdate> Snapshot();
}
