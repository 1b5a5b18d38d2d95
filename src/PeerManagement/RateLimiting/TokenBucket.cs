using System.Threading.RateLimiting;

namespace PeerManagement;

/// <summary>
/// The state of one token bucket with a slow-down tier: the algorithm behind <see cref="PeerRateLimiter"/> and
/// each partition of <see cref="PeerPartitionedRateLimiter{TKey}"/>. This part decides: refill, taking tokens,
/// the soft-limit window and the retry-after time. Waiting callers (queue, timer, delays) are in
/// <c>TokenBucket.Waiting.cs</c>, in a separate object created on first use, so an idle bucket stays small.
/// Members named <c>*Locked</c> must be called with <see cref="TokenBucketSettings.Gate"/> held; the rest take
/// it themselves.
/// </summary>
internal partial class TokenBucket
{
    // Contents in units (see TokenBucketSettings). While the bucket is full, _last is the time it became full
    // (refill stops there); otherwise the time refill was last counted up to. The settings are passed in, not
    // stored, to keep a partition small.
    // Sentinels of ReadyAt: not worked out yet, and too far to fit in 64 bits (then the retry-after is computed at once).
    private const long NotComputed = long.MinValue;
    private const long Overflow = long.MaxValue;

    private long _units;
    private long _last;
    private long _windowStart;
    private int _windowCount;
    private bool _closed;
    private long _successful;
    private long _failed;
    private WaitState? _wait;
    private PeerRejectedLease? _rejected;

    // The last rejection, for TryRejectFast to hand out again without the lock; null as soon as anything that could
    // move its instant changes (tokens taken or given back, the queue, closing). Refill does not move it.
    private PeerRejectedLease? _fastReject;

    public TokenBucket(TokenBucketSettings settings, long now)
    {
        _units = settings.Capacity;
        _last = now;
    }

    public bool IsClosedLocked => _closed;

    /// <summary>Whether nobody waits on this bucket (neither queued nor serving a delay).</summary>
    public bool HasNoWaitersLocked => _wait is null || (_wait.Queue.Count == 0 && _wait.Delaying == 0);

    /// <summary>
    /// Without the lock: the last rejection again when nothing has changed since and the permits it waits for are
    /// surely not back yet (a flood of rejections then costs no lock and no precise clock read); otherwise
    /// <see langword="null"/>, and the caller decides under the lock.
    /// </summary>
    public PeerRejectedLease? TryRejectFast(TokenBucketSettings s, int permitCount)
    {
        var cached = Volatile.Read(ref _fastReject);
        if (cached is null || cached.PermitCount != permitCount || !s.IsSurelyBefore(cached))
        {
            return null;
        }

        Interlocked.Increment(ref _failed);
        return cached;
    }

    public RateLimitLease AttemptAcquireLocked(TokenBucketSettings s, int permitCount, long now)
    {
        if (permitCount == 0)
        {
            Refill(s, s.IsCoarse ? s.GetPreciseTimestampLocked() : now);
            return _units >= s.WindowUnits && CanBypassQueue(s) ? PeerRateLimitLease.Success : PeerRateLimitLease.Failed;
        }

        var readyAt = NotComputed;
        if (CanBypassQueue(s))
        {
            if (TryTake(s, permitCount, now, out var delayed))
            {
                _successful++;
                return delayed ? s.DelayedLease : PeerRateLimitLease.Success;
            }

            // A coarse reading may be up to one OS tick old: re-read precisely before rejecting, unless the
            // permits are further off than any tick lasts (an attacker's flood then costs no clock read).
            if (s.IsCoarse)
            {
                readyAt = ReadyAt(s, permitCount);
                if (!s.IsSurelyAfterNowLocked(readyAt, now))
                {
                    if (TryTake(s, permitCount, now = s.GetPreciseTimestampLocked(), out delayed))
                    {
                        _successful++;
                        return delayed ? s.DelayedLease : PeerRateLimitLease.Success;
                    }

                    readyAt = NotComputed;
                }
            }
        }

        Interlocked.Increment(ref _failed);
        return Reject(s, permitCount, now, readyAt);
    }

