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
public sealed class PeerTable
{
    /// <summary>At most this many alternative port pairs are remembered per entry.</summary>
    public const int MaxAlternativePorts = 4;

    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    // Keyed by the host's text (ordinal): a string key is a third of a PeerHost key's size.
    private readonly Dictionary<string, Entry> _byHost = new(StringComparer.Ordinal);

    // Head of a chain (Entry.NextSameAddress) of the entries last connected to each address.
    private readonly Dictionary<IPAddress, Entry> _byAddress = [];

    // Entries that were once good and are not bad, ordered by LastGood (oldest first). The entries before
    // _firstGood are stale; _firstGood and the ones after it are good.
    private Entry? _orderHead;
    private Entry? _orderTail;
    private Entry? _firstGood;
    private int _orderCount;
    private int _staleCount;
    private int _badCount;
    private int _neverCount;
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
    }

    /// <summary>Raised after any change to the table (outside the table's lock).</summary>
    public event EventHandler? Changed;

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
            AdvanceStaleBoundary(now);
            return new PeerCounts(_badCount, _orderCount - _staleCount, _neverCount, _staleCount);
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

            if (host.Address is { } address && _byAddress.TryGetValue(address, out var entry))
            {
                for (; entry is not null; entry = entry.NextSameAddress)
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
            if (!_byAddress.TryGetValue(address, out var entry))
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

    /// <summary>
    /// Notes a candidate peer: adds it unless an entry matches it (same host, or an entry last connected to the
    /// candidate's IP). When <paramref name="checkPorts"/> is set and a matching entry has other ports, the
    /// candidate's ports are remembered as alternatives for that entry.
    /// </summary>
    /// <param name="candidate">The candidate's real name.</param>
    /// <param name="source">Where we heard of it (see <see cref="PeerSources"/>).</param>
    /// <param name="checkPorts">Whether differing ports of a known peer matter (admin and <c>server.add_peer</c>).</param>
    /// <returns>What was done.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public PeerNoteResult Note(PeerRealName candidate, string source, bool checkPorts)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(source);
        PeerNoteResult result;
        lock (_gate)
        {
            var match = FindMatch(candidate.Host);
            if (match is null)
            {
                AddEntry(new Entry(PeerRecord.FromRealName(candidate, source)));
                result = PeerNoteResult.Added;
            }
            else if (checkPorts && !candidate.Ports.IsEmpty && candidate.Ports != match.Record.Ports && match.AddAlternative(candidate.Ports))
            {
                result = PeerNoteResult.PortsChanged;
            }
            else
            {
                return PeerNoteResult.Known;
            }

            _version++;
        }

        Changed?.Invoke(this, EventArgs.Empty);
        return result;
    }

    /// <summary>Adds a record unless an entry matches its host (see <see cref="FindMatches"/>).</summary>
    /// <param name="record">The record.</param>
    /// <returns><see langword="true"/> when it was added.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The record has no host.</exception>
    public bool TryAdd(PeerRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Host.IsEmpty)
        {
            throw new ArgumentException("The record has no host.", nameof(record));
        }

        lock (_gate)
        {
            if (FindMatch(record.Host) is not null)
            {
                return false;
            }

            AddEntry(new Entry(record));
            _version++;
        }

        Changed?.Invoke(this, EventArgs.Empty);
        return true;
    }

    /// <summary>Replaces the record of a host with the result of <paramref name="update"/>, atomically.</summary>
    /// <param name="host">The host.</param>
    /// <param name="update">Makes the new record from the current one; must keep the host. Runs under the table's lock: keep it short.</param>
    /// <returns>The new record, or <see langword="null"/> when the table has no entry for the host.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="update"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="update"/> returned a record of another host.</exception>
    public PeerRecord? Update(PeerHost host, Func<PeerRecord, PeerRecord> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        PeerRecord updated;
        lock (_gate)
        {
            if (!_byHost.TryGetValue(host.Value, out var entry))
            {
                return null;
            }

            updated = update(entry.Record);
            if (updated is null || updated.Host != host)
            {
                throw new ArgumentException("The update must return a record of the same host.", nameof(update));
            }

            Replace(entry, updated);
            _version++;
        }

        Changed?.Invoke(this, EventArgs.Empty);
        return updated;
    }

    /// <summary>Forgets the alternative ports remembered for a host (after they were tried).</summary>
    /// <param name="host">The host.</param>
    /// <returns>The alternatives that were remembered; empty when none.</returns>
    public IReadOnlyList<PeerPorts> TakeAlternativePorts(PeerHost host)
    {
        lock (_gate)
        {
            if (!_byHost.TryGetValue(host.Value, out var entry) || entry.Alternatives is null)
            {
                return [];
            }

            var taken = entry.Alternatives;
            entry.Alternatives = null;
            return taken;
        }
    }

    /// <summary>Removes the entry of a host.</summary>
    /// <param name="host">The host.</param>
    /// <returns><see langword="true"/> when there was one.</returns>
    public bool Remove(PeerHost host)
    {
        lock (_gate)
        {
            if (!_byHost.Remove(host.Value, out var entry))
            {
                return false;
            }

            RemoveFromCounts(entry);
            UnlinkAddress(entry);
            _version++;
        }

        Changed?.Invoke(this, EventArgs.Empty);
        return true;
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

    private Entry? FindMatch(PeerHost host)
    {
        if (_byHost.TryGetValue(host.Value, out var entry))
        {
            return entry;
        }

        return host.Address is { } address && _byAddress.TryGetValue(address, out entry) ? entry : null;
    }

    private PeerSnapshot Snapshot(Entry entry, DateTimeOffset now)
        => new(entry.Record, entry.Record.GetStatus(now, StaleAfter), entry.Alternatives?.ToArray() ?? []);

    private void AddEntry(Entry entry)
    {
        ShareHostText(entry.Record);
        _byHost.Add(entry.Record.Host.Value, entry);
        LinkAddress(entry);
        AddToCounts(entry, _timeProvider.GetUtcNow());
    }

    private void Replace(Entry entry, PeerRecord updated)
    {
        var old = entry.Record;
        var sameCategory = old.IsBad == updated.IsBad && old.LastGood == updated.LastGood;
        if (!sameCategory)
        {
            RemoveFromCounts(entry);
        }

        if (!Equals(old.IPAddress, updated.IPAddress))
        {
            UnlinkAddress(entry);
            entry.Record = updated;
            LinkAddress(entry);
        }

        if (!ReferenceEquals(old.Features, updated.Features))
        {
            ShareHostText(updated);
        }

        entry.Record = updated;
        if (!sameCategory)
        {
            AddToCounts(entry, _timeProvider.GetUtcNow());
        }
    }

    // A peer's features list the peer's own host: keep one copy of that text, not two per entry.
    private static void ShareHostText(PeerRecord record)
    {
        if (record.Features?.Hosts is PeerHostPortsMap hosts)
        {
            hosts.ShareKey(record.Host);
        }
    }

    private void AddToCounts(Entry entry, DateTimeOffset now)
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

    private void RemoveFromCounts(Entry entry)
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

    private void InsertOrdered(Entry entry, DateTimeOffset now)
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
        if (now - lastGood >= StaleAfter)
        {
            entry.CountedStale = true;
            _staleCount++;
        }
        else if (_firstGood is null || entry.Next == _firstGood)
        {
            _firstGood = entry;
        }
    }

    private void RemoveOrdered(Entry entry)
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
        while (_firstGood is not null && now - _firstGood.Record.LastGood!.Value >= StaleAfter)
        {
            _firstGood.CountedStale = true;
            _staleCount++;
            _firstGood = _firstGood.Next;
        }

        // The clock went back: entries counted stale may be good again.
        var previous = _firstGood is null ? (_staleCount > 0 ? _orderTail : null) : _firstGood.Prev;
        while (previous is not null && now - previous.Record.LastGood!.Value < StaleAfter)
        {
            previous.CountedStale = false;
            _staleCount--;
            _firstGood = previous;
            previous = previous.Prev;
        }
    }

    private void LinkAddress(Entry entry)
    {
        if (entry.Record.IPAddress is not { } address)
        {
            return;
        }

        entry.NextSameAddress = _byAddress.TryGetValue(address, out var head) ? head : null;
        _byAddress[address] = entry;
    }

    private void UnlinkAddress(Entry entry)
    {
        if (entry.Record.IPAddress is not { } address || !_byAddress.TryGetValue(address, out var head))
        {
            return;
        }

        if (head == entry)
        {
            if (entry.NextSameAddress is null)
            {
                _byAddress.Remove(address);
            }
            else
            {
                _byAddress[address] = entry.NextSameAddress;
            }
        }
        else
        {
            var previous = head;
            while (previous.NextSameAddress is not null && previous.NextSameAddress != entry)
            {
                previous = previous.NextSameAddress;
            }

            previous.NextSameAddress = entry.NextSameAddress;
        }

        entry.NextSameAddress = null;
    }

    /// <summary>The mutable bookkeeping around one record; only touched under the table's lock.</summary>
    private sealed class Entry(PeerRecord record)
    {
        public PeerRecord Record { get; set; } = record;

        public Entry? Prev { get; set; }

        public Entry? Next { get; set; }

        public bool CountedStale { get; set; }

        public Entry? NextSameAddress { get; set; }

        public List<PeerPorts>? Alternatives { get; set; }

        public bool AddAlternative(PeerPorts ports)
        {
            Alternatives ??= new List<PeerPorts>(1);
            if (Alternatives.Contains(ports))
            {
                return false;
            }

            if (Alternatives.Count == MaxAlternativePorts)
            {
                Alternatives.RemoveAt(0);
            }

            Alternatives.Add(ports);
            return true;
        }
    }
}
