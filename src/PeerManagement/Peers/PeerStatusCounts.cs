namespace PeerManagement;

/// <summary>
/// How many entries of a <see cref="PeerTable"/> are in each status, kept up to date as entries change and as time
/// passes, so counting costs O(1) amortised. Entries that were once good and are not bad are kept in a list ordered
/// by last-good time; the ones before a cursor are stale, the rest good, and the cursor only moves forward while
/// the clock does. Not thread-safe: the table's lock guards it.
/// </summary>
internal sealed class PeerStatusCounts(TimeSpan staleAfter)
{
    private PeerTableEntry? _orderHead;
    private PeerTableEntry? _orderTail;
    private PeerTableEntry? _firstGood;
    private int _orderCount;
    private int _staleCount;
    private int _badCount;
    private int _neverCount;

    public PeerCounts Get(DateTimeOffset now)
    {
        AdvanceStaleBoundary(now);
        return new PeerCounts(_badCount, _orderCount - _staleCount, _neverCount, _staleCount);
    }

    /// <summary>The good entry with the oldest last-good time (the later ones follow through <c>Next</c>), or <see langword="null"/>.</summary>
    public PeerTableEntry? OldestGood(DateTimeOffset now)
    {
        AdvanceStaleBoundary(now);
        return _firstGood;
    }

    /// <summary>Whether a change from <paramref name="before"/> to <paramref name="after"/> moves the entry between counts.</summary>
    public static bool SameCategory(PeerRecord before, PeerRecord after)
        => before.IsBad == after.IsBad && before.LastGood == after.LastGood;

    public void Add(PeerTableEntry entry, DateTimeOffset now)
    {
        var record = entry.Record;
        if (record.IsBad)
        {
            _badCount++;
        }
        else if (record.LastGood is null)
        {
            _neverCount++;
        }
        else
        {
            AdvanceStaleBoundary(now);
            InsertOrdered(entry, now);
        }
    }

    public void Remove(PeerTableEntry entry)
    {
        var record = entry.Record;
        if (record.IsBad)
        {
            _badCount--;
        }
        else if (record.LastGood is null)
        {
            _neverCount--;
        }
        else
        {
            RemoveOrdered(entry);
        }
    }

    private void InsertOrdered(PeerTableEntry entry, DateTimeOffset now)
    {
        var lastGood = entry.Record.LastGood!.Value;

        // Usually the newest success, so the walk from the tail stops at once.
        var after = _orderTail;
        while (after is not null && after.Record.LastGood > lastGood)
        {
            after = after.Prev;
        }

        entry.Prev = after;
        entry.Next = after is null ? _orderHead : after.Next;
        if (entry.Next is null)
        {
            _orderTail = entry;
        }
        else
        {
            entry.Next.Prev = entry;
        }

        if (after is null)
        {
            _orderHead = entry;
        }
        else
        {
            after.Next = entry;
        }

        _orderCount++;
        if (now - lastGood >= staleAfter)
        {
            entry.CountedStale = true;
            _staleCount++;
        }
        else if (_firstGood is null || entry.Next == _firstGood)
        {
            _firstGood = entry;
        }
    }

    private void RemoveOrdered(PeerTableEntry entry)
    {
        if (entry.CountedStale)
        {
            entry.CountedStale = false;
            _staleCount--;
        }
        else if (_firstGood == entry)
        {
            _firstGood = entry.Next;
        }

        if (entry.Prev is null)
        {
            _orderHead = entry.Next;
        }
        else
        {
            entry.Prev.Next = entry.Next;
        }

        if (entry.Next is null)
        {
            _orderTail = entry.Prev;
        }
        else
        {
            entry.Next.Prev = entry.Prev;
        }

        entry.Prev = entry.Next = null;
        _orderCount--;
    }

    private void AdvanceStaleBoundary(DateTimeOffset now)
    {
        while (_firstGood is not null && now - _firstGood.Record.LastGood!.Value >= staleAfter)
        {
            _firstGood.CountedStale = true;
            _staleCount++;
            _firstGood = _firstGood.Next;
        }

        // The clock went back: entries counted stale may be good again.
        var previous = _firstGood is null ? (_staleCount > 0 ? _orderTail : null) : _firstGood.Prev;
        while (previous is not null && now - previous.Record.LastGood!.Value < staleAfter)
        {
            previous.CountedStale = false;
            _staleCount--;
            _firstGood = previous;
            previous = previous.Prev;
        }
    }
}
