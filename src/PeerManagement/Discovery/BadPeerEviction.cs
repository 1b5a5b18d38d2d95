using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// Room in a full table: a new peer heard from a stranger may take the place of a bad one, the one that turned bad
/// longest ago. Nothing else is evicted for a peer nobody has checked (test before evict): a good or stale peer
/// never, and a peer not checked yet only once its check has found it bad. The operator's peers are never evicted.
/// </summary>
internal sealed class BadPeerEviction(PeerTable table, PeerCheckScheduler scheduler, IReadOnlySet<PeerHost> operatorPeers, ILogger logger)
{
    private readonly Lock _gate = new();

    // Exactly the peers that are bad now, in the order they turned bad (oldest first).
    private readonly LinkedList<PeerHost> _bad = new();
    private readonly Dictionary<PeerHost, LinkedListNode<PeerHost>> _nodes = [];

    /// <summary>How many bad peers could make room now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _bad.Count;
            }
        }
    }

    /// <summary>Follows a status change of the table.</summary>
    public void Observe(PeerStatusChange change)
    {
        if (change.OldStatus != PeerStatus.Bad && change.NewStatus != PeerStatus.Bad)
        {
            // Neither turned bad nor stopped being bad (e.g. a new peer): nothing to follow, no lock to take.
            return;
        }

        lock (_gate)
        {
            if (change.NewStatus == PeerStatus.Bad)
            {
                if (!_nodes.ContainsKey(change.Host))
                {
                    _nodes[change.Host] = _bad.AddLast(change.Host);
                }
            }
            else if (_nodes.Remove(change.Host, out var node))
            {
                _bad.Remove(node);
            }
        }
    }

    /// <summary>Forgets the bad peer that turned bad longest ago; <see langword="false"/> when there is none.</summary>
    public bool TryEvictOne()
    {
        while (true)
        {
            PeerHost host;
            lock (_gate)
            {
                if (_bad.First is not { } oldest)
                {
                    return false;
                }

                host = oldest.Value;
                _bad.RemoveFirst();
                _nodes.Remove(host);
            }

            // The table checks the status again under its own lock: a peer that has just turned good stays.
            if (!operatorPeers.Contains(host) && table.ForgetIfBad(host, "evicted: the table is full and a new peer needed the room"))
            {
                scheduler.Unschedule(host);
                Log.PeerEvicted(logger, host.Value);
                return true;
            }
        }
    }
}
