using System.Net;

namespace PeerManagement;

/// <summary>
/// The state changes of the table: each domain operation applies atomically under the table's lock and reports
/// the entry's status before and after through <see cref="Changed"/>. Only the library changes the table (the
/// peer manager's parts and the store loader); hosts read it, or go through <see cref="PeerManager"/>.
/// </summary>
public sealed partial class PeerTable
{
    /// <summary>Forgets the alternative ports remembered for a host (after they were tried).</summary>
    /// <param name="host">The host.</param>
    /// <returns>The alternatives that were remembered; empty when none.</returns>
    internal IReadOnlyList<PeerPorts> TakeAlternativePorts(PeerHost host)
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

    /// <summary>
    /// Notes a candidate peer: adds it unless an entry matches it (same host, or an entry last connected to the
    /// candidate's IP). When <paramref name="checkPorts"/> is set and a matching entry has other ports, the
    /// candidate's ports are remembered as alternatives for that entry.
    /// </summary>
    internal PeerNoteResult Note(PeerRealName candidate, string source, bool checkPorts)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(source);
        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            var match = FindMatch(candidate.Host);
            if (match is null)
            {
                AddEntry(new PeerTableEntry(PeerRecord.FromRealName(candidate, source)), now);
            }
            else if (checkPorts && !candidate.Ports.IsEmpty && candidate.Ports != match.Record.Ports && match.AddAlternative(candidate.Ports))
            {
                // Alternatives are not saved and change no status: no change to report.
                return PeerNoteResult.PortsChanged;
            }
            else
            {
                return PeerNoteResult.Known;
            }
        }

        Raise(candidate.Host, null, PeerStatus.Never, null, now, listingChanged: true);
        return PeerNoteResult.Added;
    }

    /// <summary>Adds a record, history and all (a loaded one), unless an entry matches its host.</summary>
    /// <exception cref="ArgumentException">The record has no host.</exception>
    internal bool TryAdd(PeerRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Host.IsEmpty)
        {
            throw new ArgumentException("The record has no host.", nameof(record));
        }

        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            if (FindMatch(record.Host) is not null)
            {
                return false;
            }

            AddEntry(new PeerTableEntry(record), now);
        }

        Raise(record.Host, null, record.GetStatus(now, StaleAfter), null, now, listingChanged: true);
        return true;
    }

    /// <summary>Records the address a peer was reached at.</summary>
    /// <returns>The new record, or <see langword="null"/> when the table has no entry for the host.</returns>
    internal PeerRecord? RecordAddress(PeerHost host, IPAddress address)
        => Apply(host, r => Equals(r.IPAddress, address) ? r : r with { IPAddress = address }, reason: null);

    /// <summary>
    /// Records a good check: no failed tries, last good now, last try when the check started, source
    /// <see cref="PeerSources.Peer"/>, no bad mark, and the peer's features (with the ports they list for its host).
    /// </summary>
    /// <returns>The new record, or <see langword="null"/> when the table has no entry for the host.</returns>
    internal PeerRecord? RecordGood(PeerHost host, PeerFeatures features, DateTimeOffset triedAt, long serverKeyId = 0)
    {
        ArgumentNullException.ThrowIfNull(features);
        var now = _timeProvider.GetUtcNow();
        var ports = features.Hosts.TryGetValue(host, out var listed) && !listed.IsEmpty ? listed : (PeerPorts?)null;
        return Apply(
            host,
            r => r with
            {
                TryCount = 0,
                LastGood = now,
                LastTry = triedAt,
                Source = PeerSources.Peer,
                BadReason = null,
                Features = features,
                Ports = ports ?? r.Ports,
                Version = features.ProtocolMax ?? r.Version,
                Pruning = features.Pruning,
                ServerKeyId = serverKeyId,
            },
            reason: null);
    }

    /// <summary>
    /// Records a failed try (or, with <paramref name="bad"/>, a bad verdict), and in the same step forgets the
    /// peer when <paramref name="shouldForget"/> says so of the new record.
    /// </summary>
    /// <returns>The new record (<see langword="null"/> when there was no entry), and whether it was forgotten.</returns>
    internal (PeerRecord? Record, bool Forgotten) RecordFailure(PeerHost host, string reason, bool bad, DateTimeOffset triedAt, Func<PeerRecord, bool> shouldForget)
    {
        ArgumentNullException.ThrowIfNull(reason);
        ArgumentNullException.ThrowIfNull(shouldForget);
        var now = _timeProvider.GetUtcNow();
        PeerStatus before;
        PeerRecord updated;
        bool forgotten;
        lock (_gate)
        {
            if (!_byHost.TryGetValue(host.Value, out var entry))
            {
                return (null, false);
            }

            before = entry.Record.GetStatus(now, StaleAfter);
            updated = entry.Record with
            {
                TryCount = entry.Record.TryCount + 1,
                LastTry = triedAt,
                BadReason = bad ? reason : entry.Record.BadReason,
            };
            forgotten = shouldForget(updated);
            if (forgotten)
            {
                RemoveEntry(entry);
            }
            else
            {
                Replace(entry, updated, now);
            }
        }

        // A failure changes the tries and the bad mark only: the listing of a peer still good is the same.
        Raise(host, before, forgotten ? null : updated.GetStatus(now, StaleAfter), reason, now, listingChanged: false);
        return (updated, forgotten);
    }

    /// <summary>Gives a peer the features another of its host names reported.</summary>
    internal PeerRecord? AdoptFeatures(PeerHost host, PeerFeatures features)
        => Apply(host, r => r with { Features = features }, reason: null);

    /// <summary>Forgets a peer.</summary>
    /// <returns><see langword="true"/> when there was an entry.</returns>
    internal bool Forget(PeerHost host, string? reason)
    {
        var now = _timeProvider.GetUtcNow();
        PeerStatus before;
        lock (_gate)
        {
            if (!_byHost.TryGetValue(host.Value, out var entry))
            {
                return false;
            }

            before = entry.Record.GetStatus(now, StaleAfter);
            RemoveEntry(entry);
        }

        Raise(host, before, null, reason, now, listingChanged: true);
        return true;
    }

    /// <summary>Forgets a peer only if it is bad at this moment (checked under the table's lock).</summary>
    /// <returns><see langword="true"/> when a bad entry was forgotten.</returns>
    internal bool ForgetIfBad(PeerHost host, string reason)
    {
        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            if (!_byHost.TryGetValue(host.Value, out var entry) || entry.Record.GetStatus(now, StaleAfter) != PeerStatus.Bad)
            {
                return false;
            }

            RemoveEntry(entry);
        }

        Raise(host, PeerStatus.Bad, null, reason, now, listingChanged: true);
        return true;
    }

    /// <summary>Replaces the record of a host with the result of <paramref name="update"/>, atomically (tests and tools).</summary>
    /// <exception cref="ArgumentException"><paramref name="update"/> returned a record of another host.</exception>
    internal PeerRecord? Update(PeerHost host, Func<PeerRecord, PeerRecord> update) => Apply(host, update, reason: null);

    private PeerRecord? Apply(PeerHost host, Func<PeerRecord, PeerRecord> update, string? reason)
    {
        ArgumentNullException.ThrowIfNull(update);
        var now = _timeProvider.GetUtcNow();
        PeerStatus before;
        PeerRecord updated;
        bool listingChanged;
        lock (_gate)
        {
            if (!_byHost.TryGetValue(host.Value, out var entry))
            {
                return null;
            }

            var old = entry.Record;
            updated = update(old);
            if (updated is null || updated.Host != host)
            {
                throw new ArgumentException("The update must return a record of the same host.", nameof(update));
            }

            if (ReferenceEquals(updated, old))
            {
                return old;
            }

            before = old.GetStatus(now, StaleAfter);
            listingChanged = !SameListing(old, updated);
            Replace(entry, updated, now);
        }

        Raise(host, before, updated.GetStatus(now, StaleAfter), reason, now, listingChanged);
        return updated;
    }

    private void Raise(PeerHost host, PeerStatus? before, PeerStatus? after, string? reason, DateTimeOffset now, bool listingChanged)
    {
        NoteGoodPeersChange(before, after, listingChanged);
        Interlocked.Increment(ref _version);
        Changed?.Invoke(this, new PeerStatusChange(host, before, after, reason, now));
    }
}
