using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// Loads the saved table at start: each record keeps its history (so a peer good ten minutes ago is not checked
/// again at once), but only as far as it can be believed, and never beyond the table's bound. A failing store never
/// fails start-up.
/// </summary>
internal sealed class StoredPeersLoader(
    IPeerStore store,
    PeerTable table,
    OwnIdentities identities,
    PeerCheckScheduler scheduler,
    CheckSchedule schedule,
    int maxPeers,
    TimeProvider timeProvider,
    ILogger logger)
{
    /// <summary>How far ahead of our clock a stored time may be and still be believed (clocks differ a little).</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<PeerRecord> records;
        try
        {
            records = await store.LoadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.LoadFailed(logger, ex);
            return;
        }

        var now = timeProvider.GetUtcNow();
        var added = 0;
        var overCapacity = 0;
        foreach (var loaded in records ?? [])
        {
            if (loaded is null || loaded.Host.IsEmpty)
            {
                continue;
            }

            if (table.Count >= maxPeers)
            {
                overCapacity++;
                continue;
            }

            var record = WithOurPorts(WithPlausibleHistory(loaded, now));
            if (!table.TryAdd(record))
            {
                continue;
            }

            added++;
            scheduler.Schedule(record.Host, schedule.FirstCheck(record, now));
        }

        if (overCapacity > 0)
        {
            Log.LoadedOverCapacity(logger, overCapacity, maxPeers);
        }

        Log.PeersLoaded(logger, records?.Count ?? 0, added);
    }

    /// <summary>
    /// A stored entry of one of our own identities takes the ports we announce now: a node restarted on another
    /// port must not keep checking (and telling others of) itself at the old one.
    /// </summary>
    private PeerRecord WithOurPorts(PeerRecord record)
    {
        if (identities.Find(record.Host) is not { } own || own.Ports == record.Ports)
        {
            return record;
        }

        Log.StoredIdentityPortsReplaced(logger, record.Host.Value, record.Ports.ToString(), own.Ports.ToString());
        return record with { Ports = own.Ports };
    }

    /// <summary>
    /// A stored record as far as it can be believed: a time in the future (beyond a small clock skew) is unknown,
    /// not trusted (a last-good time far ahead would keep a peer "good" and unchecked forever), and a negative try
    /// count is none. Whatever the store, nothing in a record can make scheduling throw.
    /// </summary>
    private PeerRecord WithPlausibleHistory(PeerRecord record, DateTimeOffset now)
    {
        var latest = now + ClockSkew;
        var lastGood = record.LastGood > latest ? null : record.LastGood;
        var lastTry = record.LastTry > latest ? null : record.LastTry;
        if (lastGood == record.LastGood && lastTry == record.LastTry && record.TryCount >= 0)
        {
            return record;
        }

        Log.LoadedHistoryDistrusted(logger, record.Host.Value, record.LastGood, record.LastTry, record.TryCount);
        return record with { LastGood = lastGood, LastTry = lastTry, TryCount = Math.Max(0, record.TryCount) };
    }
}
