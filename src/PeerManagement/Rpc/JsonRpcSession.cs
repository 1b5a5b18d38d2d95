using System.Net;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// JSON-RPC 2.0 over a stream or a duplex pipe, one message (object or batch array) per line: the <see cref="IJsonRpcSession"/>
/// contract, composed of small parts that each own one concern.
/// </summary>
/// <remarks>
/// The parts: the framing (<see cref="JsonRpcLineReader"/>, a hard bound on the line length) and the parsing
/// (<see cref="JsonRpcLineParser"/>); the writer (<see cref="JsonRpcMessageWriter"/>: a deadline on every write, a cap
/// on unsent bytes); our requests waiting for answers (<see cref="JsonRpcPendingRequests"/>: ids, timeouts,
/// cancellation, large answers read in place); the incoming calls and batches (<see cref="JsonRpcDispatcher"/>, within
/// <see cref="JsonRpcBatchRules"/> and <see cref="SessionWorkBudget"/>); and the end (<see cref="JsonRpcSessionLifetime"/>).
/// Error handling, by kind: a line over the bound, invalid UTF-8 or text that is not JSON is answered with a parse
/// error (where it can be), then the session closes with <see cref="JsonRpcProtocolException"/>; a message that is
/// JSON but not a valid request is answered with <see cref="JsonRpcErrorCodes.InvalidRequest"/> and the session goes
/// on; an answer with an unknown id is dropped (it is usually the late answer to a timed-out request); an answer that
/// is not JSON-RPC 2.0 or has neither <c>result</c> nor a well-formed <c>error</c> fails its request with
/// <see cref="JsonRpcProtocolException"/>.
/// </remarks>
internal sealed class JsonRpcSession : IJsonRpcSession
{
    private readonly JsonRpcLineReader _lines;
    private readonly JsonRpcMessageWriter _output;
    private readonly SessionWorkBudget _budget;
    private readonly JsonRpcPendingRequests _pending;
    private readonly JsonRpcSessionLifetime _lifetime;
    private readonly JsonRpcDispatcher _dispatcher;
    private readonly JsonRpcSessionState _state = new();
    private readonly Task _readLoop;

    internal JsonRpcSession(
        JsonRpcTransport transport,
        JsonRpcSessionSettings settings,
        TimeSpan defaultRequestTimeout,
        int maxMessageBytes,
        TimeProvider timeProvider,
        ILogger logger,
        TimeSpan? idleTimeout = null,
        JsonRpcSessionLimits? limits = null)
    {
        var bounds = limits ?? JsonRpcSessionLimits.Default;
        RemoteEndPoint = RemoteEndPoints.Normalize(settings.RemoteEndPoint);
        _lines = new JsonRpcLineReader(transport.Input, maxMessageBytes);

        // The parts fail the session through its lifetime, which is created once they all exist.
        _output = new JsonRpcMessageWriter(transport, timeProvider, bounds.WriteTimeout, bounds.MaxUnsentBytes, Fail);
        _budget = new SessionWorkBudget(bounds.MaxCallsInFlight, bounds.MaxBytesInFlight);
        _pending = new JsonRpcPendingRequests(settings.RequestTimeout ?? defaultRequestTimeout, timeProvider, ClosedException, MarkActive);
        _lifetime = new JsonRpcSessionLifetime(transport, _output, _pending, _budget, _lines, timeProvider, bounds.CloseGrace, idleTimeout ?? Timeout.InfiniteTimeSpan, RemoteEndPoint, logger);
        _dispatcher = new JsonRpcDispatcher(this, settings.RequestHandler, _pending, _budget, _lifetime, bounds.MaxBatchCalls, logger);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <inheritdoc />
    public EndPoint? RemoteEndPoint { get; }

    /// <inheritdoc />
    public Task Completion => _lifetime.Completion;

    /// <summary>When the remote party last sent a valid request or an answer to ours (a <see cref="TimeProvider"/> timestamp).</summary>
    internal long LastActivity => _lifetime.LastActivity;

    /// <summary>Incoming calls being handled now, each call of a batch counted (for tests).</summary>
    internal int CallsInFlight => _budget.CallsInFlight;

    /// <summary>Bytes of received messages not yet answered (for tests).</summary>
    internal long BytesInFlight => _budget.BytesInFlight;

    /// <summary>Bytes of ours waiting to be sent (for tests).</summary>
    internal long UnsentBytes => _output.UnsentBytes;

    /// <summary>The number of requests waiting for an answer (for tests).</summary>
    internal int PendingCount => _pending.Count;

    /// <inheritdoc />
    public T GetOrAddState<T>(Func<T> create)
        where T : class
        => _state.GetOrAdd(create);

    /// <inheritdoc />
    public Task<JsonElement> InvokeAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(parameters);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<JsonElement>(cancellationToken);
        }

