namespace PeerManagement;

/// <summary>
/// The work one session may have queued: calls being handled (each call of a batch counted) and bytes of received
/// messages not yet answered. Only the session's read loop acquires, so reading stops while the session is at its
/// bound (backpressure: the remote party's writes then stall in its own socket). Anything may release.
/// </summary>
internal sealed class SessionWorkBudget(int maxCalls, long maxBytes)
{
    private readonly Lock _gate = new();
    private int _calls;
    private long _bytes;
    private TaskCompletionSource? _room;
    private TaskCompletionSource? _idle;

    /// <summary>Calls being handled now.</summary>
    public int CallsInFlight
    {
        get
        {
            lock (_gate)
            {
                return _calls;
            }
        }
    }

    /// <summary>Bytes of received messages being handled now.</summary>
    public long BytesInFlight
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>
    /// Takes <paramref name="calls"/> and <paramref name="bytes"/>, waiting until they fit. An empty budget always
    /// takes them, so one message larger than the bound still goes through alone.
    /// </summary>
    public async ValueTask AcquireAsync(int calls, long bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                var callsFit = calls == 0 || _calls == 0 || _calls + calls <= maxCalls;
                var bytesFit = bytes == 0 || _bytes == 0 || _bytes + bytes <= maxBytes;
                if (callsFit && bytesFit)
                {
                    _calls += calls;
                    _bytes += bytes;
                    return;
                }

                wait = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gives back what <see cref="AcquireAsync"/> took.</summary>
    public void Release(int calls, long bytes)
    {
        TaskCompletionSource? room;
        TaskCompletionSource? idle = null;
        lock (_gate)
        {
            _calls -= calls;
            _bytes -= bytes;
            room = _room;
            _room = null;
            if (_calls == 0 && _bytes == 0)
            {
                idle = _idle;
                _idle = null;
            }
        }

        room?.TrySetResult();
        idle?.TrySetResult();
    }

    /// <summary>Completes when no call is handled and no message held.</summary>
    public Task WhenIdle()
    {
        lock (_gate)
        {
            return _calls == 0 && _bytes == 0
                ? Task.CompletedTask
                : (_idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }
}
