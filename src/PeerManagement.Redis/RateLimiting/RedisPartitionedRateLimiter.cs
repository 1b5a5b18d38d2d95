using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace PeerManagement.Redis;

/// <summary>
/// A fleet-wide rate limiter: one token bucket per key in Redis, shared by every instance of the fleet (the key
/// prefix of <see cref="PeerManagementRedisOptions.KeyPrefix"/>), with the semantics of
/// <see cref="PeerPartitionedRateLimiter{TKey}"/>: continuous refill of <see cref="RateLimitingOptions.MaxTokens"/>
/// per <see cref="RateLimitingOptions.Window"/>, the soft limit (<see cref="RateLimitingOptions.DelayAfter"/>,
/// <see cref="RateLimitingOptions.Delay"/>: a granted lease carries <see cref="PeerRateLimiterMetadata.Delay"/> from
/// <c>AttemptAcquire</c>, and <c>AcquireAsync</c> waits it out) and an exact <see cref="MetadataName.RetryAfter"/> on
/// rejection. Each decision is one script run on Redis (one round trip), timed by Redis's clock so the instances
/// agree; an idle key expires. Calls never queue (<see cref="RateLimitingOptions.QueueLimit"/> is not used). While
/// Redis cannot be reached, decisions follow <see cref="PeerManagementRedisOptions.LimiterFailureMode"/>. A key is
/// told apart by its <see cref="object.ToString"/>, which must therefore be unique per key (as
/// <see cref="NetworkPrefix"/>'s is).
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
public sealed class RedisPartitionedRateLimiter<TKey> : PartitionedRateLimiter<TKey>
    where TKey : notnull
{
    private readonly RedisFleetConnection _connection;
    private readonly bool _ownsConnection;
    private readonly PeerPartitionedRateLimiter<TKey>? _local;
    private readonly TimeProvider _timeProvider;
    private readonly Func<long>? _clockMicros;
    private readonly RedisValue _max;
    private readonly RedisValue _windowUnits;
    private readonly RedisValue _divisor;
    private readonly RedisValue _delayAfter;
    private readonly RedisValue _soft;
    private readonly RedisLimitDecision _decision;
    private int _disposed;

    /// <summary>Creates a limiter on a connection the caller owns.</summary>
    /// <param name="multiplexer">The connection to Redis; not disposed with the limiter.</param>
    /// <param name="limits">The limits (as for the local limiter).</param>
    /// <param name="redisOptions">The key prefix and the behaviour while Redis is down.</param>
    /// <param name="timeProvider">The clock soft-limit delays are waited on; the system clock when <see langword="null"/>.</param>
    /// <param name="loggerFactory">Where outages are logged; <see langword="null"/> for nowhere.</param>
    /// <param name="meterFactory">Creates the meter its decisions are counted on; <see langword="null"/> for a meter of its own.</param>
    /// <exception cref="ArgumentNullException">A required argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range (as for <see cref="PeerPartitionedRateLimiter{TKey}"/>).</exception>
    public RedisPartitionedRateLimiter(
        IConnectionMultiplexer multiplexer,
        RateLimitingOptions limits,
        PeerManagementRedisOptions redisOptions,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null)
        : this(new RedisFleetConnection(multiplexer, ownsMultiplexer: false, redisOptions, loggerFactory, meterFactory), ownsConnection: true, limits, timeProvider, meterFactory, clockMicros: null)
    {
    }

    /// <summary>Creates a limiter on the fleet's connection; <paramref name="clockMicros"/> replaces Redis's clock (tests).</summary>
    internal RedisPartitionedRateLimiter(RedisFleetConnection connection, bool ownsConnection, RateLimitingOptions limits, TimeProvider? timeProvider, IMeterFactory? meterFactory, Func<long>? clockMicros)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(limits);
        _decision = RedisLimitDecision.From(limits);
        _connection = connection;
        _ownsConnection = ownsConnection;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _clockMicros = clockMicros;
        _local = connection.Options.LimiterFailureMode == RedisLimiterFailureMode.Local
            ? new PeerPartitionedRateLimiter<TKey>(limits, _timeProvider, meterFactory: meterFactory)
            : null;
        _max = limits.MaxTokens;
        _windowUnits = _decision.WindowUnits;
        _divisor = _decision.Divisor;
        _delayAfter = limits.DelayAfter;
        _soft = limits.Delay > TimeSpan.Zero ? 1 : 0;
    }

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics(TKey resource) => null;

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permitCount"/> is negative or above <c>MaxTokens</c>.</exception>
    /// <exception cref="ObjectDisposedException">The limiter is disposed.</exception>
    protected override RateLimitLease AttemptAcquireCore(TKey resource, int permitCount)
    {
        CheckPermits(permitCount);
        RedisResult result;
        try
        {
            result = _connection.Database.ScriptEvaluate(RedisTokenBucketScript.Text, [KeyOf(resource)], Arguments(permitCount));
        }
        catch (Exception ex) when (_connection.ReportFailure(ex, "limiter"))
        {
            return Fallback(resource, permitCount);
        }

        _connection.ReportSuccess();
        return Decide(result, permitCount);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permitCount"/> is negative or above <c>MaxTokens</c>.</exception>
    /// <exception cref="ObjectDisposedException">The limiter is disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(TKey resource, int permitCount, CancellationToken cancellationToken)
    {
        CheckPermits(permitCount);
        cancellationToken.ThrowIfCancellationRequested();
        RedisResult result;
        try
        {
            var evaluation = _connection.Database.ScriptEvaluateAsync(RedisTokenBucketScript.Text, [KeyOf(resource)], Arguments(permitCount));
            result = await (cancellationToken.CanBeCanceled ? evaluation.WaitAsync(cancellationToken) : evaluation).ConfigureAwait(false);
        }
        catch (Exception ex) when (_connection.ReportFailure(ex, "limiter"))
        {
            return _local is not null
                ? await _local.AcquireAsync(resource, permitCount, cancellationToken).ConfigureAwait(false)
                : RedisRateLimitLease.Rejected(_connection.Options.ReconnectRetryAfter);
        }

        _connection.ReportSuccess();
        var lease = Decide(result, permitCount);
        if (lease.TryGetMetadata(PeerRateLimiterMetadata.Delay, out var delay) && delay > TimeSpan.Zero)
        {
            // As the local limiter's AcquireAsync: the caller gets a plain lease once the delay is served.
            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
            return RedisRateLimitLease.Success;
        }

        return lease;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing || Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _local?.Dispose();
        if (_ownsConnection)
        {
            _connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _local?.Dispose();
        if (_ownsConnection)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private RedisKey KeyOf(TKey resource) => _connection.Key("rl:" + resource);

    private RedisValue[] Arguments(int permitCount)
        => [_max, _windowUnits, _divisor, _delayAfter, _soft, permitCount, _clockMicros?.Invoke() ?? -1];

    private RateLimitLease Decide(RedisResult result, int permitCount)
    {
        var reply = (long[])result!;
        RateLimitLease lease = reply[0] switch
        {
            RedisTokenBucketScript.Granted => RedisRateLimitLease.Success,
            RedisTokenBucketScript.Delayed => _decision.DelayedLease,
            _ when permitCount == 0 => RedisRateLimitLease.Failed,
            _ => RedisRateLimitLease.Rejected(TimeSpan.FromTicks(reply[1] * 10)),
        };
        if (permitCount != 0)
        {
            _connection.Metrics.RecordDecision(reply[0] switch
            {
                RedisTokenBucketScript.Granted => "granted",
                RedisTokenBucketScript.Delayed => "delayed",
                _ => "rejected",
            });
        }

        return lease;
    }

    private RateLimitLease Fallback(TKey resource, int permitCount)
        => _local?.AttemptAcquire(resource, permitCount) ?? RedisRateLimitLease.Rejected(_connection.Options.ReconnectRetryAfter);

    private void CheckPermits(int permitCount)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, _decision.MaxTokens);
    }
}
