using System.Threading.RateLimiting;

namespace PeerManagement;

/// <summary>
/// The waiting callers of a token bucket: acquisitions queued for tokens (in queue order, woken by one timer),
/// soft-limit delays served by <c>AcquireAsync</c>, cancellation, and closing. Kept in a
/// <see cref="WaitState"/> created on first use.
/// </summary>
internal partial class TokenBucket
{
    /// <summary>
    /// Starts an asynchronous acquisition: returns a finished lease, or <see langword="null"/> with a queued
    /// <paramref name="waiter"/> (or none when already cancelled). Either way the caller finishes it with
    /// <see cref="Continue"/> outside the lock.
    /// </summary>
    public RateLimitLease? AcquireLocked(TokenBucketSettings s, int permitCount, long now, CancellationToken cancellationToken, out Waiter? waiter)
    {
        waiter = null;
        if (CanBypassQueue(s))
        {
            if (permitCount == 0)
            {
                Refill(s, s.IsCoarse ? now = s.GetPreciseTimestampLocked() : now);
                if (_units >= s.WindowUnits)
                {
                    return PeerRateLimitLease.Success;
                }
            }
            else if (TryTake(s, permitCount, now, out var delayed)
                || (s.IsCoarse && TryTake(s, permitCount, now = s.GetPreciseTimestampLocked(), out delayed)))
            {
                _successful++;
                if (delayed)
                {
                    GetWaitState(s).Delaying++;
                }

                return delayed ? s.DelayedLease : PeerRateLimitLease.Success;
            }
        }

        var wait = _wait;
        var queued = wait?.QueuedPermits ?? 0;
        if (permitCount > s.QueueLimit)
        {
            Interlocked.Increment(ref _failed);
            return Reject(s, permitCount, now);
        }

        if (s.QueueLimit - queued < permitCount)
        {
            if (s.Order == QueueProcessingOrder.OldestFirst)
            {
                Interlocked.Increment(ref _failed);
                return Reject(s, permitCount, now);
            }

            // Newest first: the oldest waiters make room, and fail.
            while (wait!.Queue.First is { } oldest && s.QueueLimit - wait.QueuedPermits < permitCount)
            {
                RemoveLocked(oldest.Value);
                Interlocked.Increment(ref _failed);
                oldest.Value.TrySetResult(PeerRateLimitLease.Failed);
            }
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        wait = GetWaitState(s);
        waiter = new Waiter(this, permitCount, cancellationToken);
        waiter.Node = wait.Queue.AddLast(waiter);
        wait.QueuedPermits += permitCount;
        _fastReject = null;
        if (cancellationToken.CanBeCanceled)
        {
            // Runs at once (under the same, re-entrant lock) if already cancelled.
            waiter.Registration = cancellationToken.UnsafeRegister(static state => ((Waiter)state!).Cancel(), waiter);
        }

        ScheduleLocked(s, now);
        return null;
    }

    /// <summary>
    /// Finishes an asynchronous acquisition started by <see cref="AcquireLocked"/> (call outside the lock): a
    /// finished lease is counted and returned, or its soft-limit delay waited; a queued waiter is awaited.
    /// </summary>
    public ValueTask<RateLimitLease> Continue(TokenBucketSettings s, RateLimitLease? lease, Waiter? waiter, int permitCount, CancellationToken cancellationToken)
    {
        if (lease is not null)
        {
            s.RecordDecision(lease, permitCount);
            return ReferenceEquals(lease, s.DelayedLease)
                ? DelayAsync(s, permitCount, cancellationToken)
                : new ValueTask<RateLimitLease>(lease);
        }

        return waiter is null
            ? ValueTask.FromCanceled<RateLimitLease>(cancellationToken)
            : WaitAsync(s, waiter, cancellationToken);
    }

    /// <summary>Waits the soft-limit delay of a granted acquisition (counted in Delaying by the caller).</summary>
    public async ValueTask<RateLimitLease> DelayAsync(TokenBucketSettings s, int permitCount, CancellationToken cancellationToken)
    {
        CancellationToken closing;
        lock (s.Gate)
        {
            closing = _closed ? new CancellationToken(true) : GetWaitState(s).Closing.Token;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, closing);
        try
        {
            await Task.Delay(s.Delay, s.TimeProvider, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (s.Gate)
            {
                _wait!.Delaying--;
                if (!_closed)
                {
                    // Not served: the tokens and the soft-limit slot go back.
                    AddBack(s, permitCount * s.WindowUnits);
                    _windowCount = Math.Max(0, _windowCount - permitCount);
                    _successful--;
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            return PeerRateLimitLease.Failed;
        }

        lock (s.Gate)
        {
            _wait!.Delaying--;
        }

        return PeerRateLimitLease.Success;
    }

    /// <summary>Waits for a queued acquisition (counting its outcome), then for its delay if it got one.</summary>
    public async ValueTask<RateLimitLease> WaitAsync(TokenBucketSettings s, Waiter waiter, CancellationToken cancellationToken)
    {
        var lease = await waiter.Task.ConfigureAwait(false);
        s.RecordDecision(lease, waiter.Permits);
        return ReferenceEquals(lease, s.DelayedLease)
            ? await DelayAsync(s, waiter.Permits, cancellationToken).ConfigureAwait(false)
            : lease;
    }

    /// <summary>
    /// Closes the bucket: queued waiters get failed leases, delays end with failed leases. Returns the source to
    /// cancel (outside the lock, so no continuation runs under it), if any.
    /// </summary>
    public CancellationTokenSource? CloseLocked()
    {
        if (_closed)
        {
            return null;
        }

        _closed = true;
        _fastReject = null;
        if (_wait is not { } wait)
        {
            return null;
        }

        while (wait.Queue.First is { } node)
        {
            RemoveLocked(node.Value);
            node.Value.TrySetResult(PeerRateLimitLease.Failed);
        }

        wait.Timer?.Dispose();
        return wait.HasClosing ? wait.Closing : null;
    }

    private WaitState GetWaitState(TokenBucketSettings s) => _wait ??= new WaitState(s);

    private void ProcessQueueLocked(TokenBucketSettings s, long now)
    {
        var wait = _wait!;
        Refill(s, now);
        while ((s.Order == QueueProcessingOrder.OldestFirst ? wait.Queue.First : wait.Queue.Last) is { } node)
        {
            var waiter = node.Value;
            if (_units < Math.Max(1, waiter.Permits) * s.WindowUnits)
            {
                break;
            }

            RemoveLocked(waiter);
            var delayed = false;
            if (waiter.Permits > 0 && TryTake(s, waiter.Permits, now, out delayed))
            {
                _successful++;
                if (delayed)
                {
                    wait.Delaying++;
                }
            }

            waiter.TrySetResult(delayed ? s.DelayedLease : PeerRateLimitLease.Success);
        }

        ScheduleLocked(s, now);
    }

    private void ScheduleLocked(TokenBucketSettings s, long now)
    {
        var wait = _wait!;
        if ((s.Order == QueueProcessingOrder.OldestFirst ? wait.Queue.First : wait.Queue.Last) is not { } node)
        {
            wait.Timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var missing = (Math.Max(1, node.Value.Permits) * s.WindowUnits) - _units;
        var timeUnits = (missing + s.MaxTokens - 1) / s.MaxTokens;
        var due = s.ToTimeSpanCeiling(((Int128)timeUnits * s.TickDivisor) - (now - _last));
        if (due <= TimeSpan.Zero)
        {
            due = TimeSpan.FromTicks(1);
        }

        wait.Timer ??= s.TimeProvider.CreateTimer(static state => ((TokenBucket)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        wait.Timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        var s = _wait!.Settings;
        lock (s.Gate)
        {
            if (!_closed)
            {
                ProcessQueueLocked(s, s.GetPreciseTimestampLocked());
            }
        }
    }

    private void RemoveLocked(Waiter waiter)
    {
        var wait = _wait!;
        wait.Queue.Remove(waiter.Node!);
        waiter.Node = null;
        wait.QueuedPermits -= waiter.Permits;
        waiter.Registration.Unregister();
        _fastReject = null;
    }

    private void CancelWaiter(Waiter waiter)
    {
        var s = _wait!.Settings;
        lock (s.Gate)
        {
            if (waiter.Node is null)
            {
                return;
            }

            RemoveLocked(waiter);
            if (!_closed)
            {
                // The waiter may have held up smaller ones behind it.
                ProcessQueueLocked(s, s.GetPreciseTimestampLocked());
            }
        }

        waiter.TrySetCanceled(waiter.Token);
    }

    /// <summary>A queued acquisition.</summary>
    internal sealed class Waiter(TokenBucket bucket, int permits, CancellationToken token)
        : TaskCompletionSource<RateLimitLease>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public int Permits { get; } = permits;

        public CancellationToken Token { get; } = token;

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public void Cancel() => bucket.CancelWaiter(this);
    }

    private sealed class WaitState(TokenBucketSettings settings)
    {
        private CancellationTokenSource? _closing;

        public TokenBucketSettings Settings { get; } = settings;

        public LinkedList<Waiter> Queue { get; } = new();

        public int QueuedPermits { get; set; }

        public int Delaying { get; set; }

        public ITimer? Timer { get; set; }

        public bool HasClosing => _closing is not null;

        public CancellationTokenSource Closing => _closing ??= new CancellationTokenSource();
    }
}
