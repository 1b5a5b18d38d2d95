using System.Text.Json;

namespace PeerManagement;

/// <summary>
/// One request of ours waiting for its answer, with its deadline (kept by the session's one timeout sweep, see
/// <see cref="JsonRpcPendingRequests"/>) and its caller's cancellation.
/// </summary>
internal sealed class JsonRpcPendingRequest(JsonRpcPendingRequests owner, long id, string method, long deadline)
    : TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    private CancellationTokenRegistration _cancellation;

    public long Id { get; } = id;

    public string Method { get; } = method;

    /// <summary>When the request times out (a <see cref="TimeProvider"/> timestamp; <see cref="long.MaxValue"/>: never).</summary>
    public long Deadline { get; } = deadline;

    /// <summary>Parses the result in place instead of handing it out (see <see cref="JsonRpcSession.InvokeAsync{T}"/>).</summary>
    public Action<JsonElement>? Consume { get; init; }

    public void Start(CancellationToken cancellationToken)
    {
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
            // Read in place, while the received line lives: a long answer is never copied.
            consume(result);
            result = default;
        }
        else
        {
            // The received line is pooled: the caller gets a copy of the result alone.
            result = result.Clone();
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

    /// <summary>Fails the request at its deadline; the sweep has already taken it out of the pending ones.</summary>
    public void TimeOut(TimeSpan timeout)
    {
        if (TrySetException(new TimeoutException($"No answer to '{Method}' within {timeout.TotalSeconds:0.###} s.")))
        {
            Cleanup();
        }
    }

    private void Cleanup() => _cancellation.Unregister();
}
