using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// <c>server.add_peer [features]</c>: whether an announced peer is taken. It accepts the first host of the features
/// when discovery is on, the caller's address is known and public, the session has not announced before, the table
/// is not full, the caller's address holds no peer the sybil rules would set against it (<see cref="AddPeerSourceRule"/>),
/// the caller's network has not announced within the pause, the budget of the interval is not spent,
/// and (clearnet) the host resolves to the caller's address or (onion) the random permit allows it. Every refusal
/// is logged with the source, the host and the reason. In a fleet, the pause is remembered by the fleet's
/// <see cref="IAddPeerGuard"/> instead of this instance.
/// </summary>
internal sealed class AddPeerPolicy(
    PeerManagementOptions options,
    PeerAdmission admission,
    PeerTable table,
    IHostNameResolver resolver,
    Random random,
    TimeProvider timeProvider,
    ILogger logger,
    IAddPeerGuard? fleetGuard = null)
{
    private readonly AddPeerPauseMap _pauses = new(options.PeerAddPause, options.MaxAddPeerPauseEntries);
    private readonly AddPeerBudget _budget = new(options.AddPeerBudget, options.AddPeerBudgetInterval, options.AddPeerBudgetPerNetwork);
    private DateTimeOffset _onionPermitTime = DateTimeOffset.MinValue;
    private int _budgetWarned;

    public int PauseCount => _pauses.Count;

    public async Task<bool> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
    {
        var endPoint = call.Session.RemoteEndPoint;
        var sourceText = endPoint?.ToString() ?? "unknown";
        if (options.Discovery != PeerDiscoveryMode.On)
        {
            return Reject(sourceText, "?", "peer discovery is not on");
        }

        if (endPoint is not IPEndPoint { Address: { } rawSource })
        {
            return Reject(sourceText, "?", "the source address is unknown");
        }

        var source = PeerAddress.Normalize(rawSource);
        sourceText = source.ToString();
        if (!call.Session.GetOrAddState(static () => new SessionAnnouncement()).TryClaim())
        {
            return Reject(sourceText, "?", "this connection already announced a peer");
        }

        if (ReadFirstPeer(call.Parameters) is not { } peer)
        {
            return Reject(sourceText, "?", "no valid peer given");
        }

        var host = peer.Host;
        if (admission.RejectReason(host) is { } unacceptable)
        {
            return Reject(sourceText, host.Value, unacceptable);
        }

        if (!PeerHost.IsPublicAddress(source) && !options.AllowNonPublicPeers)
        {
            return Reject(sourceText, host.Value, "the caller's address is not public");
        }

        if (admission.IsFull && admission.Eviction.Count == 0)
        {
            return Reject(sourceText, host.Value, "the peer table is full");
        }

        var now = timeProvider.GetUtcNow();
        // Before the pause and the budget: an announcement its check would refuse must not spend what others need.
        if (AddPeerSourceRule.Refusal(table, options, source, host, now) is { } futile)
        {
            return Reject(sourceText, host.Value, futile);
        }

        // A network that is not public (a lab, a LAN) is the operator's own: each of its addresses has its own share.
        var network = PeerHost.IsPublicAddress(source) ? PeerBuckets.GetExternalNetwork(source) : NetworkPrefix.Of(source, 32, 128);
        if (!_budget.HasRoom(now, network))
        {
            return RejectOverBudget(sourceText, host.Value);
        }

        var paused = fleetGuard is null
            ? !_pauses.TryRecord(PauseKey(source, host), now)
            : !await fleetGuard.TryRecordAsync(PauseKey(source, host), options.PeerAddPause, cancellationToken).ConfigureAwait(false);
        if (paused)
        {
            return Reject(sourceText, host.Value, "rate limiting: its network announced a peer recently");
        }

        if (await CheckOriginAsync(source, host, now, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return Reject(sourceText, host.Value, refusal);
        }

        if (!_budget.TryTake(timeProvider.GetUtcNow(), network))
        {
            return RejectOverBudget(sourceText, host.Value);
        }

        Log.AddPeerAccepted(logger, sourceText, host.Value);
        admission.NotePeers([peer], PeerSources.AddPeer, checkPorts: true, capped: false);
        return true;
    }

    /// <summary>Clearnet: the host is the caller. Onion: a random permit. Returns why not, or <see langword="null"/>.</summary>
    private async Task<string?> CheckOriginAsync(IPAddress source, PeerHost host, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (host.IsOnion)
        {
            lock (random)
            {
                if (now < _onionPermitTime)
                {
                    return "rate limiting: onion peers are accepted only now and then";
                }

                _onionPermitTime = now + TimeSpan.FromTicks((long)(random.NextDouble() * options.MaxOnionAddInterval.Ticks));
                return null;
            }
        }

        if (host.Address is { } literal)
        {
            return literal.Equals(source) ? null : "source-destination mismatch";
        }

        IReadOnlyList<IPAddress> addresses;
        try
        {
            addresses = await resolver.ResolveAsync(host.Value, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return "address resolution failure";
        }

        return addresses.Any(a => source.Equals(PeerAddress.Normalize(a))) ? null
            : addresses.Count == 0 ? "address resolution failure"
            : "source-destination mismatch";
    }

    /// <summary>
    /// What an announcement is paused under: the caller's network (IPv4 /24, IPv6 /48 by default), since a clearnet
    /// host must resolve to the caller; an onion host, which arrives through the local Tor daemon, by itself (the
    /// onion permit limits onion announcements as a whole).
    /// </summary>
    private string PauseKey(IPAddress source, PeerHost host)
        => host.IsOnion
            ? host.Value
            : NetworkPrefix.Of(source, options.AddPeerIPv4PrefixLength, options.AddPeerIPv6PrefixLength).ToString();

    private bool Reject(string source, string host, string reason)
    {
        Log.AddPeerRejected(logger, source, host, reason);
        return false;
    }

    private bool RejectOverBudget(string source, string host)
    {
        if (Interlocked.Exchange(ref _budgetWarned, 1) == 0)
        {
            Log.AddPeerBudgetExhausted(logger, options.AddPeerBudget, options.AddPeerBudgetInterval);
        }

        return Reject(source, host, "rate limiting: too many peers announced lately");
    }

    private static PeerRealName? ReadFirstPeer(JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Array || parameters.GetArrayLength() < 1)
        {
            return null;
        }

        var features = parameters[0];
        if (features.ValueKind != JsonValueKind.Object
            || !features.TryGetProperty("hosts", out var hosts)
            || hosts.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        // Only the first host is considered.
        foreach (var entry in hosts.EnumerateObject())
        {
            string name;
            try
            {
                name = entry.Name;
            }
            catch (InvalidOperationException)
            {
                return null;
            }

            if (!PeerHost.TryParse(name, out var host))
            {
                return null;
            }

            var parsed = PeerFeatures.FromJson(features);
            var ports = parsed.Hosts.TryGetValue(host, out var p) ? p : PeerPorts.None;
            return new PeerRealName(host, ports, parsed.ProtocolMax, parsed.Pruning);
        }

        return null;
    }

    /// <summary>Whether a session has announced its peer: one <c>server.add_peer</c> per connection.</summary>
    private sealed class SessionAnnouncement
    {
        private int _claimed;

        public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;
    }
}
