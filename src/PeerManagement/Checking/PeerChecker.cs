using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// One check of a peer, start to end: connect (the endpoints in order, directly or through the proxy), the
/// pre-checks on the session (address, blacklist, bucket rule), the protocol verification (<see cref="IPeerVerifier"/>),
/// and the outcome applied to the table; it answers the scheduler with the next check time, which the
/// <see cref="CheckSchedule"/> decides. A whole check has a deadline.
/// </summary>
internal sealed class PeerChecker(
    PeerTable table,
    PeerManagementOptions options,
    IPeerConnector connector,
    IJsonRpcSessionFactory sessionFactory,
    IPeerVerifier verifier,
    PeerBlacklist blacklist,
    IProxyConnector? proxy,
    CheckSchedule schedule,
    SelfAnnouncer announcer,
    DiscoveryMetrics? metrics,
    TimeProvider timeProvider,
    ILogger logger)
{
    private readonly BucketRule _bucketRule = new(table, timeProvider, options.OneGoodPeerPerAddress, options.MaxGoodPeersPerNetwork, options.MaxGoodPeersPerOperator);
    private readonly BucketLocks _bucketLocks = new();

    /// <summary>
    /// Where the peers a good peer reports are noted. The checker is the scheduler's callback and admission schedules
    /// into that scheduler, so it is set once, right after both exist, before the scheduler starts.
    /// </summary>
    public PeerAdmission? Admission { get; set; }

    /// <summary>The scheduler whose entries the checks drop (duplicates of a good peer); set with <see cref="Admission"/>.</summary>
    public PeerCheckScheduler? Scheduler { get; set; }

    /// <summary>Whether a fleet lets this instance check a due peer now; <see langword="null"/> outside a fleet. Set before the scheduler starts.</summary>
    public FleetCheckGate? FleetGate { get; set; }

    public int ActiveBucketLocks => _bucketLocks.Count;

    /// <summary>The checks running now; a kick ends the check of a kicked peer.</summary>
    public RunningChecks Running { get; } = new();

    /// <summary>Which address families this machine can reach; a public peer over another one is not checked.</summary>
    public AddressFamilyReachability Reachability { get; set; } = AddressFamilyReachability.Both;

    /// <summary>Runs a check for the scheduler; returns the next check time, or <see langword="null"/> when the peer is gone.</summary>
    public async Task<DateTimeOffset?> CheckScheduledAsync(PeerHost host, CancellationToken cancellationToken)
    {
        try
        {
            if (FleetGate is { } gate && table.Find(host) is { } due
                && await gate.DeferAsync(due.Peer, Admission?.IsOperatorPeer(host) == true, cancellationToken).ConfigureAwait(false) is { } later)
            {
                return later;
            }

            var (_, next) = await CheckPeerAsync(host, cancellationToken).ConfigureAwait(false);
            return next;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A worker must never die: log, and try the peer again later.
            Log.CheckCrashed(logger, host.Value, ex);
            return table.Find(host) is null ? null : schedule.AfterSkip(timeProvider.GetUtcNow());
        }
    }

    /// <summary>
    /// Checks one peer now and applies the outcome. Returns the outcome (<see langword="null"/> when the check was
    /// skipped or the peer is unknown) and the next check time (<see langword="null"/> when the peer is gone).
    /// </summary>
    public async Task<(PeerCheckOutcome? Outcome, DateTimeOffset? Next)> CheckPeerAsync(PeerHost host, CancellationToken cancellationToken)
    {
        var snapshot = table.Find(host);
        if (snapshot is null)
        {
            return (null, null);
        }

        var useProxy = host.IsOnion || options.ForceProxy;
        if (useProxy && proxy?.ProxyEndPoint is null)
        {
            // No proxy, no check: not a failure of the peer.
            Log.CheckSkippedNoProxy(logger, host.Value);
            return (null, schedule.AfterSkip(timeProvider.GetUtcNow()));
        }

        if (!useProxy && UnreachableFamily(snapshot.Peer) is { } family)
        {
            // This machine has no route for the family: not a failure of the peer.
            Log.CheckSkippedFamily(logger, host.Value, family);
            return (null, schedule.AfterSkip(timeProvider.GetUtcNow()));
        }

        using var activity = PeerManagementDiagnostics.ActivitySource.StartActivity("peermanagement.peer.check", ActivityKind.Client);
        activity?.SetTag("peer.host", host.Value);
        var started = timeProvider.GetTimestamp();
        var startTime = timeProvider.GetUtcNow();
        PeerVerificationResult result;
        using (var running = Running.Begin(host, cancellationToken))
        {
            try
            {
                result = await RunWithDeadlineAsync(snapshot.Peer, useProxy, startTime, activity, running.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Kicked: the peer is gone (or banned); its session is closed and nothing is recorded.
                Log.CheckEndedByKick(logger, host.Value);
                return (null, null);
            }
        }

        var duration = timeProvider.GetElapsedTime(started);
        metrics?.RecordCheck(result.Outcome, duration);
        Log.PeerChecked(logger, host.Value, duration.TotalMilliseconds, result.Outcome);
        activity?.SetTag("peer.check.outcome", result.Outcome.ToString());
        if (result.Outcome != PeerCheckOutcome.Good)
        {
            activity?.SetStatus(ActivityStatusCode.Error, result.Reason);
            return (result.Outcome, ApplyFailure(host, result, startTime));
        }

        Log.PeerVerified(logger, host.Value, duration.TotalMilliseconds);
        return (result.Outcome, table.Find(host) is null ? null : schedule.AfterGood(timeProvider.GetUtcNow()));
    }

    private string? UnreachableFamily(PeerRecord record)
    {
        var address = record.Host.Address ?? record.IPAddress;
        if (address is null || !PeerHost.IsPublicAddress(address))
        {
            return null;
        }

        return PeerAddress.Normalize(address)!.AddressFamily switch
        {
            System.Net.Sockets.AddressFamily.InterNetwork when !Reachability.IPv4 => "IPv4",
            System.Net.Sockets.AddressFamily.InterNetworkV6 when !Reachability.IPv6 => "IPv6",
            _ => null,
        };
    }

    private async Task<PeerVerificationResult> RunWithDeadlineAsync(PeerRecord record, bool useProxy, DateTimeOffset startTime, Activity? activity, CancellationToken cancellationToken)
    {
        // One deadline over the whole check: each request has its own timeout, but a peer that answers just in
        // time, over and over, must not hold a check worker for longer than this.
        var checkTimeout = useProxy ? options.ProxyCheckTimeout : options.CheckTimeout;
        using var deadline = new CancellationTokenSource(checkTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await CheckCoreAsync(record, useProxy, startTime, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
            throw;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return PeerVerificationResult.Failed($"the check did not finish within {checkTimeout.TotalSeconds:0.###} s");
        }
        catch (Exception ex)
        {
            Log.CheckCrashed(logger, record.Host.Value, ex);
            return PeerVerificationResult.Failed($"check failed: {ex.Message}");
        }
    }

    private async Task<PeerVerificationResult> CheckCoreAsync(PeerRecord record, bool useProxy, DateTimeOffset startTime, CancellationToken cancellationToken)
    {
        // Known to be blacklisted (by name, or by the address it was last reached at): no connection at all.
        if (blacklist.IsBlacklisted(record.Host, record.IPAddress, timeProvider.GetUtcNow()))
        {
            return PeerVerificationResult.Bad("blacklisted");
        }

        var endpoints = CheckEndpoints.For(record, table.TakeAlternativePorts(record.Host));
        if (endpoints.Count == 0)
        {
            return PeerVerificationResult.Failed("no ports to connect to");
        }

        var last = PeerVerificationResult.Failed("unreachable");
        foreach (var endpoint in endpoints)
        {
            // The connector bounds the whole connection attempt (TLS included) by its own connect timeout.
            PeerConnection connection;
            try
            {
                connection = await connector.ConnectAsync(endpoint, useProxy, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (TransientFailure.Is(ex, cancellationToken))
            {
                var reason = ex is OperationCanceledException ? "connection timed out" : ex.Message;
                Log.EndpointUnreachable(logger, record.Host.Value, endpoint.ToString(), reason);
                last = PeerVerificationResult.Failed($"{endpoint}: {reason}");
                continue;
            }

            await using (connection.ConfigureAwait(false))
            {
                var timeout = useProxy ? options.ProxyRequestTimeout : options.RequestTimeout;
                var result = await CheckOverConnectionAsync(record, endpoint, connection, timeout, startTime, cancellationToken).ConfigureAwait(false);
                if (result.Outcome != PeerCheckOutcome.Failed)
                {
                    return result;
                }

                last = result;
            }
        }

        return last;
    }

    private async Task<PeerVerificationResult> CheckOverConnectionAsync(
        PeerRecord record,
        PeerEndpoint endpoint,
        PeerConnection connection,
        TimeSpan timeout,
        DateTimeOffset startTime,
        CancellationToken cancellationToken)
    {
        var host = record.Host;
        var address = host.IsOnion ? null : PeerAddress.Normalize(connection.RemoteAddress);
        var settings = new JsonRpcSessionSettings
        {
            RemoteEndPoint = address is null ? null : new IPEndPoint(address, endpoint.Port),
            RequestHandler = CheckSessionHandler.Instance,
            RequestTimeout = timeout,
        };

        var session = sessionFactory.Create(connection.Stream, settings);
        await using (session.ConfigureAwait(false))
        {
            // 1. Record the address we reached (never for onion peers).
            if (address is not null && !Equals(record.IPAddress, address))
            {
                // A name joins its network's entries now: over MaxPeersPerNetwork it makes room or is forgotten.
                string? refusal = null;
                record = (Admission is { } admission ? admission.Networks.RecordAddress(record, address, out refusal) : table.RecordAddress(host, address)) ?? record;
                if (refusal is not null)
                {
                    return PeerVerificationResult.Bad(refusal);
                }
            }

            // 2. The blacklist, now that the address is known.
            if (blacklist.IsBlacklisted(host, address, timeProvider.GetUtcNow()))
            {
                return PeerVerificationResult.Bad("blacklisted");
            }

            // 3. The bucket rule, serialised per bucket so that two peers of one bucket cannot both pass it. Onion
            // peers share one bucket whose rule is a ratio, not a single seat: they are not serialised, or every
            // slow Tor check would wait for the one before it.
            var bucket = PeerBuckets.GetInternalBucket(host, address);
            var serverKeyId = ServerKeyIdOf(connection.ServerKey);
            var serialise = bucket is not null && !host.IsOnion;
            PeerVerificationResult result;
            using (serialise ? await _bucketLocks.AcquireAsync(bucket!, cancellationToken).ConfigureAwait(false) : default)
            {
                if (bucket is not null && _bucketRule.Violation(host, address, bucket, serverKeyId) is { } violation)
                {
                    return PeerVerificationResult.Bad(violation);
                }

                // 4-5. The protocol: the verifier.
                result = await verifier.VerifyAsync(new PeerVerificationContext(record, session, address), cancellationToken).ConfigureAwait(false);
                if (result.Outcome != PeerCheckOutcome.Good)
                {
                    return result;
                }

                CommitGood(host, address, result.Features!, startTime, serverKeyId);
            }

            // 6. Note what it reported, and announce ourselves when it does not list us.
            Admission!.NotePeers(result.ReportedPeers, host.Value, checkPorts: false, capped: true);
            await announcer.AnnounceAsync(session, host, result.ReportedPeers, cancellationToken).ConfigureAwait(false);
            return result;
        }
    }

    // The first 8 bytes of the key's SHA-256 (its hex text): enough to tell operators apart, and 8 bytes per entry.
    private static long ServerKeyIdOf(string? serverKey)
        => serverKey is { Length: >= 16 } && long.TryParse(serverKey.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var id) ? id : 0;

    /// <summary>Records a success; drops the extra IP-literal entries reached at its address; its other host names take its features.</summary>
    private void CommitGood(PeerHost host, IPAddress? address, PeerFeatures features, DateTimeOffset startTime, long serverKeyId)
    {
        table.RecordGood(host, features, startTime, serverKeyId);
        if (address is not null)
        {
            // Several entries reached at this address: the extra IP-literal ones are duplicates of this peer.
            var sameAddress = new List<PeerRecord>(table.FindByAddress(address));
            if (table.Find(PeerHost.FromAddress(address)) is { } literal && sameAddress.All(r => r.Host != literal.Peer.Host))
            {
                sameAddress.Add(literal.Peer);
            }

            foreach (var other in sameAddress)
            {
                if (other.Host != host && other.Host.IsIPAddress && sameAddress.Count > 1 && table.Forget(other.Host, reason: null))
                {
                    Scheduler?.Unschedule(other.Host);
                    Log.DuplicateDropped(logger, other.Host.Value, host.Value);
                }
            }
        }

        foreach (var other in features.Hosts.Keys)
        {
            if (other != host)
            {
                table.AdoptFeatures(other, features);
            }
        }
    }

    /// <summary>Records a bad or failed try; forgets the peer after too many; returns the next check time.</summary>
    private DateTimeOffset? ApplyFailure(PeerHost host, PeerVerificationResult result, DateTimeOffset startTime)
    {
        var bad = result.Outcome == PeerCheckOutcome.Bad;
        var operatorPeer = Admission?.IsOperatorPeer(host) == true;
        var (updated, forgotten) = table.RecordFailure(host, result.Reason!, bad, startTime, r => schedule.ShouldForget(r, operatorPeer));
        if (updated is null)
        {
            return null;
        }

        if (bad)
        {
            Log.PeerBad(logger, host.Value, result.Reason!);
        }

        if (forgotten)
        {
            Log.PeerForgotten(logger, host.Value, updated.TryCount);
            return null;
        }

        var next = schedule.AfterFailure(updated, timeProvider.GetUtcNow(), operatorPeer);
        var delay = next - timeProvider.GetUtcNow();
        if (!bad)
        {
            Log.PeerTryFailed(logger, host.Value, result.Reason!, updated.TryCount, delay);
        }

        if (operatorPeer && table.GetInfo().Good == 0)
        {
            // Discovery has nothing to go on but its seeds: say so where an operator looks.
            Log.WaitingForSeeds(logger, host.Value, result.Reason!, delay);
        }

        return next;
    }
}
