using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// JSON-RPC 2.0 over a stream, one message (object or batch array) per line. Reads with a hard bound on the
/// line length, writes one message at a time, and matches answers to requests by id.
/// </summary>
/// <remarks>
/// Error handling, by kind:
/// a line over the bound, invalid UTF-8 or text that is not JSON is answered with a parse error (where it
/// can be), then the session closes with <see cref="JsonRpcProtocolException"/>; a message that is JSON
/// but not a valid request is answered with <see cref="JsonRpcErrorCodes.InvalidRequest"/> and the session
/// goes on; an answer with an unknown id is dropped (it is usually the late answer to a timed-out request);
/// an answer that is not JSON-RPC 2.0 or has neither <c>result</c> nor a well-formed <c>error</c> fails its
/// request with <see cref="JsonRpcProtocolException"/>.
/// What a remote party can make a session hold is bounded (see <see cref="JsonRpcSessionLimits"/>): writes have a
/// deadline and unsent bytes a cap (<see cref="JsonRpcMessageWriter"/>); calls and bytes in flight stop reading
/// while at their bound (<see cref="SessionWorkBudget"/>); batches are capped and answered within a small multiple
/// of their size (<see cref="JsonRpcBatchRules"/>); closing waits a short grace, then closes the transport.
/// </remarks>
internal sealed class JsonRpcSession : IJsonRpcSession
{
    private const int ReadBufferSize = 16 * 1024;

