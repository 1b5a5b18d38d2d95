namespace PeerManagement;

/// <summary>Noting peers: the one path every candidate takes (seeds, peer lists, <c>server.add_peer</c>, admin).</summary>
public sealed partial class PeerManager
{
    /// <summary>
    /// Notes candidates from one source: drops invalid, non-public and (while no proxy is known) onion ones;
    /// for a known peer with other ports (when <paramref name="checkPorts"/>), remembers them and wakes its
    /// check; adds the new ones, at most <see cref="PeerManagementOptions.MaxNewPeersPerSource"/> chosen at random
    /// when <paramref name="capped"/>, and schedules them at once.
    /// </summary>
    /// <returns>How many were added.</returns>
    internal int NotePeers(IReadOnlyList<PeerRealName> candidates, string source, bool checkPorts, bool capped)
    {
        List<PeerRealName>? fresh = null;
        HashSet<PeerHost>? seen = null;
        foreach (var candidate in candidates)
        {
            if (RejectReason(candidate.Host) is { } reason)
            {
                Log.PeerDropped(_logger, candidate.Host.Value, source, reason);
                continue;
            }

            if (_table.FindMatches(candidate.Host).Count > 0)
            {
                if (checkPorts)
                {
                    NotePeer(candidate, source, checkPorts: true);
                }

                continue;
            }

            if ((seen ??= []).Add(candidate.Host))
            {
                (fresh ??= []).Add(candidate);
            }
        }

        if (fresh is null)
        {
            return 0;
        }

        if (capped && fresh.Count > _options.MaxNewPeersPerSource)
        {
            // A partial Fisher–Yates shuffle: the first MaxNewPeersPerSource are a uniform random choice.
            lock (_random)
            {
                for (var i = 0; i < _options.MaxNewPeersPerSource; i++)
                {
                    var j = _random.Next(i, fresh.Count);
                    (fresh[i], fresh[j]) = (fresh[j], fresh[i]);
                }
            }

            fresh.RemoveRange(_options.MaxNewPeersPerSource, fresh.Count - _options.MaxNewPeersPerSource);
        }

        var added = 0;
        foreach (var candidate in fresh)
        {
            if (NotePeer(candidate, source, checkPorts: false) == PeerNoteResult.Added)
            {
                added++;
            }
        }

        return added;
    }

    /// <summary>Notes one acceptable candidate in the table and schedules or wakes it.</summary>
    private PeerNoteResult NotePeer(PeerRealName candidate, string source, bool checkPorts)
    {
        if (!IsTrustedSource(source) && _table.Count >= _options.MaxPeers && _table.FindMatches(candidate.Host).Count == 0)
        {
            // Full: what strangers tell us waits until dead entries are forgotten; the operator's peers do not.
            Log.TableFull(_logger, candidate.Host.Value, source, _options.MaxPeers);
            return PeerNoteResult.TableFull;
        }

        var result = _table.Note(candidate, source, checkPorts);
        switch (result)
        {
            case PeerNoteResult.Added:
                Log.PeerAccepted(_logger, candidate.Host.Value, source);
                RaiseStatusChange(candidate.Host, null, PeerStatus.Never, null);
                _scheduler.Schedule(candidate.Host, _timeProvider.GetUtcNow());
                break;
            case PeerNoteResult.PortsChanged:
                var matches = _table.FindMatches(candidate.Host);
                var target = matches.Count > 0 ? matches[0].Host : candidate.Host;
                Log.PeerPortsChanged(_logger, target.Value, candidate.Ports.ToString(), source);
                _scheduler.Wake(target);
                break;
        }

        return result;
    }

    /// <summary>Why a candidate is not accepted, or <see langword="null"/> when it is.</summary>
    private string? RejectReason(PeerHost host)
    {
        if (host.IsEmpty)
        {
            return "no host";
        }

        if (!host.IsPublic && !_options.AllowNonPublicPeers)
        {
            return "not a public host";
        }

        if (host.IsOnion && _proxy?.ProxyEndPoint is null)
        {
            return "an onion peer while no proxy is known";
        }

        // Refused before it is stored or connected to; its address, once known, is checked again at each check.
        if (_blacklist.IsBlacklisted(host, host.Address, _timeProvider.GetUtcNow()))
        {
            return "blacklisted";
        }

        return null;
    }

    /// <summary>Seeds, admin adds and our own identities come from the operator, not from strangers.</summary>
    private static bool IsTrustedSource(string source)
        => source is PeerSources.Seed or PeerSources.Admin or PeerSources.Self;
}
