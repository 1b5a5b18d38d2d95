namespace PeerManagement;

/// <summary>
/// The entries by public network (<see cref="PeerNetworkIndex"/>), for the per-network entry cap
/// (<see cref="PeerManagementOptions.MaxPeersPerNetwork"/>): kept only once the cap asks for it.
/// </summary>
public sealed partial class PeerTable
{
    private PeerNetworkIndex? _byNetwork;

    /// <summary>Starts keeping the entries by network (the ones already in the table included); idempotent.</summary>
    internal void TrackNetworks()
    {
        lock (_gate)
        {
            if (_byNetwork is not null)
            {
                return;
            }

            _byNetwork = new PeerNetworkIndex();
            foreach (var entry in _byHost.Values)
            {
                _byNetwork.Link(entry);
            }
        }
    }

    /// <summary>How many entries count in <paramref name="network"/>, <paramref name="except"/> not included.</summary>
    internal int CountInNetwork(NetworkPrefix network, PeerHost except)
    {
        lock (_gate)
        {
            if (_byNetwork is null)
            {
                return 0;
            }

            var count = _byNetwork.Count(network);
            return _byHost.TryGetValue(except.Value, out var own) && PeerNetworkIndex.NetworkOf(own.Record.Host, own.Record.IPAddress) == network ? count - 1 : count;
        }
    }

    /// <summary>
    /// Forgets the entry of <paramref name="network"/> that may best make room: a bad one before any other, then of
    /// those tried and not good now the one verified longest ago (never verified first, the most failed tries first
    /// among equals). Never a good one, one not tried yet (it waits for its check: test before evict),
    /// <paramref name="except"/> or one of <paramref name="keep"/>. Chosen and forgotten under the table's lock.
    /// </summary>
    /// <returns>The host forgotten and its status then, or <see langword="null"/> when no entry may go.</returns>
    internal (PeerHost Host, PeerStatus Status)? ForgetOneOfNetwork(NetworkPrefix network, PeerHost except, IReadOnlySet<PeerHost> keep, string reason)
    {
        var now = _timeProvider.GetUtcNow();
        PeerTableEntry? victim = null;
        PeerStatus victimStatus = PeerStatus.Good;
        lock (_gate)
        {
            for (var entry = _byNetwork?.First(network); entry is not null; entry = entry.NextSameNetwork)
            {
                var record = entry.Record;
                var status = record.GetStatus(now, StaleAfter);
                if (status == PeerStatus.Good || (status != PeerStatus.Bad && record.LastTry is null) || record.Host == except || keep.Contains(record.Host))
                {
                    continue;
                }

                if (victim is null || GoesBefore(record, status, victim.Record, victimStatus))
                {
                    victim = entry;
                    victimStatus = status;
                }
            }

            if (victim is null)
            {
                return null;
            }

            RemoveEntry(victim);
        }

        Raise(victim.Record.Host, victimStatus, null, reason, now, listingChanged: true);
        return (victim.Record.Host, victimStatus);
    }

    // The order of eviction: bad first, then verified longest ago, then more failed tries; the host breaks ties so
    // that the choice does not depend on the order of the chain (the simulator repeats byte for byte).
    private static bool GoesBefore(PeerRecord x, PeerStatus xStatus, PeerRecord y, PeerStatus yStatus)
    {
        if ((xStatus == PeerStatus.Bad) != (yStatus == PeerStatus.Bad))
        {
            return xStatus == PeerStatus.Bad;
        }

        var c = Nullable.Compare(x.LastGood, y.LastGood);
        if (c != 0)
        {
            return c < 0;
        }

        c = y.TryCount.CompareTo(x.TryCount);
        return c != 0 ? c < 0 : string.CompareOrdinal(x.Host.Value, y.Host.Value) < 0;
    }
}
