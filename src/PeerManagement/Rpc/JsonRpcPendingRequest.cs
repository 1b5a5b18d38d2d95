using System.Text.Json;

namespace PeerManagement;

/// <summary>One request of ours waiting for its answer, with its timeout and its caller's cancellation.</summary>
internal sealed class JsonRpcPendingRequest(JsonRpcPendingRequests owner, long id, string method)
    : TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    private CancellationTokenRegistration _cancellation;
    private ITimer? _timer;
    private TimeSpan _timeout;

    public long Id { get; } = id;

    public string Method { get; } = method;

    /// <summary>Parses the result in place instead of handing it out (see <see cref="JsonRpcSession.InvokeAsync{T}"/>).</summary>
    public Action<JsonElement>? Consume { get; init; }

    public void Start(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        _timeout = timeout;
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            _timer = timeProvider.CreateTimer(static s => ((JsonRpcPendingRequest)s!).OnTimeout(), this, timeout, Timeout.InfiniteTimeSpan);
        }

        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(static (s, t) => ((JsonRpcPendingRequest)s!).OnCanceled(t), this);
        }

        if (Task.IsCompleted)
        {
            Cleanup();
        }
    }

    /// <summary>Fails the request when the message carrying it could not be sent.</summary>
    public void ObserveWrite(ValueTask write)
    {
        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult();
            return;
        }

        _ = ObserveAsync(write.AsTask(), this);

        static async Task ObserveAsync(Task write, JsonRpcPendingRequest request)
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
        owner.Remove(Id);
        if (TrySetException(error))
        {
            Cleanup();
        }
    }

    private void OnCanceled(CancellationToken token)
    {
        owner.Remove(Id);
        if (TrySetCanceled(token))
        {
            Cleanup();
        }
    }

    private void OnTimeout()
    {
        owner.Remove(Id);
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
