using System.Net.NetworkInformation;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>The operator's run-time controls: kick, bans, per-peer detail and the reachable address families.</summary>
public sealed partial class PeerManager
{
    private RuntimeBans _bans = null!;
    private PeerKicker _kicker = null!;
    private IAddressFamilyProbe? _probe;
    private volatile AddressFamilyReachability? _reachability;

    /// <summary>
    /// Which address families this machine can reach public addresses over, as detected at start (and again on a
    /// network change); <see langword="null"/> before the first detection. Checks of public peers over a family
    /// it cannot reach are skipped, not counted as failed tries.
    /// </summary>
    public AddressFamilyReachability? Reachability => _reachability;

    /// <summary>
    /// Forgets the peers <paramref name="match"/> covers (never our own identities), ends their checks in progress
    /// and closes the incoming sessions from their addresses on the listeners given to <see cref="GuardListener"/>;
    /// with <paramref name="banFor"/>, first bans the match for that long (saved in the ban store before anything
    /// else changes).
    /// </summary>
    /// <param name="match">What to kick: a host, an IP address, a CIDR range or <c>*.domain</c>.</param>
    /// <param name="banFor">How long to ban the match; <see langword="null"/> for no ban.</param>
    /// <param name="reason">Why, kept with the ban; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The peers forgotten, the sessions closed, and the ban.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="match"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="banFor"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The ban would cover one of our own identities; nothing was done.</exception>
    /// <exception cref="IOException">The ban could not be saved; nothing was done.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<KickResult> KickAsync(PeerMatch match, TimeSpan? banFor, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(match);
        if (banFor is { } duration)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero, nameof(banFor));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var result = await _kicker.KickAsync(match, banFor, reason, cancellationToken).ConfigureAwait(false);
        if (result.Ban is not null)
        {
            _kicker.ApplyBan(match);
        }

        return result;
    }

    /// <summary>Every blacklist entry in force: the run-time bans (not expired), then the entries of the configured sources.</summary>
    /// <param name="cancellationToken">Cancels the call (the saved bans are loaded on first use).</param>
    /// <returns>The entries.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IReadOnlyList<PeerBan>> GetBansAsync(CancellationToken cancellationToken)
    {
        await _bans.EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        return _bans.List();
    }

    /// <summary>
    /// Bans a match at run time (replacing a ban of the same match), saved in the ban store before it takes effect;
    /// closes the incoming sessions from the addresses it covers, and wakes the peers it covers so their next check
    /// marks them bad. The peers stay in the table (use <see cref="KickAsync"/> to forget them too).
    /// </summary>
    /// <param name="match">What to ban.</param>
    /// <param name="duration">How long; <see langword="null"/> for no expiry.</param>
    /// <param name="reason">Why; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ban.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="match"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The ban would cover one of our own identities; nothing was done.</exception>
    /// <exception cref="IOException">The ban could not be saved; nothing was done.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<PeerBan> AddBanAsync(PeerMatch match, TimeSpan? duration, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(match);
        if (duration is { } d)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(d, TimeSpan.Zero, nameof(duration));
        }

        var ban = await _bans.AddAsync(match, duration, reason, cancellationToken).ConfigureAwait(false);
        _kicker.ApplyBan(match);
        return ban;
    }

    /// <summary>Removes a run-time ban (saved in the ban store). An entry of a configured source is not removed: the answer says so.</summary>
    /// <param name="match">The match of the ban.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="match"/> is <see langword="null"/>.</exception>
    /// <exception cref="IOException">The store could not be written; nothing was done.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<BanRemoval> RemoveBanAsync(PeerMatch match, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(match);
        return _bans.RemoveAsync(match, cancellationToken);
    }

    /// <summary>Whether a ban of <paramref name="match"/> would cover one of our own identities (such a ban is refused).</summary>
    /// <param name="match">The match.</param>
    /// <returns>The identity's host, or <see langword="null"/> when none is covered.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="match"/> is <see langword="null"/>.</exception>
    public string? FindCoveredIdentity(PeerMatch match)
    {
        ArgumentNullException.ThrowIfNull(match);
        return _bans.CoveredIdentity(match);
    }

    /// <summary>Everything known of one peer: record, status, buckets, next check time, whether it is blacklisted.</summary>
    /// <param name="host">The peer's host.</param>
    /// <returns>The detail, or <see langword="null"/> when the table has no entry for the host.</returns>
    public PeerDetail? GetPeerDetail(PeerHost host)
    {
        if (_table.Find(host) is not { } snapshot)
        {
            return null;
        }

        var peer = snapshot.Peer;
        return new PeerDetail(
            snapshot,
            PeerBuckets.GetInternalBucket(peer.Host, peer.IPAddress),
            PeerBuckets.GetExternalBucket(peer.Host, peer.IPAddress),
            _scheduler.GetDue(host),
            _checker.Running.IsRunning(host),
            _blacklist.IsBlacklisted(peer.Host, peer.IPAddress, _timeProvider.GetUtcNow()));
    }

    /// <summary>
    /// Makes a listener refuse connections from blacklisted addresses (configured or banned at run time) and close
    /// the sessions of the addresses a kick or a ban covers. Call it once per listener, before or after it starts.
    /// </summary>
    /// <param name="listener">The listener.</param>
    /// <exception cref="ArgumentNullException"><paramref name="listener"/> is <see langword="null"/>.</exception>
    public void GuardListener(JsonRpcListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        _kicker.Guard(listener);
    }

    private void InitOperator(IBanStore? banStore, IAddressFamilyProbe? probe, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger("PeerManagement.Operator");
        _bans = new RuntimeBans(banStore ?? new InMemoryBanStore(), _blacklist, _identities, _timeProvider, logger);
        _kicker = new PeerKicker(_table, _scheduler, _checker.Running, _bans, _blacklist, _identities, _timeProvider, logger);
        _probe = probe;
    }

    /// <summary>At start: loads the bans and detects the reachable families (a failure of either never fails start-up).</summary>
    private async Task StartOperatorAsync(CancellationToken cancellationToken)
    {
        await _bans.EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        await DetectReachabilityAsync(cancellationToken).ConfigureAwait(false);
        if (_probe is not null)
        {
            NetworkChange.NetworkAddressChanged += OnNetworkAddressChanged;
        }
    }

    private void StopOperator()
    {
        NetworkChange.NetworkAddressChanged -= OnNetworkAddressChanged;
    }

    private async Task DetectReachabilityAsync(CancellationToken cancellationToken)
    {
        AddressFamilyReachability found;
        try
        {
            found = _probe is null ? AddressFamilyReachability.Both : await _probe.ProbeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.ReachabilityProbeFailed(_logger, ex);
            found = AddressFamilyReachability.Both;
        }

        _reachability = found;
        _checker.Reachability = found;
        Log.ReachabilityDetected(_logger, found);
    }

    private void OnNetworkAddressChanged(object? sender, EventArgs e)
        => _ = DetectReachabilityAsync(CancellationToken.None);
}