    /// <summary>Lines longer than this are parsed into pooled memory, and answers to parsing requests read in place.</summary>
    private const int InPlaceThreshold = 64 * 1024;
    private const string VersionText = "2.0";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };
    private static readonly JsonEncodedText JsonRpcName = JsonEncodedText.Encode("jsonrpc");
    private static readonly JsonEncodedText VersionValue = JsonEncodedText.Encode(VersionText);
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText MethodName = JsonEncodedText.Encode("method");
    private static readonly JsonEncodedText ParamsName = JsonEncodedText.Encode("params");
    private static readonly JsonEncodedText ResultName = JsonEncodedText.Encode("result");
    private static readonly JsonEncodedText ErrorName = JsonEncodedText.Encode("error");
    private static readonly JsonEncodedText CodeName = JsonEncodedText.Encode("code");
    private static readonly JsonEncodedText MessageName = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText DataName = JsonEncodedText.Encode("data");

    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly JsonRpcMessageWriter _output;
    private readonly SessionWorkBudget _budget;
    private readonly JsonRpcSessionLimits _limits;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, PendingRequest> _pending = [];
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IJsonRpcRequestHandler? _handler;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _idleTimeout;
    private readonly int _maxMessageBytes;
    private readonly ILogger _logger;
    private readonly ITimer? _idleTimer;
    private readonly Task _readLoop;
    private long _nextId;
    private long _lastActivity;
    private bool _closed;
    private int _disposed;

    internal JsonRpcSession(
        Stream stream,
        JsonRpcSessionSettings settings,
        TimeSpan defaultRequestTimeout,
        int maxMessageBytes,
        TimeProvider timeProvider,
        ILogger logger,
        TimeSpan? idleTimeout = null,
        JsonRpcSessionLimits? limits = null)
    {
        _limits = limits ?? JsonRpcSessionLimits.Default;
        _stream = stream;
        _handler = settings.RequestHandler;
        RemoteEndPoint = settings.RemoteEndPoint;
        _requestTimeout = settings.RequestTimeout ?? defaultRequestTimeout;
        _maxMessageBytes = maxMessageBytes;
        _timeProvider = timeProvider;
        _logger = logger;
        _idleTimeout = idleTimeout ?? Timeout.InfiniteTimeSpan;
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, minimumReadSize: 1024, leaveOpen: true));
        _output = new JsonRpcMessageWriter(stream, timeProvider, _limits.WriteTimeout, _limits.MaxUnsentBytes, error => Close(error));
        _budget = new SessionWorkBudget(_limits.MaxCallsInFlight, _limits.MaxBytesInFlight);
        _lastActivity = timeProvider.GetTimestamp();
        if (_idleTimeout != Timeout.InfiniteTimeSpan)
        {
            _idleTimer = timeProvider.CreateTimer(static s => ((JsonRpcSession)s!).OnIdle(), this, _idleTimeout, Timeout.InfiniteTimeSpan);
        }

        _readLoop = Task.Run(ReadLoopAsync);
    }

    public EndPoint? RemoteEndPoint { get; }

    public IDictionary<string, object?> Items { get; } = new ConcurrentDictionary<string, object?>(StringComparer.Ordinal);

    public Task Completion => _completion.Task;

    /// <summary>When the remote party last sent a valid request or an answer to ours (a <see cref="TimeProvider"/> timestamp).</summary>
    internal long LastActivity => Interlocked.Read(ref _lastActivity);

    /// <summary>Incoming calls being handled now, each call of a batch counted (for tests).</summary>
    internal int CallsInFlight => _budget.CallsInFlight;

    /// <summary>Bytes of received messages not yet answered (for tests).</summary>
    internal long BytesInFlight => _budget.BytesInFlight;

    /// <summary>Bytes of ours waiting to be sent (for tests).</summary>
    internal long UnsentBytes => _output.UnsentBytes;

    /// <summary>The number of requests waiting for an answer (for tests).</summary>
    internal int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    public Task<JsonElement> InvokeAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(parameters);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<JsonElement>(cancellationToken);
        }

        var request = Register(method, cancellationToken);
        if (request.Task.IsCompleted)
        {
            return request.Task;
        }

        var write = WriteAsync((Request: request, Parameters: parameters), static (w, s) => WriteRequest(w, s.Request.Id, s.Request.Method, s.Parameters));
        Observe(write, request);
        return request.Task;
    }

    /// <summary>
    /// Sends a request and turns its result into <typeparamref name="T"/> while the answer is still in the read
    /// buffer: no copy of the answer is made, which matters for large answers.
    /// </summary>
    internal async Task<T> InvokeAsync<T>(string method, IReadOnlyList<JsonNode?> parameters, Func<JsonElement, T> parseResult, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(parseResult);
        cancellationToken.ThrowIfCancellationRequested();
        var value = default(T);
        ExceptionDispatchInfo? parseError = null;
        var request = Register(method, cancellationToken, element =>
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
            var write = WriteAsync((Request: request, Parameters: parameters), static (w, s) => WriteRequest(w, s.Request.Id, s.Request.Method, s.Parameters));
            Observe(write, request);
        }

        await request.Task.ConfigureAwait(false);
        parseError?.Throw();
        return value!;
    }

    /// <summary>Sends several requests as one batch (a JSON array on one line).</summary>
    /// <param name="calls">The requests.</param>
    /// <param name="cancellationToken">Releases the callers at once; late answers are dropped.</param>
    /// <returns>One task per request, in order.</returns>
    internal IReadOnlyList<Task<JsonElement>> InvokeBatch(IReadOnlyList<JsonRpcRequest> calls, CancellationToken cancellationToken)
    {
        var requests = new PendingRequest[calls.Count];
        for (var i = 0; i < requests.Length; i++)
        {
            requests[i] = Register(calls[i].Method, cancellationToken);
        }

        var write = WriteAsync((Requests: requests, Calls: calls), static (w, s) =>
        {
            w.WriteStartArray();
            for (var i = 0; i < s.Requests.Length; i++)
            {
                WriteRequest(w, s.Requests[i].Id, s.Requests[i].Method, s.Calls[i].Parameters);
            }

            w.WriteEndArray();
        });
        var written = write.IsCompletedSuccessfully ? Task.CompletedTask : write.AsTask();
        foreach (var request in requests)
        {
            Observe(new ValueTask(written), request);
        }

        return Array.ConvertAll(requests, r => r.Task);
    }

    public ValueTask NotifyAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(parameters);
        return WriteAsync((Method: method, Parameters: parameters), static (w, s) => WriteRequest(w, null, s.Method, s.Parameters), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _completion.Task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }

        Close(null, disposing: true);

        // A short grace for the last answers and the cancelled handlers; after it the transport is closed whatever
        // the remote party does, which ends a write it stalls.
        var settled = Task.WhenAll(_readLoop, _budget.WhenIdle(), _output.WhenDrained());
        if (!settled.IsCompleted)
        {
            try
            {
                await settled.WaitAsync(_limits.CloseGrace, _timeProvider).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (TimeoutException)
            {
                // The remote party does not read, or a handler ignores cancellation: close anyway.
            }
        }

        _output.Close(ClosedException());
        try
        {
            _stream.Dispose();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            // Closing a broken stream; the session is closed either way.
        }

        await _readLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _reader.CompleteAsync().ConfigureAwait(false);
        _idleTimer?.Dispose();
    }

    private static void WriteRequest(Utf8JsonWriter writer, long? id, string method, IReadOnlyList<JsonNode?> parameters)
    {
        writer.WriteStartObject();
        writer.WriteString(JsonRpcName, VersionValue);
        writer.WriteString(MethodName, method);
        writer.WriteStartArray(ParamsName);
        for (var i = 0; i < parameters.Count; i++)
        {
            if (parameters[i] is { } node)
            {
                node.WriteTo(writer);
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        writer.WriteEndArray();
        if (id is { } value)
        {
            writer.WriteNumber(IdName, value);
        }

        writer.WriteEndObject();
    }

    private static void WriteResult(Utf8JsonWriter writer, JsonElement id, JsonNode? result)
    {
        writer.WriteStartObject();
        writer.WriteString(JsonRpcName, VersionValue);
        writer.WritePropertyName(ResultName);
        if (result is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            result.WriteTo(writer);
        }

        WriteId(writer, id);
        writer.WriteEndObject();
    }

    private static void WriteError(Utf8JsonWriter writer, JsonElement id, int code, string message, JsonElement? data)
    {
        writer.WriteStartObject();
        writer.WriteString(JsonRpcName, VersionValue);
        writer.WriteStartObject(ErrorName);
        writer.WriteNumber(CodeName, code);
        writer.WriteString(MessageName, message);
        if (data is { ValueKind: not JsonValueKind.Undefined } d)
        {
            writer.WritePropertyName(DataName);
            d.WriteTo(writer);
        }

        writer.WriteEndObject();
        WriteId(writer, id);
        writer.WriteEndObject();
    }

    private static void WriteId(Utf8JsonWriter writer, JsonElement id)
    {
        writer.WritePropertyName(IdName);
        if (id.ValueKind is JsonValueKind.String or JsonValueKind.Number)
        {
            id.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private static void Observe(ValueTask write, PendingRequest request)
    {
        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult();
            return;
        }

        _ = ObserveAsync(write.AsTask(), request);

        static async Task ObserveAsync(Task write, PendingRequest request)
        {
            try
            {
                await write.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                request.Fail(ex is IOException or JsonRpcProtocolException ? ex : new IOException("The request could not be sent.", ex));
            }
        }
    }

    private PendingRequest Register(string method, CancellationToken cancellationToken, Action<JsonElement>? consume = null)
    {
        var request = new PendingRequest(this, Interlocked.Increment(ref _nextId), method) { Consume = consume };
        Exception? closed = null;
        lock (_gate)
        {
            if (_closed)
            {
                closed = ClosedException();
            }
            else
            {
                _pending.Add(request.Id, request);
            }
        }

        if (closed is not null)
        {
            request.Fail(closed);
        }
        else
        {
            request.Start(_requestTimeout, _timeProvider, cancellationToken);
        }

        return request;
    }

    private bool IsPending(JsonElement id)
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

    private void Remove(long id)
    {
        lock (_gate)
        {
            _pending.Remove(id);
        }
    }

    private Exception ClosedException()
        => _completion.Task.Exception?.InnerException is JsonRpcProtocolException protocol
            ? new JsonRpcProtocolException(protocol.Message, protocol)
            : new IOException("The JSON-RPC session is closed.", _completion.Task.Exception?.InnerException);

    /// <summary>Writes one message, then a newline; completes when it is sent.</summary>
    private ValueTask WriteAsync<TState>(TState state, Action<Utf8JsonWriter, TState> write, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _closed))
        {
            return ValueTask.FromException(ClosedException());
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var written = _output.WriteAsync(state, write);
        return written.IsCompletedSuccessfully ? written : AwaitWrittenAsync(written);
    }

    private async ValueTask AwaitWrittenAsync(ValueTask written)
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

    private async Task ReadLoopAsync()
    {
        Exception? error = null;
        var token = _lifetime.Token;
        try
        {
            long scanned = 0;
            while (true)
            {
                var result = await _reader.ReadAsync(token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (true)
                {
                    // Only the bytes not yet searched are searched again: a long line costs O(length), not O(length²).
                    var eol = buffer.Slice(scanned).PositionOf((byte)'\n');
                    if (eol is null)
                    {
                        scanned = buffer.Length;
                        break;
                    }

                    var line = buffer.Slice(0, eol.Value);
                    buffer = buffer.Slice(buffer.GetPosition(1, eol.Value));
                    scanned = 0;
                    if (line.Length > _maxMessageBytes)
                    {
                        throw await TooLongAsync().ConfigureAwait(false);
                    }

                    await ProcessLineAsync(line, token).ConfigureAwait(false);
                }

                if (buffer.Length > _maxMessageBytes)
                {
                    throw await TooLongAsync().ConfigureAwait(false);
                }

                if (result.IsCompleted)
                {
                    if (!IsWhiteSpace(buffer))
                    {
                        throw new IOException("The remote party closed the connection in the middle of a message.");
                    }

                    break;
                }

                _reader.AdvanceTo(buffer.Start, buffer.End);
            }
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

        Close(error);
    }

    private async ValueTask<JsonRpcProtocolException> TooLongAsync()
    {
        var error = new JsonRpcProtocolException($"A message is longer than the limit of {_maxMessageBytes} bytes; the session is closed.");
        await TrySendErrorAsync(default, JsonRpcErrorCodes.ParseError, "Message too long").ConfigureAwait(false);
        return error;
    }

    private static bool IsWhiteSpace(ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private async ValueTask ProcessLineAsync(ReadOnlySequence<byte> line, CancellationToken token)
    {
        if (IsWhiteSpace(line))
        {
            return;
        }

        // Refused before it is parsed: building a huge batch would cost many times its own size.
        if (JsonRpcBatchRules.LooksLikeBatch(line) && JsonRpcBatchRules.HasMoreItemsThan(line, _limits.MaxBatchCalls))
        {
            Log.BatchTooLarge(_logger, RemoteEndPoint, _limits.MaxBatchCalls);
            await TrySendErrorAsync(default, JsonRpcErrorCodes.InvalidRequest, "Batch too large").ConfigureAwait(false);
            return;
        }

        // A parsed message is held until it is answered: reading waits while the session holds its bound.
        var bytes = line.Length;
        await _budget.AcquireAsync(0, bytes, token).ConfigureAwait(false);
        var handedOver = false;
        try
        {
            if (!TryParse(line, out var root, out var parseError))
            {
                await TrySendErrorAsync(default, JsonRpcErrorCodes.ParseError, "Parse error").ConfigureAwait(false);
                throw new JsonRpcProtocolException($"The remote party sent a message that is not JSON: {parseError}");
            }

            if (root.ValueKind == JsonValueKind.Undefined)
            {
                // An answer already handed to its request.
                return;
            }

            if (root.ValueKind == JsonValueKind.Object)
            {
                handedOver = await ProcessMessageAsync(root, bytes, token).ConfigureAwait(false);
            }
            else if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0)
            {
                handedOver = true;
                await ProcessBatchAsync(root, bytes, token).ConfigureAwait(false);
            }
            else
            {
                await SendInvalidRequestAsync(default, "a message must be an object or a non-empty array").ConfigureAwait(false);
            }
        }
        finally
        {
            if (!handedOver)
            {
                _budget.Release(0, bytes);
            }
        }
    }

    /// <summary>Only valid requests and answers to ours count as activity: white space, <c>{}</c> and junk keep no session alive.</summary>
    private void MarkActive()
    {
        Interlocked.Exchange(ref _lastActivity, _timeProvider.GetTimestamp());
        _idleTimer?.Change(_idleTimeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Parses a line into pooled memory. An answer to a request that parses its own result is handed over right
    /// there (<paramref name="root"/> is then undefined); anything else is copied out as an element that outlives
    /// the read buffer.
    /// </summary>
    private bool TryParse(ReadOnlySequence<byte> line, out JsonElement root, out string? error)
    {
        byte[]? rented = null;
        ReadOnlyMemory<byte> memory;
        if (line.IsSingleSegment)
        {
            memory = line.First;
        }
        else
        {
            // A long line spans buffer segments. One contiguous copy can be checked as UTF-8 (a character may
            // straddle two segments) and is read several times faster by the JSON reader than the segments.
            var length = (int)line.Length;
            rented = ArrayPool<byte>.Shared.Rent(length);
            line.CopyTo(rented);
            memory = rented.AsMemory(0, length);
        }

        try
        {
            // The JSON reader leaves the bytes of strings unchecked, so UTF-8 is validated here, before anything is read.
            if (!Utf8.IsValid(memory.Span))
            {
                root = default;
                error = "it is not valid UTF-8";
                return false;
            }

            error = null;
            if (memory.Length <= InPlaceThreshold)
            {
                // Small: one parse into memory the element owns (fewest allocations).
                var reader = new Utf8JsonReader(memory.Span, ReaderOptions);
                try
                {
                    root = JsonElement.ParseValue(ref reader);
                    if (reader.Read())
                    {
                        error = "text after the message";
                        return false;
                    }

                    return true;
                }
                catch (JsonException ex)
                {
                    root = default;
                    error = ex.Message;
                    return false;
                }
            }

            // Large: parse into pooled memory, so an answer parsed in place costs no copy at all.
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(memory, DocumentOptions);
            }
            catch (JsonException ex)
            {
                root = default;
                error = ex.Message;
                return false;
            }

            using (document)
            {
                error = null;
                root = TryConsumeInPlace(document.RootElement) ? default : document.RootElement.Clone();
                return true;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Hands a well-formed answer to a request that parses its own result, while the pooled document lives.</summary>
    private bool TryConsumeInPlace(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var parsed = Classify(root);
        if (!parsed.IsResponse || parsed.Invalid is not null || parsed.Error.ValueKind != JsonValueKind.Undefined
            || parsed.Id.ValueKind != JsonValueKind.Number || !parsed.Id.TryGetInt64(out var id))
        {
            return false;
        }

        PendingRequest? request;
        lock (_gate)
        {
            if (!_pending.TryGetValue(id, out request) || request.Consume is null)
            {
                return false;
            }

            _pending.Remove(id);
        }

        MarkActive();
        request.Complete(parsed.Result);
        return true;
    }

    /// <summary>Handles one message; returns <see langword="true"/> when a call took over the message's bytes.</summary>
    private async ValueTask<bool> ProcessMessageAsync(JsonElement message, long bytes, CancellationToken token)
    {
        var parsed = Classify(message);
        if (parsed.IsResponse)
        {
            HandleResponse(parsed);
            return false;
        }

        if (parsed.Invalid is { } reason)
        {
            if (parsed.LacksMethod && parsed.Id.ValueKind == JsonValueKind.Number && IsPending(parsed.Id))
            {
                // An answer to one of our requests with neither result nor error.
                parsed.IsResponse = true;
                parsed.Invalid = "it has neither a result nor an error";
                HandleResponse(parsed);
                return false;
            }

            await SendInvalidRequestAsync(parsed.Id, reason).ConfigureAwait(false);
            return false;
        }

        MarkActive();
        if (_handler is null)
        {
            if (!parsed.IsNotification)
            {
                await TrySendErrorAsync(parsed.Id, JsonRpcErrorCodes.MethodNotFound, "Method not found").ConfigureAwait(false);
            }

            return false;
        }

        await _budget.AcquireAsync(1, 0, token).ConfigureAwait(false);
        _ = HandleCallAsync(parsed, bytes, token);
        return true;
    }

    /// <summary>Handles a batch; owns the batch's <paramref name="bytes"/> in the budget and gives them back when it is answered.</summary>
    private async ValueTask ProcessBatchAsync(JsonElement batch, long bytes, CancellationToken token)
    {
        List<ParsedMessage>? calls = null;
        List<(JsonElement Id, int Code, string Message)>? errors = null;
        long errorBytes = 0;
        var active = false;
        foreach (var item in batch.EnumerateArray())
        {
            var parsed = item.ValueKind == JsonValueKind.Object
                ? Classify(item)
                : new ParsedMessage { Invalid = "a batch item must be an object" };
            if (parsed.IsResponse)
            {
                HandleResponse(parsed);
            }
            else if (parsed.Invalid is not null)
            {
                (errors ??= []).Add((parsed.Id, JsonRpcErrorCodes.InvalidRequest, "Invalid request"));
                errorBytes += JsonRpcBatchRules.ErrorBytes(parsed.Id);
            }
            else if (_handler is null)
            {
                active = true;
                if (!parsed.IsNotification)
                {
                    (errors ??= []).Add((parsed.Id, JsonRpcErrorCodes.MethodNotFound, "Method not found"));
                    errorBytes += JsonRpcBatchRules.ErrorBytes(parsed.Id);
                }
            }
            else
            {
                active = true;
                (calls ??= []).Add(parsed);
            }
        }

        if (active)
        {
            MarkActive();
        }

        if (errors is not null && errorBytes > JsonRpcBatchRules.ErrorBudget(bytes))
        {
            // The errors would outweigh the request: one error answers the whole batch, and none of it is handled.
            _budget.Release(0, bytes);
            await SendInvalidRequestAsync(default, $"a batch of {errors.Count} bad items, whose errors would outweigh the batch").ConfigureAwait(false);
            return;
        }

        if (errors is not null)
        {
            Log.InvalidMessage(_logger, RemoteEndPoint, JsonRpcErrorCodes.InvalidRequest, $"a batch with {errors.Count} items answered with an error");
        }

        if (calls is null)
        {
            _budget.Release(0, bytes);
            if (errors is not null)
            {
                await TryWriteAsync(errors, static (w, e) =>
                {
                    w.WriteStartArray();
                    foreach (var (id, code, message) in e)
                    {
                        WriteError(w, id, code, message, null);
                    }

                    w.WriteEndArray();
                }).ConfigureAwait(false);
            }

            return;
        }

        // The calls run side by side, each holding one call of the budget, so rate-limit delays overlap instead of
        // adding up; the dispatcher holds one share of the batch until every call is started.
        var run = new BatchRun(errors, calls.Count);
        var dispatched = 0;
        var failed = true;
        try
        {
            for (; dispatched < calls.Count; dispatched++)
            {
                await _budget.AcquireAsync(1, 0, token).ConfigureAwait(false);
                _ = RunBatchCallAsync(run, dispatched, calls[dispatched], bytes, token);
            }

            failed = false;
        }
        finally
        {
            if (run.Complete(calls.Count - dispatched + 1))
            {
                if (failed)
                {
                    _budget.Release(0, bytes);
                }
                else
                {
                    await FinishBatchAsync(run, bytes).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task HandleCallAsync(ParsedMessage call, long bytes, CancellationToken token)
    {
        try
        {
            var answer = await InvokeHandlerAsync(call, token).ConfigureAwait(false);
            if (answer is { } a)
            {
                await TryWriteAsync(a, static (w, x) => WriteAnswer(w, x)).ConfigureAwait(false);
            }
        }
        finally
        {
            _budget.Release(1, bytes);
        }
    }

    private async Task RunBatchCallAsync(BatchRun run, int index, ParsedMessage call, long bytes, CancellationToken token)
    {
        try
        {
            run.SetAnswer(index, await InvokeHandlerAsync(call, token).ConfigureAwait(false));
        }
        finally
        {
            _budget.Release(1, 0);
        }

        if (run.Complete(1))
        {
            await FinishBatchAsync(run, bytes).ConfigureAwait(false);
        }
    }

    private async ValueTask FinishBatchAsync(BatchRun run, long bytes)
    {
        try
        {
            if (run.HasAnswers)
            {
                await TryWriteAsync(run, static (w, r) =>
                {
                    w.WriteStartArray();
                    r.WriteAnswers(w);
                    w.WriteEndArray();
                }).ConfigureAwait(false);
            }
        }
        finally
        {
            _budget.Release(0, bytes);
        }
    }

    private static void WriteAnswer(Utf8JsonWriter writer, Answer answer)
    {
        if (answer.ErrorMessage is null)
        {
            WriteResult(writer, answer.Id, answer.Result);
        }
        else
        {
            WriteError(writer, answer.Id, answer.ErrorCode, answer.ErrorMessage, answer.ErrorData);
        }
    }

    /// <summary>Runs the handler; returns the answer to send, or <see langword="null"/> for a notification or a closed session.</summary>
    private async ValueTask<Answer?> InvokeHandlerAsync(ParsedMessage call, CancellationToken token)
    {
        try
        {
            var result = await _handler!.HandleAsync(new JsonRpcCall(call.Method!, call.Params, call.IsNotification, this), token).ConfigureAwait(false);
            return call.IsNotification ? null : new Answer(call.Id, result, 0, null, null);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return null;
        }
        catch (JsonRpcException ex)
        {
            return call.IsNotification ? null : new Answer(call.Id, null, ex.Code, ex.Message, ex.ErrorData);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, call.Method!, RemoteEndPoint, ex);
            return call.IsNotification ? null : new Answer(call.Id, null, JsonRpcErrorCodes.InternalError, "Internal error", null);
        }
    }

    private void HandleResponse(in ParsedMessage response)
    {
        PendingRequest? request = null;
        if (response.Id.ValueKind == JsonValueKind.Number && response.Id.TryGetInt64(out var id))
        {
            lock (_gate)
            {
                _pending.Remove(id, out request);
            }
        }

        if (request is null)
        {
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                Log.UnknownResponseId(_logger, response.Id.ValueKind == JsonValueKind.Undefined ? "(none)" : response.Id.GetRawText(), RemoteEndPoint);
            }

            return;
        }

        MarkActive();
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
    }

    /// <summary>Reads the members of one message in a single pass and says what it is.</summary>
    private static ParsedMessage Classify(JsonElement message)
    {
        var parsed = default(ParsedMessage);
        var version = default(JsonElement);
        var method = default(JsonElement);
        var hasResult = false;
        foreach (var property in message.EnumerateObject())
        {
            if (property.NameEquals(JsonRpcName.EncodedUtf8Bytes))
            {
                version = property.Value;
            }
            else if (property.NameEquals(IdName.EncodedUtf8Bytes))
            {
                parsed.Id = property.Value;
            }
            else if (property.NameEquals(MethodName.EncodedUtf8Bytes))
            {
                method = property.Value;
            }
            else if (property.NameEquals(ParamsName.EncodedUtf8Bytes))
            {
                parsed.Params = property.Value;
            }
            else if (property.NameEquals(ResultName.EncodedUtf8Bytes))
            {
                parsed.Result = property.Value;
                hasResult = true;
            }
            else if (property.NameEquals(ErrorName.EncodedUtf8Bytes))
            {
                parsed.Error = property.Value;
            }
        }

        var hasError = parsed.Error.ValueKind != JsonValueKind.Undefined;
        var hasId = parsed.Id.ValueKind != JsonValueKind.Undefined;
        var idValid = parsed.Id.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null or JsonValueKind.Undefined;
        if (!idValid)
        {
            parsed.Id = default;
        }

        var versionValid = version.ValueKind == JsonValueKind.String && version.ValueEquals(VersionValue.EncodedUtf8Bytes);
        if (method.ValueKind == JsonValueKind.Undefined && (hasResult || hasError))
        {
            parsed.IsResponse = true;
            parsed.Invalid = !versionValid ? "the jsonrpc member is not \"2.0\""
                : hasResult && hasError ? "it has both a result and an error"
                : hasError && !IsErrorObject(parsed.Error) ? "the error is not an object with an integer code"
                : null;
            return parsed;
        }

        parsed.IsNotification = !hasId;
        parsed.LacksMethod = method.ValueKind == JsonValueKind.Undefined;
        parsed.Invalid = !versionValid ? "the jsonrpc member is not \"2.0\""
            : method.ValueKind != JsonValueKind.String ? "the method is not a string"
            : !idValid ? "the id is not a string, a number or null"
            : parsed.Params.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Array or JsonValueKind.Object) ? "params is neither an array nor an object"
            : null;
        if (parsed.Invalid is null)
        {
            parsed.Method = method.GetString();
        }

        return parsed;
    }

    private static bool IsErrorObject(JsonElement error)
        => error.ValueKind == JsonValueKind.Object
            && error.TryGetProperty(CodeName.EncodedUtf8Bytes, out var code)
            && code.ValueKind == JsonValueKind.Number
            && code.TryGetInt32(out _);

    private ValueTask SendInvalidRequestAsync(JsonElement id, string reason)
    {
        Log.InvalidMessage(_logger, RemoteEndPoint, JsonRpcErrorCodes.InvalidRequest, reason);
        return TrySendErrorAsync(id, JsonRpcErrorCodes.InvalidRequest, "Invalid request");
    }

    private ValueTask TrySendErrorAsync(JsonElement id, int code, string message)
        => TryWriteAsync((Id: id, Code: code, Message: message), static (w, s) => WriteError(w, s.Id, s.Code, s.Message, null));

    /// <summary>Writes an answer; a failure has already closed the session, so it is not rethrown.</summary>
    private async ValueTask TryWriteAsync<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        try
        {
            await WriteAsync(state, write).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or JsonRpcProtocolException or OperationCanceledException or ObjectDisposedException)
        {
            // The session is closed; there is no one left to answer.
        }
    }

    private void OnIdle()
        => Close(new TimeoutException($"No message arrived within {_idleTimeout}; the session is closed."));

    /// <summary>Marks the session closed, fails every pending request and stops reading. Idempotent.</summary>
    private void Close(Exception? error, bool disposing = false)
    {
        PendingRequest[] pending;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            pending = [.. _pending.Values];
            _pending.Clear();
        }

        if (error is null)
        {
            _completion.TrySetResult();
            Log.SessionClosed(_logger, RemoteEndPoint);
        }
        else
        {
            _completion.TrySetException(error);
            Log.SessionFailed(_logger, RemoteEndPoint, error);
        }

        Exception failure = error switch
        {
            JsonRpcProtocolException protocol => new JsonRpcProtocolException(protocol.Message, protocol),
            null when disposing => new IOException("The JSON-RPC session was disposed before the answer came."),
            null => new IOException("The remote party closed the JSON-RPC session before answering."),
            _ => new IOException($"The JSON-RPC session failed: {error.Message}", error),
        };
        foreach (var request in pending)
        {
            request.Fail(failure);
        }

        _idleTimer?.Dispose();
        try
        {
            _lifetime.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed.
        }

        if (!disposing)
        {
            // Closing the stream tells the remote side and unblocks a pending read or write.
            _output.Close(failure);
            try
            {
                _stream.Dispose();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // Closing anyway.
            }
        }
    }

    private struct ParsedMessage
    {
        public bool IsResponse;
        public bool IsNotification;
        public bool LacksMethod;
        public string? Invalid;
        public string? Method;
        public JsonElement Id;
        public JsonElement Params;
        public JsonElement Result;
        public JsonElement Error;
    }

    private sealed record Answer(JsonElement Id, JsonNode? Result, int ErrorCode, string? ErrorMessage, JsonElement? ErrorData);

    /// <summary>The answers of one batch, filled in as its calls end; the last to end writes them.</summary>
    private sealed class BatchRun
    {
        private readonly Answer?[] _answers;
        private readonly int _offset;
        private int _remaining;

        public BatchRun(List<(JsonElement Id, int Code, string Message)>? errors, int calls)
        {
            _offset = errors?.Count ?? 0;
            _answers = new Answer?[_offset + calls];
            for (var i = 0; i < _offset; i++)
            {
                var (id, code, message) = errors![i];
                _answers[i] = new Answer(id, null, code, message, null);
            }

            _remaining = calls + 1;
        }

        public bool HasAnswers => Array.Exists(_answers, a => a is not null);

        public void SetAnswer(int call, Answer? answer) => Volatile.Write(ref _answers[_offset + call], answer);

        /// <summary>Counts <paramref name="shares"/> as ended; <see langword="true"/> for the last.</summary>
        public bool Complete(int shares) => Interlocked.Add(ref _remaining, -shares) == 0;

        public void WriteAnswers(Utf8JsonWriter writer)
        {
            foreach (var answer in _answers)
            {
                if (answer is not null)
                {
                    WriteAnswer(writer, answer);
                }
            }
        }
    }

    /// <summary>A request waiting for its answer, its timeout and its caller's cancellation.</summary>
    private sealed class PendingRequest(JsonRpcSession session, long id, string method)
        : TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        private CancellationTokenRegistration _cancellation;
        private ITimer? _timer;
        private TimeSpan _timeout;

        public long Id { get; } = id;

        public string Method { get; } = method;

        public void Start(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
        {
            _timeout = timeout;
            if (timeout != Timeout.InfiniteTimeSpan)
            {
                _timer = timeProvider.CreateTimer(static s => ((PendingRequest)s!).OnTimeout(), this, timeout, Timeout.InfiniteTimeSpan);
            }

            if (cancellationToken.CanBeCanceled)
            {
                _cancellation = cancellationToken.UnsafeRegister(static (s, t) => ((PendingRequest)s!).OnCanceled(t), this);
            }

            if (Task.IsCompleted)
            {
                Cleanup();
            }
        }

        /// <summary>Parses the result in place instead of handing it out (see <see cref="InvokeAsync{T}"/>).</summary>
        public Action<JsonElement>? Consume { get; init; }

        public void Complete(JsonElement result)
        {
            if (Task.IsCompleted)
            {
                return;
            }

            if (Consume is { } consume)
            {
                consume(result);
                result = default;
            }

            if (TrySetResult(result))
            {
                Cleanup();
            }
        }

        public void Fail(Exception error)
        {
            session.Remove(Id);
            if (TrySetException(error))
            {
                Cleanup();
            }
        }

        private void OnCanceled(CancellationToken token)
        {
            session.Remove(Id);
            if (TrySetCanceled(token))
            {
                Cleanup();
            }
        }

        private void OnTimeout()
        {
            session.Remove(Id);
            if (TrySetException(new TimeoutException($"No answer to '{Method}' within {_timeout.TotalSeconds:0.###} s.")))
            {
                Cleanup();
            }
        }

        private void Cleanup()
        {
            _timer?.Dispose();
            _cancellation.Unregister();
        }
    }
}
