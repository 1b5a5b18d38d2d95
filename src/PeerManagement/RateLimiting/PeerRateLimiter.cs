using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;

namespace PeerManagement;

/// <summary>
/// A token bucket with a slow-down tier, driven by a <see cref="TimeProvider"/>.
/// <list type="bullet">
/// <item>Hard limit: <see cref="RateLimitingOptions.MaxTokens"/> tokens, refilled continuously at
/// <c>MaxTokens</c> per <see cref="RateLimitingOptions.Window"/>. No token: a failed lease whose
/// <see cref="MetadataName.RetryAfter"/> is the exact time until enough tokens (for this request and the ones
/// queued before it) are back.</item>
/// <item>Soft limit: a window starts at the first acquisition after the previous window ended; in it the first
/// <see cref="RateLimitingOptions.DelayAfter"/> permits are granted at once and each later acquisition is granted
/// after <see cref="RateLimitingOptions.Delay"/>. <see cref="RateLimiter.AcquireAsync(int, CancellationToken)"/>
/// waits the delay itself; <see cref="RateLimiter.AttemptAcquire(int)"/> returns a granted lease carrying
/// <see cref="PeerRateLimiterMetadata.Delay"/> for the caller to apply. A delay of zero turns the tier off.</item>
/// <item>Queueing as in the BCL's limiters: up to <see cref="RateLimitingOptions.QueueLimit"/> permits wait for
/// tokens in <see cref="RateLimitingOptions.QueueProcessingOrder"/>.</item>
/// </list>
/// Thread-safe. Granted and rejected-without-queue decisions take one short lock and allocate nothing except the
/// failed lease that carries the retry-after time; a rejection while nothing has changed since the last one takes
/// no lock and hands out the same lease. Every decision on a request for permits is counted on the meter
/// <see cref="PeerManagementDiagnostics.MeterName"/> (<c>peermanagement.rate_limiter.decisions</c>, tag
/// <c>decision</c>: granted, delayed or rejected), whoever asks.
/// </summary>
/// <remarks><see cref="RateLimitingOptions.Enabled"/> is not consulted: this limiter always limits.</remarks>
public sealed class PeerRateLimiter : ReplenishingRateLimiter
{
    private readonly TokenBucketSettings _settings;
    private readonly TokenBucket _bucket;

    /// <summary>Creates a limiter with a full bucket.</summary>
    /// <param name="options">The settings; copied, later changes have no effect.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the meter the decisions are counted on; when <see langword="null"/>, a meter of the limiter's own, disposed with it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range (the message names it).</exception>
    public PeerRateLimiter(RateLimitingOptions options, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
    {
        _settings = new TokenBucketSettings(options, timeProvider, meterFactory);
        _bucket = new TokenBucket(_settings, _settings.GetPreciseTimestampLocked());
    }

    /// <summary>Always <see langword="true"/>: tokens come back continuously with the clock, no call is needed.</summary>
    public override bool IsAutoReplenishing => true;

    /// <summary>The time in which one token comes back (<c>Window / MaxTokens</c>).</summary>
    public override TimeSpan ReplenishmentPeriod => _settings.Window / _settings.MaxTokens;

    /// <summary>
    /// How long the bucket has been full with nobody waiting and the soft-limit window over, or
    /// <see langword="null"/> while it is in use.
    /// </summary>
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_settings.Gate)
            {
                return _bucket.GetIdleDurationLocked(_settings, _settings.GetPreciseTimestampLocked());
            }
        }
    }

    /// <summary>Does nothing: refill is continuous.</summary>
    /// <returns>Always <see langword="false"/>.</returns>
    public override bool TryReplenish() => false;

    /// <summary>The available tokens, queued permits and lease counts now.</summary>
    /// <returns>The statistics.</returns>
    /// <exception cref="ObjectDisposedException">The limiter is disposed.</exception>
    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_settings.Gate)
        {
            ObjectDisposedException.ThrowIf(_bucket.IsClosedLocked, this);
            return _bucket.GetStatisticsLocked(_settings, _settings.GetPreciseTimestampLocked());
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permitCount"/> is above <c>MaxTokens</c>.</exception>
    /// <exception cref="ObjectDisposedException">The limiter is disposed.</exception>
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        _settings.CheckPermits(permitCount);
        RateLimitLease? lease;
        if (permitCount != 0 && (lease = _bucket.TryRejectFast(_settings, permitCount)) is not null)
        {
            _settings.RecordDecision(lease, permitCount);
            return lease;
        }

        var tick = Environment.TickCount64;
        lock (_settings.Gate)
        {
            ObjectDisposedException.ThrowIf(_bucket.IsClosedLocked, this);
            lease = _bucket.AttemptAcquireLocked(_settings, permitCount, _settings.GetTimestampLocked(tick));
        }

        _settings.RecordDecision(lease, permitCount);
        return lease;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permitCount"/> is above <c>MaxTokens</c>.</exception>
    /// <exception cref="ObjectDisposedException">The limiter is disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        _settings.CheckPermits(permitCount);
        var tick = Environment.TickCount64;
        RateLimitLease? lease;
        TokenBucket.Waiter? waiter;
        lock (_settings.Gate)
        {
            ObjectDisposedException.ThrowIf(_bucket.IsClosedLocked, this);
            lease = _bucket.AcquireLocked(_settings, permitCount, _settings.GetTimestampLocked(tick), cancellationToken, out waiter);
        }

        return _bucket.Continue(_settings, lease, waiter, permitCount, cancellationToken);
    }

    /// <summary>Fails queued waiters and ends delays with failed leases. Idempotent.</summary>
    /// <param name="disposing">Whether called from <see cref="IDisposable.Dispose"/>.</param>
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        CancellationTokenSource? closing;
        lock (_settings.Gate)
        {
            closing = _bucket.CloseLocked();
        }

        closing?.Cancel();
        _settings.Metrics.Dispose();
    }

    /// <summary>Same as <see cref="Dispose(bool)"/>.</summary>
    /// <returns>A completed task.</returns>
    protected override ValueTask DisposeAsyncCore()
    {
        Dispose(true);
        return default;
    }
}
