namespace PeerManagement;

/// <summary>What pull discovery needs from the table: the good peer checked longest ago, without sorting.</summary>
public sealed partial class PeerTable
{
    /// <summary>
    /// The good peer whose last check is the oldest among those <paramref name="eligible"/> accepts: peers whose last
    /// check failed are left out (their retries are scheduled already). Walks the last-good order from its oldest
    /// good entry, so it usually stops at once.
    /// </summary>
    /// <returns>The record, or <see langword="null"/> when no good peer qualifies.</returns>
    internal PeerRecord? FindOldestCheckedGood(Func<PeerRecord, bool> eligible)
    {
        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            // A good peer whose last try succeeded was last checked at its last-good time: the list's order.
            for (var entry = _counts.OldestGood(now); entry is not null; entry = entry.Next)
            {
                if (entry.Record.TryCount == 0 && eligible(entry.Record))
                {
                    return entry.Record;
                }
            }
        }

        return null;
    }
}
