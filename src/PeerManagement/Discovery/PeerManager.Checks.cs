using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>One check of a peer, its outcome, and when the peer is checked next.</summary>
public sealed partial class PeerManager
{
    private static readonly IJsonRpcRequestHandler RefuseDuringCheck = new CheckSessionHandler();

    /// <summary>Runs a check for the scheduler; returns the next check time, or <see langword="null"/> when the peer is gone.</summary>
    private async Task<DateTimeOffset?> CheckScheduledAsync(PeerHost host, CancellationToken cancellationToken)
    {
        try
        {
            var (_, next) = await CheckPeerAsync(host, cancellationToken).ConfigureAwait(false);
            return next;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A worker must never die: log, and try the peer again later.
            Log.CheckCrashed(_logger, host.Value, ex);
            return _table.Find(host) is null ? null : _timeProvider.GetUtcNow() + _options.Wakeup;
        }
    }

    /// <summary>
    /// Checks one peer now and applies the outcome. Returns the outcome (<see langword="null"/> when the check was
    /// skipped or the peer is unknown) and the next check time (<see langword="null"/> when the peer is gone).
    /// </summary>
    internal async Task<(PeerCheckOutcome? Outcome, DateTimeOffset? Next)> CheckPeerAsync(PeerHost host, CancellationToken cancellationToken)
    {
        var snapshot = _table.Find(host);
        if (snapshot is null)
        {
            return (null, null);
        }

        var useProxy = host.IsOnion || _options.ForceProxy;
        if (useProxy && _proxy?.ProxyEndPoint is null)
        {
            // No proxy, no check: not a failure of the peer.
            Log.CheckSkippedNoProxy(_logger, host.Value);
            return (null, _timeProvider.GetUtcNow() + _options.Wakeup);
        }

        using var activity = PeerManagementDiagnostics.ActivitySource.StartActivity("peermanagement.peer.check", ActivityKind.Client);
        activity?.SetTag("peer.host", host.Value);
        var started = _timeProvider.GetTimestamp();
        var startTime = _timeProvider.GetUtcNow();
        PeerVerificationResult result;

        // One deadline over the whole check: each request has its own timeout, but a peer that answers just in
        // time, over and over, must not hold a check worker for longer than this.
        var checkTimeout = useProxy ? _options.ProxyCheckTimeout : _options.CheckTimeout;
        using var deadline = new CancellationTokenSource(checkTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            result = await CheckCoreAsync(snapshot.Peer, useProxy, startTime, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
            throw;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            result = PeerVerificationResult.Failed($"the check did not finish within {checkTimeout.TotalSeconds:0.###} s");
        }
        catch (Exception ex)
        {
            Log.CheckCrashed(_logger, host.Value, ex);
            result = PeerVerificationResult.Failed($"check failed: {ex.Message}");
        }

        var duration = _timeProvider.GetElapsedTime(started);
        _metrics?.RecordCheck(result.Outcome, duration);
        Log.PeerChecked(_logger, host.Value, duration.TotalMilliseconds, result.Outcome);
        activity?.SetTag("peer.check.outcome", result.Outcome.ToString());
        if (result.Outcome != PeerCheckOutcome.Good)
        {
            activity?.SetStatus(ActivityStatusCode.Error, result.Reason);
        }

        var next = result.Outcome == PeerCheckOutcome.Good
            ? (_table.Find(host) is null ? null : _timeProvider.GetUtcNow() + GoodRecheckDelay)
            : ApplyFailure(host, result, snapshot.Status, startTime);
        if (result.Outcome == PeerCheckOutcome.Good)
        {
            Log.PeerVerified(_logger, host.Value, duration.TotalMilliseconds);
        }

        return (result.Outcome, next);
    }

    private async Task<PeerVerificationResult> CheckCoreAsync(PeerRecord record, bool useProxy, DateTimeOffset startTime, CancellationToken cancellationToken)
    {
        // Known to be blacklisted (by name, or by the address it was last reached at): no connection at all.
        if (_blacklist.IsBlacklisted(record.Host, record.IPAddress, _timeProvider.GetUtcNow()))
        {
            return PeerVerificationResult.Bad("blacklisted");
        }

        var timeout = useProxy ? _options.ProxyRequestTimeout : _options.RequestTimeout;
        var endpoints = Endpoints(record, _table.TakeAlternativePorts(record.Host));
        if (endpoints.Count == 0)
        {
            return PeerVerificationResult.Failed("no ports to connect to");
        }

        var last = PeerVerificationResult.Failed("unreachable");
        foreach (var endpoint in endpoints)
        {
            PeerConnection connection;
            try
            {
                using var connectTimeout = new CancellationTokenSource(timeout, _timeProvider);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connectTimeout.Token);
                connection = await _connector.ConnectAsync(endpoint, useProxy, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is PeerConnectionException or IOException or SocketException or ProxyException
                || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var reason = ex is OperationCanceledException ? "connection timed out" : ex.Message;
                Log.EndpointUnreachable(_logger, record.Host.Value, endpoint.ToString(), reason);
                last = PeerVerificationResult.Failed($"{endpoint}: {reason}");
                continue;
            }

            await using (connection.ConfigureAwait(false))
            {
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
        var address = host.IsOnion ? null : Normalize(connection.RemoteAddress);
        var settings = new JsonRpcSessionSettings
        {
            RemoteEndPoint = address is null ? null : new IPEndPoint(address, endpoint.Port),
            RequestHandler = RefuseDuringCheck,
            RequestTimeout = timeout,
        };

        var session = _sessionFactory.Create(connection.Stream, settings);
        await using (session.ConfigureAwait(false))
        {
            // 1. Record the address we reached (never for onion peers).
            if (address is not null && !Equals(record.IPAddress, address))
            {
                record = _table.Update(host, r => r with { IPAddress = address }) ?? record;
            }

            // 2. The blacklist.
            if (_blacklist.IsBlacklisted(host, address, _timeProvider.GetUtcNow()))
            {
                return PeerVerificationResult.Bad("blacklisted");
            }

            // 3. The bucket rule, serialised per bucket so that two peers of one bucket cannot both pass it. Onion
            // peers share one bucket whose rule is a ratio, not a single seat: they are not serialised, or every
            // slow Tor check would wait for the one before it.
            var bucket = PeerBuckets.GetInternalBucket(host, address);
            var serialise = bucket is not null && !host.IsOnion;
            PeerVerificationResult result;
            IReadOnlyList<PeerRealName> reported;
            using (serialise ? await _bucketLocks.AcquireAsync(bucket!, cancellationToken).ConfigureAwait(false) : default)
            {
                if (bucket is not null && BucketRuleViolation(host, address, bucket) is { } violation)
                {
                    return PeerVerificationResult.Bad(violation);
                }

                // 4-5. The protocol: the verifier.
                result = await _verifier.VerifyAsync(new PeerVerificationContext(record, session, address), cancellationToken).ConfigureAwait(false);
                if (result.Outcome != PeerCheckOutcome.Good)
                {
                    return result;
                }

                reported = result.ReportedPeers;
                CommitGood(record, address, result.Features!, startTime);
            }

            // 6. Note what it reported, and announce ourselves when it does not list us.
            NotePeers(reported, host.Value, checkPorts: false, capped: true);
            await AnnounceAsync(session, host, reported, cancellationToken).ConfigureAwait(false);
            return result;
        }
    }

    private static IPAddress? Normalize(IPAddress? address)
        => address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;

    /// <summary>SSL first, then TCP, then the remembered alternatives (each SSL then TCP), without repeats.</summary>
    private static List<PeerEndpoint> Endpoints(PeerRecord record, IReadOnlyList<PeerPorts> alternatives)
    {
        var endpoints = new List<PeerEndpoint>(2 + (2 * alternatives.Count));
        Add(record.Ports);
        foreach (var ports in alternatives)
        {
            Add(ports);
        }

        return endpoints;

        void Add(PeerPorts ports)
        {
            if (ports.SslPort is { } ssl)
            {
                var endpoint = new PeerEndpoint(record.Host, ssl, PeerTransport.Ssl);
                if (!endpoints.Contains(endpoint))
                {
                    endpoints.Add(endpoint);
                }
            }

            if (ports.TcpPort is { } tcp)
            {
                var endpoint = new PeerEndpoint(record.Host, tcp, PeerTransport.Tcp);
                if (!endpoints.Contains(endpoint))
                {
                    endpoints.Add(endpoint);
                }
            }
        }
    }

    /// <summary>
    /// The bucket rule: another recent good peer in the same internal bucket makes this one bad; onion peers are
    /// refused once they are over half of all recent good peers and that half is at least 100.
    /// </summary>
    private string? BucketRuleViolation(PeerHost host, IPAddress? address, string bucket)
    {
        var now = _timeProvider.GetUtcNow();
        if (host.IsOnion)
        {
            var good = 0;
            var onion = 0;
            foreach (var other in _table.GetRecords())
            {
                if (other.Host != host && other.GetStatus(now, _options.StaleAfter) == PeerStatus.Good)
                {
                    good++;
                    if (other.Host.IsOnion)
                    {
                        onion++;
                    }
                }
            }

            return onion > good / 2 && good / 2 >= 100 ? "too many onion peers already" : null;
        }

        var ip = address ?? host.Address!;
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            // An IPv4 address is its own bucket: the entries last connected to it, and its literal.
            foreach (var other in _table.FindByAddress(ip))
            {
                if (other.Host != host && other.GetStatus(now, _options.StaleAfter) == PeerStatus.Good)
                {
                    return $"too many peers in bucket {bucket}";
                }
            }

            var literal = _table.Find(PeerHost.FromAddress(ip));
            return literal is not null && literal.Peer.Host != host && literal.Status == PeerStatus.Good
                ? $"too many peers in bucket {bucket}"
                : null;
        }

        foreach (var other in _table.GetRecords())
        {
            if (other.Host != host
                && !other.Host.IsOnion
                && other.GetStatus(now, _options.StaleAfter) == PeerStatus.Good
                && PeerBuckets.GetInternalBucket(other.Host, other.IPAddress) == bucket)
            {
                return $"too many peers in bucket {bucket}";
            }
        }

        return null;
    }

    /// <summary>Records a success: try count 0, last good now, source peer, features adopted; drops duplicates.</summary>
    private void CommitGood(PeerRecord record, IPAddress? address, PeerFeatures features, DateTimeOffset startTime)
    {
        var host = record.Host;
        var now = _timeProvider.GetUtcNow();
        var before = _table.Find(host)?.Status;
        var ports = features.Hosts.TryGetValue(host, out var listed) && !listed.IsEmpty ? listed : record.Ports;
        _table.Update(host, r => r with
        {
            TryCount = 0,
            LastGood = now,
            LastTry = startTime,
            Source = PeerSources.Peer,
            BadReason = null,
            Features = features,
            Ports = ports,
            Version = features.ProtocolMax ?? r.Version,
            Pruning = features.Pruning,
        });
        RaiseStatusChange(host, before, PeerStatus.Good, null);

        if (address is not null)
        {
            // Several entries reached at this address: the extra IP-literal ones are duplicates of this peer.
            var sameAddress = new List<PeerRecord>(_table.FindByAddress(address));
            if (_table.Find(PeerHost.FromAddress(address)) is { } literal && sameAddress.All(r => r.Host != literal.Peer.Host))
            {
                sameAddress.Add(literal.Peer);
            }

            foreach (var other in sameAddress)
            {
                if (other.Host != host && other.Host.IsIPAddress && sameAddress.Count > 1)
                {
                    Forget(other.Host, reason: null);
                    Log.DuplicateDropped(_logger, other.Host.Value, host.Value);
                }
            }
        }

        // Its other host names take its features.
        foreach (var other in features.Hosts.Keys)
        {
            if (other != host && _table.Find(other) is not null)
            {
                _table.Update(other, r => r with { Features = features });
            }
        }
    }

    /// <summary>Records a bad or failed try; forgets the peer after too many; returns the next check time.</summary>
    private DateTimeOffset? ApplyFailure(PeerHost host, PeerVerificationResult result, PeerStatus before, DateTimeOffset startTime)
    {
        var bad = result.Outcome == PeerCheckOutcome.Bad;
        var updated = _table.Update(host, r => r with
        {
            TryCount = r.TryCount + 1,
            LastTry = startTime,
            BadReason = bad ? result.Reason : r.BadReason,
        });
        if (updated is null)
        {
            return null;
        }

        if (bad)
        {
            Log.PeerBad(_logger, host.Value, result.Reason!);
        }

        var limit = updated.LastGood is not null && !updated.IsBad ? _options.ForgetAfterTriesOnceGood : _options.ForgetAfterTries;
        if (updated.TryCount >= limit)
        {
            Log.PeerForgotten(_logger, host.Value, updated.TryCount);
            Forget(host, result.Reason);
            return null;
        }

        var delay = Backoff(updated.TryCount);
        if (!bad)
        {
            Log.PeerTryFailed(_logger, host.Value, result.Reason!, updated.TryCount, delay);
        }

        RaiseStatusChange(host, before, updated.GetStatus(_timeProvider.GetUtcNow(), _options.StaleAfter), result.Reason);
        return _timeProvider.GetUtcNow() + delay;
    }

    private void Forget(PeerHost host, string? reason)
    {
        var before = _table.Find(host)?.Status;
        if (_table.Remove(host))
        {
            _scheduler.Unschedule(host);
            RaiseStatusChange(host, before, null, reason);
        }
    }

    /// <summary>
    /// Sends <c>server.add_peer</c> with our features when announcing is on, we have a public identity of the
    /// peer's kind (clearnet, or onion for an onion peer), and the peer's list does not hold us with the same ports.
    /// </summary>
    private async Task AnnounceAsync(IJsonRpcSession session, PeerHost peer, IReadOnlyList<PeerRealName> reported, CancellationToken cancellationToken)
    {
        if (!_options.Announce)
        {
            return;
        }

        var identity = peer.IsOnion
            ? _identities.FirstOrDefault(i => i.Host.IsOnion) ?? ClearnetIdentity()
            : ClearnetIdentity();
        if (identity is null || identity.Host == peer)
        {
            return;
        }

        foreach (var listed in reported)
        {
            if (listed.Host == identity.Host && listed.Ports == identity.Ports)
            {
                return;
            }
        }

        try
        {
            var answer = await session.InvokeAsync("server.add_peer", [OwnFeatures.ToJsonObject()], cancellationToken).ConfigureAwait(false);
            Log.AnnouncedSelf(_logger, peer.Value, answer.ValueKind == JsonValueKind.True);
        }
        catch (Exception ex) when (ex is JsonRpcException or TimeoutException or JsonRpcProtocolException or IOException or ObjectDisposedException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Log.AnnounceFailed(_logger, peer.Value, ex.Message);
        }
    }

    /// <summary>During a check the peer may not call us, except the tip notification, which is ignored.</summary>
    private sealed class CheckSessionHandler : IJsonRpcRequestHandler
    {
        public ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
        {
            if (call.IsNotification)
            {
                return ValueTask.FromResult<JsonNode?>(null);
            }

            throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, "requests are not accepted on this connection");
        }
    }
}
