using System.Threading.RateLimiting;

namespace PeerManagement;

/// <summary>
/// The state of one token bucket with a slow-down tier: the algorithm behind <see cref="PeerRateLimiter"/> and
/// each partition of <see cref="PeerPartitionedRateLimiter{TKey}"/>. Members named <c>*Locked</c> must be called
/// with <see cref="TokenBucketSettings.Gate"/> held; the rest take it themselves. Waiting callers (queue, timer,
/// delays) live in a separate object created on first use, so an idle bucket stays small.
/// </summary>
internal class TokenBucket
{
    // Contents in units (see TokenBucketSettings). While the bucket is full, _last is the time it became full
    // (refill stops there); otherwise the time refill was last counted up to. The settings are passed in, not
    // stored, to keep a partition small.
    private long _units;
    private long _last;
    private long _windowStart;
    private int _windowCount;
    private bool _closed;
    private long _successful;
    private long _failed;
    private WaitState? _wait;

    public TokenBucket(TokenBucketSettings settings, long now)
    {
        _units = settings.Capacity;
        _last = now;
    }

    public bool IsClosedLocked => _closed;

    /// <summary>Whether nobody waits on this bucket (neither queued nor serving a delay).</summary>
    public bool HasNoWaitersLocked => _wait is null || (_wait.Queue.Count == 0 && _wait.Delaying == 0);

    public RateLimitLease AttemptAcquireLocked(TokenBucketSettings s, int permitCount, long now)
    {
        if (permitCount == 0)
        {
            Refill(s, s.IsCoarse ? s.GetPreciseTimestampLocked() : now);
            return _units >= s.WindowUnits && CanBypassQueue(s) ? PeerRateLimitLease.Success : PeerRateLimitLease.Failed;
        }

        if (CanBypassQueue(s))
        {
            if (TryTake(s, permitCount, now, out var delayed)
                || (s.IsCoarse && TryTake(s, permitCount, now = s.GetPreciseTimestampLocked(), out delayed)))
            {
                _successful++;
                return delayed ? s.DelayedLease : PeerRateLimitLease.Success;
            }
        }

        _failed++;
        return Reject(s, permitCount, now);
    }

