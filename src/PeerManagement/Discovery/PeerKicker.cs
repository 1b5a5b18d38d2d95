using System.Net;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// The operator's kick: forgets the peers a <see cref="PeerMatch"/> covers (never our own identities), ends their
/// checks in progress, closes the incoming sessions of the guarded listeners from their addresses, and bans them
/// first when asked (so a failed ban changes nothing, and a peer cannot come back between the two).
/// </summary>
internal sealed class PeerKicker(PeerTable table, PeerCheckScheduler scheduler, RunningChecks running, RuntimeBans bans, PeerBlacklist blacklist, OwnIdentities identities, TimeProvider timeProvider, ILogger logger)
{
    private readonly Lock _gate = new();
    private readonly List<JsonRpcListener> _listeners = [];

    /// <summary>Makes a listener refuse banned addresses and close the sessions of kicked peers.</summary>
    public void Guard(JsonRpcListener listener)
    {
        listener.RefuseRemote = address => blacklist.IsBlacklisted(default, address, timeProvider.GetUtcNow());
        lock (_gate)
        {
            if (!_listeners.Contains(listener))
            {
                _listeners.Add(listener);
            }
        }
    }

    /// <exception cref="ArgumentException">The ban would cover one of our own identities (nothing done).</exception>
    /// <exception cref="IOException">The ban could not be saved (nothing done).</exception>
    public async Task<KickResult> KickAsync(PeerMatch match, TimeSpan? banFor, string? reason, CancellationToken cancellationToken)
    {
        var ban = banFor is null ? null : await bans.AddAsync(match, banFor, reason, cancellationToken).ConfigureAwait(false);
        var forgotten = new List<PeerHost>();
        var addresses = new HashSet<IPAddress>();
        var closed = 0;
        foreach (var record in table.GetRecords())
        {
            if (identities.Contains(record.Host) || !match.Matches(record.Host, record.IPAddress) || !table.Forget(record.Host, "kicked"))
            {
                continue;
            }

            forgotten.Add(record.Host);
            scheduler.Unschedule(record.Host);
            if (running.Cancel(record.Host))
            {
                closed++;
            }

            if (PeerAddress.Normalize(record.Host.Address ?? record.IPAddress) is { } address)
            {
                addresses.Add(address);
            }
        }

        closed += CloseSessions(a => match.MatchesAddress(a) || addresses.Contains(a));
        forgotten.Sort((x, y) => string.CompareOrdinal(x.Value, y.Value));
        Log.PeersKicked(logger, forgotten.Count, match.ToString(), closed, ban is null ? "not banned" : RuntimeBans.FormatUntil(ban.Expires));
        return new KickResult(forgotten, closed, ban);
    }

    /// <summary>After a ban: closes the sessions from the addresses it covers, and wakes the peers it covers so their next check marks them bad.</summary>
    public int ApplyBan(PeerMatch match)
    {
        foreach (var record in table.GetRecords())
        {
            if (!record.IsBad && match.Matches(record.Host, record.IPAddress))
            {
                scheduler.Wake(record.Host);
            }
        }

        return CloseSessions(match.MatchesAddress);
    }

    private int CloseSessions(Func<IPAddress, bool> covered)
    {
        JsonRpcListener[] listeners;
        lock (_gate)
        {
            listeners = [.. _listeners];
        }

        var closed = 0;
        foreach (var listener in listeners)
        {
            closed += listener.CloseSessions(a => covered(PeerAddress.Normalize(a)!));
        }

        return closed;
    }
}
