using System.Net;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// The per-network entry cap (<see cref="PeerManagementOptions.MaxPeersPerNetwork"/>): a stranger's peer that would
/// be one entry too many in its public /16 or /56 makes room by forgetting that network's bad entry, else of its
/// entries tried and not good now the one verified longest ago, or is refused: a good peer, or one waiting for its
/// first check, is never displaced by a peer nobody has checked (test before evict). An IP literal is grouped at admission,
/// a name when a check first reaches its address. Decisions of one manager are serialised by <see cref="Gate"/>, held
/// from the count to the entry's change, so that checks running side by side cannot overshoot the cap together.
/// </summary>
internal sealed class NetworkEntryCap
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromHours(1);

    // Refusals are logged once per network per interval; the record is pruned, so a flood over many networks
    // cannot grow it past this.
    private const int MaxLoggedNetworks = 1024;

    private readonly PeerTable _table;
    private readonly PeerCheckScheduler _scheduler;
    private readonly IReadOnlySet<PeerHost> _operatorPeers;
    private readonly int _max;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Dictionary<NetworkPrefix, DateTimeOffset> _loggedAt = [];

    public NetworkEntryCap(PeerTable table, PeerCheckScheduler scheduler, IReadOnlySet<PeerHost> operatorPeers, int maxPerNetwork, TimeProvider timeProvider, ILogger logger)
    {
        _table = table;
        _scheduler = scheduler;
        _operatorPeers = operatorPeers;
        _max = maxPerNetwork;
        _timeProvider = timeProvider;
        _logger = logger;
        if (maxPerNetwork > 0)
        {
            table.TrackNetworks();
        }
    }

    /// <summary>Held from a decision of the cap to the change of the table it allows.</summary>
    public Lock Gate { get; } = new();

    /// <summary>
    /// The network in which the cap applies to <paramref name="host"/> reached at <paramref name="address"/> (its
    /// own address when <see langword="null"/>), or <see langword="null"/>: the cap is off, the host is the
    /// operator's, or it has no public address yet.
    /// </summary>
    public NetworkPrefix? CappedNetwork(PeerHost host, IPAddress? address)
        => _max > 0 && !_operatorPeers.Contains(host) ? PeerNetworkIndex.NetworkOf(host, address) : null;

    /// <summary>
    /// Makes room in <paramref name="network"/> for <paramref name="newcomer"/> when it is at the cap; hold
    /// <see cref="Gate"/> from this call until the newcomer's entry is in.
    /// </summary>
    /// <returns><see langword="false"/> when no entry may make room: the newcomer must not enter.</returns>
    public bool MakeRoom(NetworkPrefix network, PeerHost newcomer, string source)
    {
        var count = _table.CountInNetwork(network, newcomer);
        for (; count >= _max; count--)
        {
            // Over the cap (a stored table, the operator's adds) it shrinks back to it, one newcomer at a time.
            if (_table.ForgetOneOfNetwork(network, newcomer, _operatorPeers, Reason(network)) is not { } evicted)
            {
                Refused(network, newcomer, source);
                return false;
            }

            _scheduler.Unschedule(evicted.Host);
            Log.NetworkEntryEvicted(_logger, evicted.Host.Value, evicted.Status, network.ToString(), _max, newcomer.Value);
        }

        return true;
    }

    /// <summary>
    /// Records the address a check reached <paramref name="record"/>'s host at. When that puts it in a network it was
    /// not in, it is that network's newcomer: room is made, or the host is forgotten before it is verified.
    /// </summary>
    /// <param name="record">The host's record as the check started.</param>
    /// <param name="address">The address reached.</param>
    /// <param name="refusal">Why the host was forgotten; <see langword="null"/> when it was not.</param>
    /// <returns>The new record, or <see langword="null"/> when the host is gone.</returns>
    public PeerRecord? RecordAddress(PeerRecord record, IPAddress address, out string? refusal)
    {
        refusal = null;
        var host = record.Host;
        // An admin add is the operator's word, at its first check too (a good check makes its source "peer").
        if (record.Source == PeerSources.Admin
            || CappedNetwork(host, address) is not { } network
            || PeerNetworkIndex.NetworkOf(host, record.IPAddress) == network)
        {
            return _table.RecordAddress(host, address);
        }

        lock (Gate)
        {
            if (!MakeRoom(network, host, "its check"))
            {
                refusal = Reason(network);
                _table.Forget(host, refusal);
                return null;
            }

            return _table.RecordAddress(host, address);
        }
    }

    /// <summary>Why an entry was forgotten or refused for the network's sake.</summary>
    public static string Reason(NetworkPrefix network) => $"too many peers in network {network}";

    private void Refused(NetworkPrefix network, PeerHost host, string source)
    {
        Log.NetworkFullRefused(_logger, host.Value, source, network.ToString(), _max);
        var now = _timeProvider.GetUtcNow();
        if (_loggedAt.TryGetValue(network, out var last) && now - last < LogInterval)
        {
            return;
        }

        if (_loggedAt.Count >= MaxLoggedNetworks)
        {
            foreach (var (logged, at) in _loggedAt)
            {
                if (now - at >= LogInterval)
                {
                    _loggedAt.Remove(logged);
                }
            }

            if (_loggedAt.Count >= MaxLoggedNetworks)
            {
                // Still full of recent ones: start over rather than grow (a few lines may repeat early).
                _loggedAt.Clear();
            }
        }

        _loggedAt[network] = now;
        Log.NetworkFull(_logger, network.ToString(), _max, host.Value, source);
    }
}
