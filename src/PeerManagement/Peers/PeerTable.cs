using System.Net;

namespace PeerManagement;

/// <summary>
/// The table of known peers: one entry per host, indexed by host and by the IP address last connected to,
/// so matching a candidate costs O(1). Status counts are maintained as entries change and as time passes,
/// so <see cref="GetInfo"/> does not walk the table. Thread-safe: every member may be called concurrently.
/// </summary>
/// <remarks>
/// Status is derived from the clock (see <see cref="PeerRecord.GetStatus"/>). Time is expected to move
/// forward; if the clock goes back, counts are corrected on the next call.
/// </remarks>
public sealed partial class PeerTable
{
    /// <summary>At most this many alternative port pairs are remembered per entry.</summary>
    public const int MaxAlternativePorts = 4;

    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    // Keyed by the host's text (ordinal): a string key is a third of a PeerHost key's size.
    private readonly Dictionary<string, PeerTableEntry> _byHost = new(StringComparer.Ordinal);
    private readonly PeerAddressIndex _byAddress = new();
    private readonly PeerStatusCounts _counts;
    private long _version;

    /// <summary>Creates an empty table.</summary>
    /// <param name="timeProvider">The clock status is derived from.</param>
    /// <param name="staleAfter">How long a success keeps a peer good.</param>
    /// <exception cref="ArgumentNullException"><paramref name="timeProvider"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="staleAfter"/> is not positive.</exception>
    public PeerTable(TimeProvider timeProvider, TimeSpan staleAfter)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(staleAfter, TimeSpan.Zero);
        _timeProvider = timeProvider;
        StaleAfter = staleAfter;
        _counts = new PeerStatusCounts(staleAfter);
    }

    /// <summary>
    /// Raised after every change to the table, outside its lock, with the entry's status before and after: added
    /// (old status <see langword="null"/>), checked, marked bad, forgotten (new status <see langword="null"/>), or
    /// changed without a change of status (both equal, e.g. new features or a new address). The one change event:
    /// the peer manager's <see cref="PeerManager.StatusChanged"/> forwards the changes of status.
    /// </summary>
    public event EventHandler<PeerStatusChange>? Changed;

    /// <summary>How long a success keeps a peer good.</summary>
    public TimeSpan StaleAfter { get; }

    /// <summary>How many entries the table holds.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byHost.Count;
            }
        }
    }

    /// <summary>A number that grows with every change; equal values mean an unchanged table.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>How many entries are in each status now. O(1) amortised: counts are maintained, not recounted.</summary>
    /// <returns>The counts.</returns>
    public PeerCounts GetInfo()
    {
        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            return _counts.Get(now);
        }
    }

    /// <summary>Every entry with its status now: bad ones last, then the most recently good first.</summary>
    /// <returns>A new list.</returns>
    public IReadOnlyList<PeerSnapshot> GetPeers()
    {
        var now = _timeProvider.GetUtcNow();
        PeerSnapshot[] peers;
        lock (_gate)
        {
            peers = new PeerSnapshot[_byHost.Count];
            var i = 0;
            foreach (var entry in _byHost.Values)
            {
                peers[i++] = Snapshot(entry, now);
            }
        }

        Array.Sort(peers, ComparePeers);
        return peers;
    }

    /// <summary>The records of every entry, in no particular order (what a store saves).</summary>
    /// <returns>A new list.</returns>
    public IReadOnlyList<PeerRecord> GetRecords()
    {
        lock (_gate)
        {
            var records = new PeerRecord[_byHost.Count];
            var i = 0;
            foreach (var entry in _byHost.Values)
            {
                records[i++] = entry.Record;
            }

            return records;
        }
    }

    /// <summary>The entry of a host, with its status now.</summary>
    /// <param name="host">The host.</param>
    /// <returns>The snapshot, or <see langword="null"/> when the table has no entry for the host.</returns>
    public PeerSnapshot? Find(PeerHost host)
    {
        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            return _byHost.TryGetValue(host.Value, out var entry) ? Snapshot(entry, now) : null;
        }
    }

    /// <summary>
    /// The entries that match a host: the entry of the same host, and the entries last connected to the host's
    /// address when it is an IP literal.
    /// </summary>
    /// <param name="host">The host.</param>
    /// <returns>The matching records; empty when none match.</returns>
    public IReadOnlyList<PeerRecord> FindMatches(PeerHost host)
    {
        lock (_gate)
        {
            List<PeerRecord>? matches = null;
            if (_byHost.TryGetValue(host.Value, out var own))
            {
                (matches ??= []).Add(own.Record);
            }

            if (host.Address is { } address)
            {
                for (var entry = _byAddress.First(address); entry is not null; entry = entry.NextSameAddress)
                {
                    if (entry != own)
                    {
                        (matches ??= []).Add(entry.Record);
                    }
                }
            }

            return matches ?? (IReadOnlyList<PeerRecord>)[];
        }
    }

    /// <summary>The records of the entries last connected to an address.</summary>
    /// <param name="address">The address.</param>
    /// <returns>The records; empty when none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is <see langword="null"/>.</exception>
    public IReadOnlyList<PeerRecord> FindByAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        lock (_gate)
        {
            var entry = _byAddress.First(address);
            if (entry is null)
            {
                return [];
            }

            var records = new List<PeerRecord>(1);
            for (; entry is not null; entry = entry.NextSameAddress)
            {
                records.Add(entry.Record);
            }

            return records;
        }
    }

    private static int ComparePeers(PeerSnapshot x, PeerSnapshot y)
    {
        var c = x.Peer.IsBad.CompareTo(y.Peer.IsBad);
        if (c != 0)
        {
            return c;
        }

        // Most recently good first; never-good ones after every once-good one.
        c = Nullable.Compare(y.Peer.LastGood, x.Peer.LastGood);
        return c != 0 ? c : string.CompareOrdinal(x.Peer.Host.Value, y.Peer.Host.Value);
    }

    private PeerTableEntry? FindMatch(PeerHost host)
    {
        if (_byHost.TryGetValue(host.Value, out var entry))
        {
            return entry;
        }

        return host.Address is { } address ? _byAddress.First(address) : null;
    }

    private PeerSnapshot Snapshot(PeerTableEntry entry, DateTimeOffset now)
        => new(entry.Record, entry.Record.GetStatus(now, StaleAfter), entry.Alternatives?.ToArray() ?? []);

    private void AddEntry(PeerTableEntry entry, DateTimeOffset now)
    {
        _byHost.Add(entry.Record.Host.Value, entry);
        _byAddress.Link(entry);
        _byNetwork?.Link(entry);
        _counts.Add(entry, now);
    }

    private void RemoveEntry(PeerTableEntry entry)
    {
        _byHost.Remove(entry.Record.Host.Value);
        _counts.Remove(entry);
        _byAddress.Unlink(entry);
        _byNetwork?.Unlink(entry);
    }

    private void Replace(PeerTableEntry entry, PeerRecord updated, DateTimeOffset now)
    {
        var old = entry.Record;
        var sameCategory = PeerStatusCounts.SameCategory(old, updated);
        if (!sameCategory)
        {
            _counts.Remove(entry);
        }

        if (!Equals(old.IPAddress, updated.IPAddress))
        {
            _byAddress.Unlink(entry);
            _byNetwork?.Unlink(entry);
            entry.Record = updated;
            _byAddress.Link(entry);
            _byNetwork?.Link(entry);
        }

        entry.Record = updated;
        if (!sameCategory)
        {
            _counts.Add(entry, now);
        }
    }
}