    public RateLimiterStatistics GetStatisticsLocked(TokenBucketSettings s, long now)
    {
        Refill(s, now);
        return new RateLimiterStatistics
        {
            CurrentAvailablePermits = _units / s.WindowUnits,
            CurrentQueuedCount = _wait?.QueuedPermits ?? 0,
            TotalSuccessfulLeases = _successful,
            TotalFailedLeases = Interlocked.Read(ref _failed),
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

    private bool CanBypassQueue(TokenBucketSettings s)
        => _wait is null || _wait.Queue.Count == 0 || s.Order == QueueProcessingOrder.NewestFirst;

    private void AddBack(TokenBucketSettings s, long units)
    {
        _fastReject = null;
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
        if (_units < s.Capacity && !RefillBeforeTake(s, now))
        {
            var needed = permitCount * s.WindowUnits;
            if (_units < needed)
            {
                delayed = false;
                return false;
            }

            _units -= needed;
        }
        else
        {
            // Full (permitCount ≤ MaxTokens always fits): leaving full, refill counts from now.
            if (now > _last)
            {
                _last = now;
            }

            _units -= permitCount * s.WindowUnits;
        }

        if (_fastReject is not null)
        {
            _fastReject = null;
        }

        delayed = s.SoftTier && CountInWindow(s, permitCount, now);
        return true;
    }

    // Refill of a bucket that is not full, before a take: returns whether it is full now, leaving _last for the
    // take to set (the exact instant it became full, which Refill works out by a division, does not matter then).
    private bool RefillBeforeTake(TokenBucketSettings s, long now)
    {
        var elapsed = now - _last;
        if (elapsed < s.TickDivisor)
        {
            return false;
        }

        var units = s.TickDivisor == 1 ? elapsed : elapsed / s.TickDivisor;
        if (units >= s.WindowUnits)
        {
            _units = s.Capacity;
            return true;
        }

        var next = _units + (units * s.MaxTokens);
        if (next >= s.Capacity)
        {
            _units = s.Capacity;
            return true;
        }

        _units = next;
        _last += s.TickDivisor == 1 ? elapsed : units * s.TickDivisor;
        return false;
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

    // When the bucket will hold these permits and every permit queued before them; Overflow when that does not fit in 64 bits.
    private long ReadyAt(TokenBucketSettings s, int permitCount)
    {
        var permits = (long)permitCount + (_wait?.QueuedPermits ?? 0);
        if (permits > s.MaxTokens)
        {
            return Overflow;
        }

        // Fits in 64 bits: permits × WindowUnits ≤ Capacity.
        var missingUnits = (permits * s.WindowUnits) - _units;
        var units = (missingUnits + s.MaxTokens - 1) / s.MaxTokens;
        return _last + (units * s.TickDivisor);
    }

    // Retry-after: the time to ReadyAt, worked out when read. The failed lease is kept and handed out again while
    // that instant stays the same, so a flood of rejections allocates nothing.
    private RateLimitLease Reject(TokenBucketSettings s, int permitCount, long now, long readyAt = NotComputed)
    {
        if (readyAt == NotComputed)
        {
            readyAt = ReadyAt(s, permitCount);
        }

        if (readyAt != Overflow)
        {
            var surelyBeforeTick = s.SurelyBeforeTickLocked(readyAt);
            if (_rejected is not { } cached || cached.ReadyAt != readyAt || surelyBeforeTick - cached.SurelyBeforeTick > TokenBucketSettings.HorizonRefreshMilliseconds)
            {
                // A new instant, or the old lease's lock-free horizon is well behind: a new lease (about one per
                // horizon while a flood of rejections lasts).
                _rejected = cached = new PeerRejectedLease(s, readyAt, permitCount, surelyBeforeTick);
            }

            Volatile.Write(ref _fastReject, cached);
            return cached;
        }

        var permits = (long)permitCount + (_wait?.QueuedPermits ?? 0);
        var missing = ((Int128)permits * s.WindowUnits) - _units;
        var timeUnits = (missing + s.MaxTokens - 1) / s.MaxTokens;
        return PeerRateLimitLease.Rejected(s.ToTimeSpanCeiling((timeUnits * s.TickDivisor) - (now - _last)));
    }
}
