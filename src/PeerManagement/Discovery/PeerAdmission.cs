using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// Admission: the one path every candidate takes (seeds, our identities, peer lists, <c>server.add_peer</c>,
/// admin adds) into the table and the schedule. It refuses what must not be stored or contacted, caps what one
/// remote list may add, keeps the table within <see cref="PeerManagementOptions.MaxPeers"/> against strangers, and
/// schedules or wakes what it accepts.
/// </summary>
internal sealed class PeerAdmission(
    PeerTable table,
    PeerManagementOptions options,
    PeerCheckScheduler scheduler,
    PeerBlacklist blacklist,
    IProxyConnector? proxy,
    Random random,
    TimeProvider timeProvider,
    ILogger logger)
{
    private readonly HashSet<PeerHost> _operatorPeers = OperatorPeers(options);

    /// <summary>The bad peers that may make room in a full table (the manager feeds it the table's changes).</summary>
    public BadPeerEviction Eviction { get; } = new(table, scheduler, OperatorPeers(options), logger);

    /// <summary>The per-network entry cap (<see cref="PeerManagementOptions.MaxPeersPerNetwork"/>).</summary>
    public NetworkEntryCap Networks { get; } = new(table, scheduler, OperatorPeers(options), options.MaxPeersPerNetwork, timeProvider, logger);

    /// <summary>
    /// Whether <paramref name="host"/> is one of the operator's peers — a configured seed or one of our own
    /// identities — which are never forgotten and are retried at least hourly.
    /// </summary>
    public bool IsOperatorPeer(PeerHost host) => _operatorPeers.Contains(host);

    /// <summary>
    /// Notes candidates from one source: drops the unacceptable ones (see <see cref="RejectReason"/>); for a known
    /// peer with other ports (when <paramref name="checkPorts"/>), remembers them and wakes its check; adds the new
    /// ones, at most <see cref="PeerManagementOptions.MaxNewPeersPerSource"/> chosen at random when
    /// <paramref name="capped"/>, and schedules them at once.
    /// </summary>
    /// <returns>How many were added.</returns>
    public int NotePeers(IReadOnlyList<PeerRealName> candidates, string source, bool checkPorts, bool capped)
    {
        List<PeerRealName>? fresh = null;
        HashSet<PeerHost>? seen = null;
        for (var index = 0; index < candidates.Count; index++)
        {
            var candidate = candidates[index];
            if (RejectReason(candidate.Host) is { } reason)
            {
                if (IsTrustedSource(source))
                {
                    // The operator asked for this one: a silent refusal would leave them wondering why nothing happens.
                    Log.OperatorPeerRefused(logger, candidate.Host.Value, source, reason);
                }
                else
                {
                    Log.PeerDropped(logger, candidate.Host.Value, source, reason);
                }

                continue;
            }

            if (table.HasMatch(candidate.Host))
            {
                if (checkPorts)
                {
                    NotePeer(candidate, source, checkPorts: true);
                }

                continue;
            }

            // Sized once for the rest of the list: growing them would leave garbage behind for every peer added.
            // Only a capped list needs its new hosts distinct (a uniform choice among them); uncapped, the table
            // itself turns a repeated host away.
            if (!capped || (seen ??= new HashSet<PeerHost>(candidates.Count - index)).Add(candidate.Host))
            {
                (fresh ??= new List<PeerRealName>(candidates.Count - index)).Add(candidate);
            }
        }

        if (fresh is null)
        {
            return 0;
        }

        if (capped && fresh.Count > options.MaxNewPeersPerSource)
        {
            // A partial Fisher–Yates shuffle: the first MaxNewPeersPerSource are a uniform random choice.
            lock (random)
            {
                for (var i = 0; i < options.MaxNewPeersPerSource; i++)
                {
                    var j = random.Next(i, fresh.Count);
                    (fresh[i], fresh[j]) = (fresh[j], fresh[i]);
                }
            }

            fresh.RemoveRange(options.MaxNewPeersPerSource, fresh.Count - options.MaxNewPeersPerSource);
        }

        var added = 0;
        var now = timeProvider.GetUtcNow();
        scheduler.EnsureRoomFor(fresh.Count);
        foreach (var candidate in fresh)
        {
            if (NotePeer(candidate, source, checkPorts: false, now) == PeerNoteResult.Added)
            {
                added++;
            }
        }

        return added;
    }

    /// <summary>Notes one acceptable candidate in the table and schedules or wakes it.</summary>
    public PeerNoteResult NotePeer(PeerRealName candidate, string source, bool checkPorts)
        => NotePeer(candidate, source, checkPorts, timeProvider.GetUtcNow());

    // As above, an added peer due at now (one clock reading for a whole list).
    private PeerNoteResult NotePeer(PeerRealName candidate, string source, bool checkPorts, DateTimeOffset now)
    {
        // An IP literal from a stranger is grouped now, a name once a check reaches it (NetworkEntryCap).
        if (!IsTrustedSource(source) && Networks.CappedNetwork(candidate.Host, null) is { } network && !table.HasMatch(candidate.Host))
        {
            lock (Networks.Gate)
            {
                return Networks.MakeRoom(network, candidate.Host, source)
                    ? NoteWithinBound(candidate, source, checkPorts, now)
                    : PeerNoteResult.TableFull;
            }
        }

        return NoteWithinBound(candidate, source, checkPorts, now);
    }

    private PeerNoteResult NoteWithinBound(PeerRealName candidate, string source, bool checkPorts, DateTimeOffset now)
    {
        if (!IsTrustedSource(source) && IsFull && !table.HasMatch(candidate.Host) && !Eviction.TryEvictOne())
        {
            // Full of peers that are good or not checked yet: what strangers tell us waits until dead entries are
            // forgotten or a check finds one bad; the operator's peers do not wait.
            Log.TableFull(logger, candidate.Host.Value, source, options.MaxPeers);
            return PeerNoteResult.TableFull;
        }

        var result = table.Note(candidate, source, checkPorts);
        switch (result)
        {
            case PeerNoteResult.Added:
                Log.PeerAccepted(logger, candidate.Host.Value, source);
                scheduler.Schedule(candidate.Host, now);
                break;
            case PeerNoteResult.PortsChanged:
                var matches = table.FindMatches(candidate.Host);
                var target = matches.Count > 0 ? matches[0].Host : candidate.Host;
                Log.PeerPortsChanged(logger, target.Value, candidate.Ports.ToString(), source);
                scheduler.Wake(target);
                break;
        }

        return result;
    }

    /// <summary>Whether the table holds <see cref="PeerManagementOptions.MaxPeers"/> entries already.</summary>
    public bool IsFull => table.Count >= options.MaxPeers;

    /// <summary>Why a candidate is not accepted, or <see langword="null"/> when it is.</summary>
    public string? RejectReason(PeerHost host)
    {
        if (host.IsEmpty)
        {
            return "no host";
        }

        if (!host.IsPublic && !options.AllowNonPublicPeers)
        {
            return "not a public host";
        }

        if (host.IsOnion && proxy?.ProxyEndPoint is null)
        {
            return "an onion peer while no proxy is known";
        }

        // Refused before it is stored or connected to; its address, once known, is checked again at each check.
        if (blacklist.Count > 0 && blacklist.IsBlacklisted(host, host.Address, timeProvider.GetUtcNow()))
        {
            return "blacklisted";
        }

        return null;
    }

    /// <summary>Notes our own identities and the configured seeds (neither is capped).</summary>
    public void ImportIdentitiesAndSeeds(IReadOnlyList<PeerRealName> identities)
    {
        NotePeers(identities, PeerSources.Self, checkPorts: false, capped: false);
        var seeds = new List<PeerRealName>(options.SeedPeers.Count);
        foreach (var text in options.SeedPeers)
        {
            if (PeerRealName.TryParse(text.AsSpan(), options.DefaultPorts, out var seed, out _))
            {
                seeds.Add(seed);
            }
        }

        NotePeers(seeds, PeerSources.Seed, checkPorts: false, capped: false);
    }

    private static HashSet<PeerHost> OperatorPeers(PeerManagementOptions options)
    {
        var hosts = new HashSet<PeerHost>();
        foreach (var text in options.SeedPeers.Concat(options.Identities))
        {
            if (PeerRealName.TryParse(text.AsSpan(), options.DefaultPorts, out var name, out _))
            {
                hosts.Add(name.Host);
            }
        }

        return hosts;
    }

    /// <summary>Seeds, admin adds and our own identities come from the operator, not from strangers.</summary>
    private static bool IsTrustedSource(string source)
        => source is PeerSources.Seed or PeerSources.Admin or PeerSources.Self;
}
