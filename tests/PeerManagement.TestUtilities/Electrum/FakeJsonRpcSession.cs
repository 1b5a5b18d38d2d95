using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement.TestUtilities.Electrum;

/// <summary>
/// A JSON-RPC session without a stream: requests are answered by a <see cref="ScriptedElectrumPeer"/>. A silent
/// method times out after the session's request timeout on the given clock, like a real session.
/// </summary>
public sealed class FakeJsonRpcSession : IJsonRpcSession
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private readonly ScriptedElectrumPeer? _peer;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _timeout;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    public FakeJsonRpcSession(ScriptedElectrumPeer? peer, JsonRpcSessionSettings settings, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _peer = peer;
        Settings = settings;
        RemoteEndPoint = settings.RemoteEndPoint;
        _timeProvider = timeProvider;
        _timeout = settings.RequestTimeout ?? DefaultTimeout;
    }

    /// <summary>A session as a listener would hand to a request handler: only an address and per-session state.</summary>
    public static FakeJsonRpcSession Incoming(EndPoint? remote, TimeProvider? timeProvider = null)
        => new(null, new JsonRpcSessionSettings { RemoteEndPoint = remote }, timeProvider ?? TimeProvider.System);

    public JsonRpcSessionSettings Settings { get; }

    public EndPoint? RemoteEndPoint { get; }


    public Task Completion => _completion.Task;

    public bool IsDisposed => Volatile.Read(ref _disposed) == 1;

    /// <summary>Lets the peer call us, as a real server may during a check.</summary>
    public ValueTask<JsonNode?> CallHandlerAsync(string method, JsonNode? parameters, bool notification, CancellationToken cancellationToken)
    {
        var handler = Settings.RequestHandler ?? throw new InvalidOperationException("no handler");
        var element = JsonSerializer.SerializeToElement(parameters);
        return handler.HandleAsync(new JsonRpcCall(method, element, notification, this), cancellationToken);
    }

    public async Task<JsonElement> InvokeAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var peer = _peer ?? throw new IOException("this session has no remote peer");
        var array = new JsonArray([.. parameters.Select(p => p?.DeepClone())]);
        var element = JsonSerializer.SerializeToElement(array);
        peer.Record(method, element);
        if (!peer.Answers.TryGetValue(method, out var answer))
        {
            throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, $"unknown method {method}");
        }

        switch (answer)
        {
            case ScriptedAnswer.Result result:
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
                return JsonSerializer.SerializeToElement(result.Compute(element));
            case ScriptedAnswer.RawUtf8 raw:
                await Task.Yield();
                using (var document = JsonDocument.Parse(raw.Bytes))
                {
                    return document.RootElement.Clone();
                }

            case ScriptedAnswer.Error error:
                await Task.Yield();
                throw new JsonRpcException(error.Code, error.Message);
            case ScriptedAnswer.Disconnect:
                await Task.Yield();
                throw new IOException("the connection was closed by the peer");
            case ScriptedAnswer.ProtocolViolation:
                await Task.Yield();
                throw new JsonRpcProtocolException("message over the size limit");
            default:
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token))
                {
                    try
                    {
                        await Task.Delay(_timeout, _timeProvider, linked.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (_closed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                    {
                        throw new IOException("the session was closed");
                    }
                }

                throw new TimeoutException($"{method} got no answer within {_timeout}");
        }
    }

    public ValueTask NotifyAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        _peer?.Record(method, JsonSerializer.SerializeToElement(new JsonArray([.. parameters.Select(p => p?.DeepClone())])));
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _closed.Cancel();
            _completion.TrySetResult();
        }

        return ValueTask.CompletedTask;
    }
}
