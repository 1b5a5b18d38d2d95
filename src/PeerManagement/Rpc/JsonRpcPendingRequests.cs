using System.Text.Json;
using static PeerManagement.JsonRpcWireFormat;

namespace PeerManagement;

/// <summary>
/// Our requests waiting for their answers, by id: ids are handed out here, answers are matched here (a late
/// answer to a timed-out request finds nothing and is dropped), and closing fails every request still waiting.
/// </summary>
/// <remarks>
/// Timeouts: one timer per session, not one per request. It is armed for the earliest deadline of the requests
/// waiting; when it fires, it fails every request whose deadline has come and re-arms for the next one. Each request
/// therefore times out at its own deadline, to the resolution of the <see cref="TimeProvider"/>'s timers (exactly,
/// under a fake clock); a sweep scans the requests waiting, which happens about once per request timeout.
/// </remarks>
/// <param name="requestTimeout">How long a request may wait for its answer.</param>
/// <param name="timeProvider">The clock of the timeouts.</param>
/// <param name="closedError">The error of a request made once the session is closed.</param>
/// <param name="answered">Called when an answer matches one of ours: it counts as the remote party's activity.</param>
internal sealed class JsonRpcPendingRequests(TimeSpan requestTimeout, TimeProvider timeProvider, Func<Exception> closedError, Action answered)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, JsonRpcPendingRequest> _pending = [];

    // The timeout in timestamp units, capped far below overflow; -1 when requests never time out.
    private readonly long _timeoutTicks = requestTimeout == Timeout.InfiniteTimeSpan
        ? -1
        : (long)Math.Min(requestTimeout.Ticks * (double)timeProvider.TimestampFrequency / TimeSpan.TicksPerSecond, long.MaxValue / 4);

    private ITimer? _sweep;
    private bool _sweepArmed;
    private long _nextId;
    private bool _closed;

    /// <summary>The number of requests waiting for an answer.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>
    /// Registers a request under a new id and keeps its deadline; once closed, the request is failed at once.
    /// </summary>
    /// <param name="method">The method, for errors.</param>
    /// <param name="cancellationToken">The caller's cancellation.</param>
    /// <param name="consume">Reads the result in place, while it is still in the read buffer.</param>
    public JsonRpcPendingRequest Register(string method, CancellationToken cancellationToken, Action<JsonElement>? consume = null)
    {
        var deadline = _timeoutTicks < 0 ? long.MaxValue : timeProvider.GetTimestamp() + _timeoutTicks;
        var request = new JsonRpcPendingRequest(this, Interlocked.Increment(ref _nextId), method, deadline) { Consume = consume };
        bool closed;
        lock (_gate)
        {
            closed = _closed;
            if (!closed)
            {
                _pending.Add(request.Id, request);
                if (_timeoutTicks >= 0 && !_sweepArmed)
                {
                    // Armed only when idle: an armed sweep is due no later than this request's deadline.
                    _sweepArmed = true;
                    _sweep ??= timeProvider.CreateTimer(static s => ((JsonRpcPendingRequests)s!).Sweep(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                    _sweep.Change(requestTimeout, Timeout.InfiniteTimeSpan);
                }
            }
        }

        if (closed)
        {
            request.Fail(closedError());
        }
        else
        {
            request.Start(cancellationToken);
        }

        return request;
    }

    /// <summary>Whether a request with this id waits for its answer.</summary>
    public bool IsPending(JsonElement id)
    {
        if (!id.TryGetInt64(out var value))
        {
            return false;
        }

        lock (_gate)
        {
            return _pending.ContainsKey(value);
        }
    }

    public void Remove(long id)
    {
        lock (_gate)
        {
            _pending.Remove(id);
        }
    }

    /// <summary>
    /// Completes or fails the request an answer is for: a malformed answer fails it with a protocol error, an error
    /// object with <see cref="JsonRpcException"/>. The answer's elements are valid during this call only: what the
    /// request keeps is copied, or read in place by a request that parses its own result.
    /// </summary>
    /// <returns><see langword="false"/> when no request waits for that id (the answer is to be dropped).</returns>
    public bool Answer(in JsonRpcMessage response)
    {
        JsonRpcPendingRequest? request = null;
        if (response.Id.ValueKind == JsonValueKind.Number && response.Id.TryGetInt64(out var id))
        {
            lock (_gate)
            {
                _pending.Remove(id, out request);
            }
        }

        if (request is null)
        {
            return false;
        }

        answered();
        if (response.Invalid is { } reason)
        {
            request.Fail(new JsonRpcProtocolException($"The answer to '{request.Method}' is not valid JSON-RPC 2.0: {reason}."));
        }
        else if (response.Error.ValueKind != JsonValueKind.Undefined)
        {
            var error = response.Error;
            request.Fail(new JsonRpcException(
                error.GetProperty(CodeName.EncodedUtf8Bytes).GetInt32(),
                error.TryGetProperty(MessageName.EncodedUtf8Bytes, out var message) && message.ValueKind == JsonValueKind.String ? message.GetString() : null,
                error.TryGetProperty(DataName.EncodedUtf8Bytes, out var data) ? data.Clone() : null));
        }
        else
        {
            request.Complete(response.Result);
        }

        return true;
    }

    /// <summary>Refuses new requests and fails every waiting one with <paramref name="failure"/>. Idempotent.</summary>
    public void Close(Exception failure)
    {
        JsonRpcPendingRequest[] pending;
        lock (_gate)
        {
            _closed = true;
            pending = [.. _pending.Values];
            _pending.Clear();
            _sweep?.Dispose();
            _sweepArmed = false;
        }

        foreach (var request in pending)
        {
            request.Fail(failure);
        }
    }

    /// <summary>Fails the requests whose deadline has come, then re-arms for the earliest deadline left.</summary>
    private void Sweep()
    {
        List<JsonRpcPendingRequest>? expired = null;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            var now = timeProvider.GetTimestamp();
            var next = long.MaxValue;
            foreach (var request in _pending.Values)
            {
                if (request.Deadline <= now)
                {
                    (expired ??= []).Add(request);
                }
                else if (request.Deadline < next)
                {
                    next = request.Deadline;
                }
            }

            if (expired is not null)
            {
                foreach (var request in expired)
                {
                    _pending.Remove(request.Id);
                }
            }

            _sweepArmed = next != long.MaxValue;
            if (_sweepArmed)
            {
                // A timer that fired a little early re-arms for the rest; never for zero, which some clocks run at once.
                var due = timeProvider.GetElapsedTime(now, next);
                _sweep!.Change(due > TimeSpan.Zero ? due : TimeSpan.FromTicks(1), Timeout.InfiniteTimeSpan);
            }
        }

        if (expired is not null)
        {
            foreach (var request in expired)
            {
                request.TimeOut(requestTimeout);
            }
        }
    }
}
