using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;

namespace PeerManagement;

/// <summary>
/// The validated, immutable settings of one limiter, shared by all its token buckets (one per partition), with
/// the lock that guards them, the leases that never change and the decision counter.
/// </summary>
internal sealed class TokenBucketSettings
{
    // Bucket contents are kept in "units": one token is WindowUnits units and each time unit adds MaxTokens
    // units, so continuous refill is exact integer arithmetic. Capacity must leave room for additions.
    private const long MaxCapacity = long.MaxValue / 4;

    public TokenBucketSettings(RateLimitingOptions options, TimeProvider? timeProvider, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxTokens, "MaxTokens must be at least 1.");
        }

        if (options.Window <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Window, "Window must be positive.");
        }

        if (options.DelayAfter < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.DelayAfter, "DelayAfter must not be negative.");
        }

        if (options.Delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Delay, "Delay must not be negative.");
        }

        if (options.QueueLimit < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.QueueLimit, "QueueLimit must not be negative.");
        }

        if (options.MaxPartitions < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxPartitions, "MaxPartitions must be at least 1.");
        }

        if (options.PartitionIdleTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.PartitionIdleTimeout, "PartitionIdleTimeout must be positive.");
        }

        TimeProvider = timeProvider ?? TimeProvider.System;
        _useStopwatch = ReferenceEquals(TimeProvider, TimeProvider.System);
        Frequency = TimeProvider.TimestampFrequency;
        _coarseSlack = ToTimestampTicks(CoarseSlack);
        MaxTokens = options.MaxTokens;
        Window = options.Window;
        WindowTicks = Math.Max(1, ToTimestampTicks(options.Window));
        var capacity = (Int128)MaxTokens * WindowTicks;
        TickDivisor = capacity <= MaxCapacity ? 1 : (long)((capacity + MaxCapacity - 1) / MaxCapacity);
        WindowUnits = Math.Max(1, WindowTicks / TickDivisor);
        Capacity = MaxTokens * WindowUnits;
        DelayAfter = options.DelayAfter;
        Delay = options.Delay;
        SoftTier = options.Delay > TimeSpan.Zero;
        QueueLimit = options.QueueLimit;
        Order = options.QueueProcessingOrder;
        MaxPartitions = options.MaxPartitions;
        PartitionIdleTimeout = options.PartitionIdleTimeout;
        DelayedLease = PeerRateLimitLease.Delayed(options.Delay);
        Metrics = new RateLimiterMetrics(meterFactory);
    }

    // Longer than an OS tick lasts anywhere (1-16 ms): a refill further off than this cannot be due yet.
    private static readonly TimeSpan CoarseSlack = TimeSpan.FromMilliseconds(50);

    private readonly bool _useStopwatch;
    private readonly long _coarseSlack;

    // The system clock costs tens of nanoseconds per read on some machines (e.g. kvm-clock), more than the rest
    // of an acquisition. Under the lock, a precise reading is reused while the OS tick count has not moved.
    private long _cachedTick = long.MinValue;
    private long _cachedNow;

    public Lock Gate { get; } = new();

    public TimeProvider TimeProvider { get; }

    public long Frequency { get; }

    public int MaxTokens { get; }

    public TimeSpan Window { get; }

    /// <summary>The window in timestamp ticks.</summary>
    public long WindowTicks { get; }

    /// <summary>Timestamp ticks per time unit (1 unless MaxTokens × window would not fit in 64 bits).</summary>
    public long TickDivisor { get; }

    /// <summary>The window in time units; also the units of one token.</summary>
    public long WindowUnits { get; }

    /// <summary>A full bucket, in units.</summary>
    public long Capacity { get; }

    public int DelayAfter { get; }

    public TimeSpan Delay { get; }

    /// <summary>Whether the soft limit applies (a positive delay).</summary>
    public bool SoftTier { get; }

    public int QueueLimit { get; }

    public QueueProcessingOrder Order { get; }

    public int MaxPartitions { get; }

    public TimeSpan PartitionIdleTimeout { get; }

    /// <summary>The granted lease that carries <see cref="Delay"/>; shared, since the delay never changes.</summary>
    public PeerRateLimitLease DelayedLease { get; }

    /// <summary>Counts the limiter's decisions; disposed with the limiter.</summary>
    public RateLimiterMetrics Metrics { get; }

    /// <summary>Whether <see cref="GetTimestampLocked(long)"/> may be up to one OS tick old (system clock only).</summary>
    public bool IsCoarse => _useStopwatch;

    /// <summary>
    /// The time now, for decisions that may be conservative (granting): on the system clock, a precise reading
    /// taken within the current OS tick (1-16 ms), so never later than the true time. Call under <see cref="Gate"/>.
    /// </summary>
    public long GetTimestampLocked() => GetTimestampLocked(Environment.TickCount64);

    /// <summary>As <see cref="GetTimestampLocked()"/>, with the OS tick count read before taking the lock.</summary>
    public long GetTimestampLocked(long tick)
    {
        if (!_useStopwatch)
        {
            return TimeProvider.GetTimestamp();
        }

        if (tick != _cachedTick)
        {
            _cachedNow = Stopwatch.GetTimestamp();
            _cachedTick = tick;
        }

        return _cachedNow;
    }

    /// <summary>The precise time now, without touching the cached reading (any thread, no lock).</summary>
    public long GetTimestampNow() => _useStopwatch ? Stopwatch.GetTimestamp() : TimeProvider.GetTimestamp();

    /// <summary>
    /// Whether <paramref name="readyAt"/> is surely later than the true time, given <paramref name="now"/> from
    /// <see cref="GetTimestampLocked(long)"/>: the cached reading is from the current OS tick and the instant is
    /// further off than any tick lasts, so a precise reading could not change a rejection. Call under <see cref="Gate"/>.
    /// </summary>
    public bool IsSurelyAfterNowLocked(long readyAt, long now)
        => _useStopwatch && readyAt - now > _coarseSlack && Environment.TickCount64 == _cachedTick;

    /// <summary>How far ahead (in milliseconds) a rejection may be handed out without the lock; see <see cref="SurelyBeforeTickLocked"/>.</summary>
    public const long FastRejectHorizonMilliseconds = 10_000;

    /// <summary>How much later a horizon must reach before a rejection gets a new lease for it.</summary>
    public const long HorizonRefreshMilliseconds = 1_000;

    /// <summary>
    /// On the system clock, the last OS tick count (<see cref="Environment.TickCount64"/>) at which
    /// <paramref name="readyAt"/> is surely still ahead, from the cached precise reading and its tick: the OS tick
    /// count lags the precise clock by less than one OS tick (1-16 ms), which the 50 ms slack covers. At most
    /// <see cref="FastRejectHorizonMilliseconds"/> ahead, so that the two clocks cannot drift apart meanwhile.
    /// <see cref="long.MinValue"/> on other clocks (read exactly instead, see <see cref="IsSurelyBefore"/>).
    /// Call under <see cref="Gate"/>.
    /// </summary>
    public long SurelyBeforeTickLocked(long readyAt)
    {
        if (!_useStopwatch || _cachedTick == long.MinValue)
        {
            return long.MinValue;
        }

        var ahead = readyAt - _cachedNow - _coarseSlack;
        if (ahead < 0)
        {
            return long.MinValue;
        }

        var milliseconds = Math.Min(ahead / Math.Max(1, Frequency / 1000), FastRejectHorizonMilliseconds);
        return _cachedTick + milliseconds;
    }

    /// <summary>
    /// Whether the instant a rejection waits for is surely still ahead (any thread, no lock): on the system clock,
    /// by the OS tick count against its <see cref="PeerRejectedLease.SurelyBeforeTick"/>; on other clocks, exactly.
    /// </summary>
    public bool IsSurelyBefore(PeerRejectedLease lease)
        => _useStopwatch ? Environment.TickCount64 <= lease.SurelyBeforeTick : TimeProvider.GetTimestamp() < lease.ReadyAt;

    /// <summary>The precise time now (before a rejection, in timers). Call under <see cref="Gate"/>.</summary>
    public long GetPreciseTimestampLocked()
    {
        if (!_useStopwatch)
        {
            return TimeProvider.GetTimestamp();
        }

        _cachedTick = Environment.TickCount64;
        _cachedNow = Stopwatch.GetTimestamp();
        return _cachedNow;
    }

    /// <summary>Throws when <paramref name="permitCount"/> is above <see cref="MaxTokens"/> (small enough to be inlined on every acquisition).</summary>
    public void CheckPermits(int permitCount)
    {
        if (permitCount > MaxTokens)
        {
            ThrowTooManyPermits(permitCount, MaxTokens);
        }
    }

    [DoesNotReturn]
    private static void ThrowTooManyPermits(int permitCount, int maxTokens)
        => throw new ArgumentOutOfRangeException(nameof(permitCount), permitCount, $"permitCount must not be above MaxTokens ({maxTokens}).");

    /// <summary>
    /// Counts a decision (granted, delayed or rejected) on a request for permits; a zero-permit probe is not a
    /// request and is not counted. Call outside <see cref="Gate"/>.
    /// </summary>
    public void RecordDecision(RateLimitLease lease, int permitCount)
    {
        if (permitCount != 0 && Metrics.Enabled)
        {
            Metrics.Record(!lease.IsAcquired ? RateLimiterMetrics.Rejected : ReferenceEquals(lease, DelayedLease) ? RateLimiterMetrics.Delayed : RateLimiterMetrics.Granted);
        }
    }

    public long ToTimestampTicks(TimeSpan duration)
    {
        var ticks = (Int128)duration.Ticks * Frequency / TimeSpan.TicksPerSecond;
        return ticks > long.MaxValue / 2 ? long.MaxValue / 2 : (long)ticks;
    }

    /// <summary>Timestamp ticks as a duration, rounded up so that waiting it is always long enough.</summary>
    public TimeSpan ToTimeSpanCeiling(long timestampTicks)
    {
        if (timestampTicks <= 0)
        {
            return TimeSpan.Zero;
        }

        if (Frequency == TimeSpan.TicksPerSecond)
        {
            return TimeSpan.FromTicks(timestampTicks);
        }

        if (Frequency % TimeSpan.TicksPerSecond == 0)
        {
            // E.g. a nanosecond clock: a plain division.
            var per = Frequency / TimeSpan.TicksPerSecond;
            return TimeSpan.FromTicks((timestampTicks + per - 1) / per);
        }

        return ToTimeSpanCeiling((Int128)timestampTicks);
    }

    /// <summary>Timestamp ticks as a duration, rounded up so that waiting it is always long enough.</summary>
    public TimeSpan ToTimeSpanCeiling(Int128 timestampTicks)
    {
        if (timestampTicks <= 0)
        {
            return TimeSpan.Zero;
        }

        var ticks = ((timestampTicks * TimeSpan.TicksPerSecond) + Frequency - 1) / Frequency;
        return ticks >= TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Timestamp ticks as a duration, rounded down.</summary>
    public TimeSpan ToTimeSpanFloor(long timestampTicks)
        => timestampTicks <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)((Int128)timestampTicks * TimeSpan.TicksPerSecond / Frequency));
}
