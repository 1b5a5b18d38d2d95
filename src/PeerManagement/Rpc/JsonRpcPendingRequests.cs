using System.Text.Json;
using static PeerManagement.JsonRpcWireFormat;

namespace PeerManagement;

/// <summary>
/// Our requests waiting for their answers, by id: ids are handed out here, answers are matched here (a late
/// answer to a timed-out request finds nothing and is dropped), and closing fails every request still waiting.
/// </summary>
/// <param name="requestTimeout">How long a request may wait for its answer.</param>
/// <param name="timeProvider">The clock of the timeouts.</param>
/// <param name="closedError">The error of a request made once the session is closed.</param>
/// <param name="answered">Called when an answer matches one of ours: it counts as the remote party's activity.</param>
internal sealed class JsonRpcPendingRequests(TimeSpan requestTimeout, TimeProvider timeProvider, Func<Exception> closedError, Action answered)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, JsonRpcPendingRequest> _pending = [];
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
    /// Registers a request under a new id and starts its timeout; once closed, the request is failed at once.
    /// </summary>
    /// <param name="method">The method, for errors.</param>
    /// <param name="cancellationToken">The caller's cancellation.</param>
    /// <param name="consume">Reads the result in place, while it is still in the read buffer.</param>
    public JsonRpcPendingRequest Register(string method, CancellationToken cancellationToken, Action<JsonElement>? consume = null)
    {
        var request = new JsonRpcPendingRequest(this, Interlocked.Increment(ref _nextId), method) { Consume = consume };
        bool closed;
        lock (_gate)
        {
            closed = _closed;
            if (!closed)
            {
                _pending.Add(request.Id, request);
            }
        }

        if (closed)
        {
            request.Fail(closedError());
        }
        else
        {
            request.Start(requestTimeout, timeProvider, cancellationToken);
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
    /// object with <see cref="JsonRpcException"/>.
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
                error.TryGetProperty(DataName.EncodedUtf8Bytes, out var data) ? data : null));
        }
        else
        {
            request.Complete(response.Result);
        }

        return true;
    }

    /// <summary>
    /// Hands a well-formed result to a request that parses its own, while the pooled document it points into lives.
    /// </summary>
    /// <returns><see langword="true"/> when <paramref name="root"/> was such an answer and is consumed.</returns>
    public bool TryConsumeInPlace(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var parsed = JsonRpcMessage.Classify(root);
        if (!parsed.IsResponse || parsed.Invalid is not null || parsed.Error.ValueKind != JsonValueKind.Undefined
            || parsed.Id.ValueKind != JsonValueKind.Number || !parsed.Id.TryGetInt64(out var id))
        {
            return false;
        }

        JsonRpcPendingRequest? request;
        lock (_gate)
        {
            if (!_pending.TryGetValue(id, out request) || request.Consume is null)
            {
                return false;
            }

            _pending.Remove(id);
        }

        answered();
        request.Complete(parsed.Result);
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
        }

        foreach (var request in pending)
        {
            request.Fail(failure);
        }
    }
}