    /// <summary>
    /// Starts an asynchronous acquisition. Returns a finished lease (the shared delayed lease means: call
    /// <see cref="DelayAsync"/>), or <see langword="null"/> with a queued <paramref name="waiter"/> to await
    /// through <see cref="WaitAsync"/>.
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
            _failed++;
            return Reject(s, permitCount, now);
        }

        if (s.QueueLimit - queued < permitCount)
        {
            if (s.Order == QueueProcessingOrder.OldestFirst)
            {
                _failed++;
                return Reject(s, permitCount, now);
            }

            // Newest first: the oldest waiters make room, and fail.
            while (wait!.Queue.First is { } oldest && s.QueueLimit - wait.QueuedPermits < permitCount)
            {
                RemoveLocked(oldest.Value);
                _failed++;
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
        if (cancellationToken.CanBeCanceled)
        {
            // Runs at once (under the same, re-entrant lock) if already cancelled.
            waiter.Registration = cancellationToken.UnsafeRegister(static state => ((Waiter)state!).Cancel(), waiter);
        }

        ScheduleLocked(s, now);
        return null;
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

    /// <summary>Waits for a queued acquisition, then for its delay if it got one.</summary>
    public async ValueTask<RateLimitLease> WaitAsync(TokenBucketSettings s, Waiter waiter, CancellationToken cancellationToken)
    {
        var lease = await waiter.Task.ConfigureAwait(false);
        return ReferenceEquals(lease, s.DelayedLease)
            ? await DelayAsync(s, waiter.Permits, cancellationToken).ConfigureAwait(false)
            : lease;
    }

    public RateLimiterStatistics GetStatisticsLocked(TokenBucketSettings s, long now)
    {
        Refill(s, now);
        return new RateLimiterStatistics
        {
            CurrentAvailablePermits = _units / s.WindowUnits,
            CurrentQueuedCount = _wait?.QueuedPermits ?? 0,
            TotalSuccessfulLeases = _successful,
            TotalFailedLeases = _failed,
        };
    }

    /// <summary>How long the bucket has been full, with nobody waiting and the soft-limit window over; else null.</summary>
    public TimeSpan? GetIdleDurationLocked(TokenBucketSettings s, long now)
    {
        if (!HasNoWaitersLocked)
        {
            return null;
        }

        Refill(s, now);
        if (_units < s.Capacity)
        {
            return null;
        }

        var since = _last;
        if (s.SoftTier && _windowCount > 0)
        {
            since = Math.Max(since, _windowStart + s.WindowTicks);
        }

        return now < since ? null : s.ToTimeSpanFloor(now - since);
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

    private bool CanBypassQueue(TokenBucketSettings s)
        => _wait is null || _wait.Queue.Count == 0 || s.Order == QueueProcessingOrder.NewestFirst;

    private WaitState GetWaitState(TokenBucketSettings s) => _wait ??= new WaitState(s);

    private void AddBack(TokenBucketSettings s, long units)
    {
        if (_units >= s.Capacity)
        {
            return;
        }

        _units += units;
        if (_units >= s.Capacity)
        {
            // Full again now; refill had been counted up to _last, which is not later than now.
            _units = s.Capacity;
        }
    }

    private void Refill(TokenBucketSettings s, long now)
    {
        var current = _units;
        if (current >= s.Capacity)
        {
            // Full: refill stopped when it became full; _last keeps that time.
            return;
        }

        var elapsed = now - _last;
        if (elapsed < s.TickDivisor)
        {
            return;
        }

        var units = s.TickDivisor == 1 ? elapsed : elapsed / s.TickDivisor;
        if (units < s.WindowUnits)
        {
            var next = current + (units * s.MaxTokens);
            if (next < s.Capacity)
            {
                _units = next;
                _last += s.TickDivisor == 1 ? elapsed : units * s.TickDivisor;
                return;
            }
        }

        // Full now: remember exactly when it became full.
        var needed = (s.Capacity - current + s.MaxTokens - 1) / s.MaxTokens;
        _last += needed * s.TickDivisor;
        _units = s.Capacity;
    }

    private bool TryTake(TokenBucketSettings s, int permitCount, long now, out bool delayed)
    {
        Refill(s, now);
        var needed = permitCount * s.WindowUnits;
        if (_units < needed)
        {
            delayed = false;
            return false;
        }

        if (_units >= s.Capacity && now > _last)
        {
            // Leaving full: refill counts from now.
            _last = now;
        }

        _units -= needed;
        delayed = s.SoftTier && CountInWindow(s, permitCount, now);
        return true;
    }

    // The soft limit: a window starts at the first acquisition after the previous one ended.
    private bool CountInWindow(TokenBucketSettings s, int permitCount, long now)
    {
        if (_windowCount == 0 || now - _windowStart >= s.WindowTicks)
        {
            _windowStart = now;
            _windowCount = 0;
        }

        _windowCount = (int)Math.Min(int.MaxValue, (long)_windowCount + permitCount);
        return _windowCount > s.DelayAfter;
    }

    // Retry-after: when the bucket will hold these permits and every permit queued before them.
    private PeerRateLimitLease Reject(TokenBucketSettings s, int permitCount, long now)
    {
        var permits = (long)permitCount + (_wait?.QueuedPermits ?? 0);
        if (permits <= s.MaxTokens)
        {
            // Fits in 64 bits: permits × WindowUnits ≤ Capacity.
            var missingUnits = (permits * s.WindowUnits) - _units;
            var units = (missingUnits + s.MaxTokens - 1) / s.MaxTokens;
            return PeerRateLimitLease.Rejected(s.ToTimeSpanCeiling((units * s.TickDivisor) - (now - _last)));
        }

        var missing = ((Int128)permits * s.WindowUnits) - _units;
        var timeUnits = (missing + s.MaxTokens - 1) / s.MaxTokens;
        return PeerRateLimitLease.Rejected(s.ToTimeSpanCeiling((timeUnits * s.TickDivisor) - (now - _last)));
    }

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
