namespace PeerManagement;

/// <summary>
/// One peer's record as an instance of a fleet knows it, with its version: a record replaces another only when its
/// version is higher, so an older record never overwrites a newer one whichever instance sends it.
/// </summary>
/// <param name="Host">The peer.</param>
/// <param name="Record">The record; <see langword="null"/> when the peer was forgotten.</param>
/// <param name="Version">The version: see <see cref="VersionOf"/>; for a forgotten peer, the UTC ticks of the time it was forgotten.</param>
public sealed record PeerRecordUpdate(PeerHost Host, PeerRecord? Record, long Version)
{
    /// <summary>
    /// The version of a record: the UTC ticks of its latest check (the later of <see cref="PeerRecord.LastTry"/> and
    /// <see cref="PeerRecord.LastGood"/>), or 0 for a peer never checked. Checks only move forward, so a later
    /// check wins.
    /// </summary>
    /// <param name="record">The record.</param>
    /// <returns>The version.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is <see langword="null"/>.</exception>
    public static long VersionOf(PeerRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Math.Max(record.LastTry?.UtcTicks ?? 0, record.LastGood?.UtcTicks ?? 0);
    }
}