        var request = _pending.Register(method, cancellationToken);
        if (!request.Task.IsCompleted)
        {
            Send(request, parameters);
        }

        return request.Task;
    }

    /// <summary>
    /// Sends a request and turns its result into <typeparamref name="T"/> while the answer is still in the read
    /// buffer: no copy of the answer is made, which matters for large answers.
    /// </summary>
    public async Task<T> InvokeAsync<T>(string method, IReadOnlyList<JsonNode?> parameters, Func<JsonElement, T> parseResult, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(parseResult);
        cancellationToken.ThrowIfCancellationRequested();
        var value = default(T);
        ExceptionDispatchInfo? parseError = null;
        var request = _pending.Register(method, cancellationToken, element =>
        {
            try
            {
                value = parseResult(element);
            }
            catch (Exception ex)
            {
                parseError = ExceptionDispatchInfo.Capture(ex);
            }
        });
        if (!request.Task.IsCompleted)
        {
            Send(request, parameters);
        }

        await request.Task.ConfigureAwait(false);
        parseError?.Throw();
        return value!;
    }

    /// <summary>Sends the requests as one batch (a JSON array on one line).</summary>
    /// <inheritdoc />
    public IReadOnlyList<Task<JsonElement>> InvokeBatchAsync(IReadOnlyList<JsonRpcRequest> requests, CancellationToken cancellationToken)
    {
        JsonRpcRequest.ThrowIfInvalidBatch(requests);
        var pending = new JsonRpcPendingRequest[requests.Count];
        for (var i = 0; i < pending.Length; i++)
        {
            pending[i] = _pending.Register(requests[i].Method, cancellationToken);
        }

        var write = WriteAsync((Pending: pending, Requests: requests), static (w, s) =>
        {
            w.WriteStartArray();
            for (var i = 0; i < s.Pending.Length; i++)
            {
                JsonRpcWireFormat.WriteRequest(w, s.Pending[i].Id, s.Pending[i].Method, s.Requests[i].Parameters);
            }

            w.WriteEndArray();
        });
        var written = write.IsCompletedSuccessfully ? Task.CompletedTask : write.AsTask();
        foreach (var request in pending)
        {
            request.ObserveWrite(new ValueTask(written));
        }

        return Array.ConvertAll(pending, r => r.Task);
    }

    /// <inheritdoc />
    public ValueTask NotifyAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(parameters);
        return WriteAsync((Method: method, Parameters: parameters), static (w, s) => JsonRpcWireFormat.WriteRequest(w, null, s.Method, s.Parameters), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _lifetime.DisposeAsync(_readLoop);

    /// <summary>Writes one message, then a newline; completes when it is sent. Refused once the session is closed.</summary>
    internal ValueTask WriteAsync<TState>(TState state, Action<Utf8JsonWriter, TState> write, CancellationToken cancellationToken = default)
    {
        if (_lifetime.IsClosed)
        {
            return ValueTask.FromException(_lifetime.ClosedException());
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var written = _output.WriteAsync(state, write);
        return written.IsCompletedSuccessfully ? written : AwaitWrittenAsync(written);
    }

    private static async ValueTask AwaitWrittenAsync(ValueTask written)
    {
        try
        {
            await written.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not IOException and not JsonRpcProtocolException)
        {
            throw new IOException("Writing to the JSON-RPC stream failed.", ex);
        }
    }

    private void Fail(Exception error) => _lifetime.Close(error);

    private Exception ClosedException() => _lifetime.ClosedException();

    private void MarkActive() => _lifetime.MarkActive();

    private void Send(JsonRpcPendingRequest request, IReadOnlyList<JsonNode?> parameters)
        => request.ObserveWrite(WriteAsync((Request: request, Parameters: parameters), static (w, s) => JsonRpcWireFormat.WriteRequest(w, s.Request.Id, s.Request.Method, s.Parameters)));

    private async Task ReadLoopAsync()
    {
        Exception? error = null;
        var token = _lifetime.Token;
        try
        {
            await _lines.ReadLinesAsync(_dispatcher.ProcessLineAsync, _dispatcher.SendTooLongAsync, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (ObjectDisposedException) when (token.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (JsonRpcProtocolException ex)
        {
            error = ex;
        }
        catch (IOException ex)
        {
            error = ex;
        }
        catch (Exception ex)
        {
            error = new IOException("Reading from the JSON-RPC stream failed.", ex);
        }

        _lifetime.Close(error);
    }
}
