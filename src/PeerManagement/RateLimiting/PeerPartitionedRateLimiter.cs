using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using System.Threading.RateLimiting;

namespace PeerManagement;

/// <summary>
/// One <see cref="PeerRateLimiter"/>-style token bucket per key (a caller's <see cref="NetworkPrefix"/>, a peer
/// host, or any key), with a bounded number of live partitions: at most
/// <see cref="RateLimitingOptions.MaxPartitions"/> keys are tracked; creating one more evicts the least recently
/// used partition that is idle (bucket full, nobody waiting, soft-limit window over), or, if none of the least
/// recently used few is idle, the least recently used one (its waiters get failed leases). Partitions idle for
/// <see cref="RateLimitingOptions.PartitionIdleTimeout"/> are dropped. A key whose partition was dropped starts
/// again with a full bucket and a fresh soft-limit window, exactly as a new key does, so eviction never lets a
/// caller do more than a never-seen caller could.
/// </summary>
/// <typeparam name="TKey">The key type; compared with the given comparer.</typeparam>
/// <remarks>
/// Thread-safe. One lock guards the key map and the buckets, so an acquisition is one lookup and one short lock
/// with no allocation when granted; a partition costs one small object and one map entry. Decisions are counted
/// as by <see cref="PeerRateLimiter"/>. PeerManagement keys its limiter by <see cref="NetworkPrefix"/>
/// (<see cref="PeerBuckets.GetInternalNetwork"/>: an IPv4 address, an IPv6 /64).
/// </remarks>
public sealed class PeerPartitionedRateLimiter<TKey> : PartitionedRateLimiter<TKey>
    where TKey : notnull
{
    // How many of the least recently used partitions are looked at for an idle one before evicting the oldest.
    private const int EvictionScan = 8;

    private readonly TokenBucketSettings _settings;
    private readonly Dictionary<TKey, Partition> _partitions;
    private readonly long _idleTimeoutTicks;
    private readonly ITimer _pruneTimer;
    private Partition? _newest;
    private Partition? _oldest;

    // The partition of the last rejection: a flood from one key is answered without the lock while that partition
    // is still the most recently used (so skipping the LRU update changes nothing) and its bucket unchanged.
    private Partition? _lastRejected;
    private List<CancellationTokenSource>? _toCancel;
    private long _evictions;
    private bool _disposed;

    /// <summary>Creates an empty limiter.</summary>
    /// <param name="options">The settings of every partition and the partition bounds; copied.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="comparer">Compares keys; the default comparer when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the meter the decisions are counted on; when <see langword="null"/>, a meter of the limiter's own, disposed with it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range (the message names it).</exception>
    public PeerPartitionedRateLimiter(RateLimitingOptions options, TimeProvider? timeProvider = null, IEqualityComparer<TKey>? comparer = null, IMeterFactory? meterFactory = null)
    {
        _settings = new TokenBucketSettings(options, timeProvider, meterFactory);
        _partitions = new Dictionary<TKey, Partition>(comparer);
        _idleTimeoutTicks = Math.Max(1, _settings.ToTimestampTicks(_settings.PartitionIdleTimeout));
        var period = _settings.PartitionIdleTimeout;
        _pruneTimer = _settings.TimeProvider.CreateTimer(static state => ((PeerPartitionedRateLimiter<TKey>)state!).Prune(), this, period, period);
    }

    /// <summary>How many partitions are live now (at most <see cref="RateLimitingOptions.MaxPartitions"/>).</summary>
    public int PartitionCount
    {
        get
        {
            lock (_settings.Gate)
            {
                return _partitions.Count;
            }
        }
    }

    /// <summary>How many partitions were evicted to make room for new keys (idle expiry not counted).</summary>
    public long EvictionCount => Interlocked.Read(ref _evictions);

    /// <summary>The statistics of a key's partition; a key without one reports a full bucket.</summary>
    /// <param name="resource">The key.</param>
    /// <returns>The statistics.</returns>
    /// <exception cref="ObjectDisposedException">The limiter is disposed.</exception>
    public override RateLimiterStatistics? GetStatistics(TKey resource)
    {
        lock (_settings.Gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _settings.GetPreciseTimestampLocked();
            return _partitions.TryGetValue(resource, out var partition)
                ? partition.GetStatisticsLocked(_settings, now)
                : new RateLimiterStatistics { CurrentAvailablePermits = _settings.MaxTokens };
        }
    }

    /// <summary>Drops every partition idle for at least the idle timeout (also done by a timer).</summary>
    /// <returns>How many were dropped.</returns>
    public int Prune()
    {
        var dropped = 0;
        lock (_settings.Gate)
        {
            if (_disposed)
            {
                return 0;
            }

            var now = _settings.GetPreciseTimestampLocked();
            for (var partition = _oldest; partition is not null;)
            {
                var next = partition.Newer;
                if (IsExpired(partition, now))
                {
                    RemoveLocked(partition);
                    dropped++;
                }

                partition = next;
            }
        }

        FlushCancels();
        return dropped;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permitCount"/> is above <c>MaxTokens</c>.</exception>
    /// <exception cref="ObjectDisposedException">The limiter is disposed.</exception>
    protected override RateLimitLease AttemptAcquireCore(TKey resource, int permitCount)
    {
        _settings.CheckPermits(permitCount);
        RateLimitLease? lease;
        if (permitCount != 0
            && Volatile.Read(ref _lastRejected) is { } last
            && ReferenceEquals(last, Volatile.Read(ref _newest))
            && _partitions.Comparer.Equals(last.Key, resource)
            && (lease = last.TryRejectFast(_settings, permitCount)) is not null)
        {
            _settings.RecordDecision(lease, permitCount);
            return lease;
        }

        var tick = Environment.TickCount64;
        lock (_settings.Gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _settings.GetTimestampLocked(tick);
            var partition = GetPartitionLocked(resource, now);
            lease = partition.AttemptAcquireLocked(_settings, permitCount, now);
            if (!lease.IsAcquired && permitCount != 0)
            {
                Volatile.Write(ref _lastRejected, partition);
            }
        }

        if (_toCancel is not null)
        {
            FlushCancels();
        }

        _settings.RecordDecision(lease, permitCount);
        return lease;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permitCount"/> is above <c>MaxTokens</c>.</exception>
    /// <exception cref="ObjectDisposedException">The limiter is disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(TKey resource, int permitCount, CancellationToken cancellationToken)
    {
        _settings.CheckPermits(permitCount);
        var tick = Environment.TickCount64;
        Partition partition;
        RateLimitLease? lease;
        TokenBucket.Waiter? waiter;
        lock (_settings.Gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _settings.GetTimestampLocked(tick);
            partition = GetPartitionLocked(resource, now);
            lease = partition.AcquireLocked(_settings, permitCount, now, cancellationToken, out waiter);
        }

        if (_toCancel is not null)
        {
            FlushCancels();
        }

        return partition.Continue(_settings, lease, waiter, permitCount, cancellationToken);
    }

    /// <summary>Drops every partition, failing its waiters. Idempotent.</summary>
    /// <param name="disposing">Whether called from <see cref="IDisposable.Dispose"/>.</param>
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        lock (_settings.Gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            while (_oldest is { } partition)
            {
                RemoveLocked(partition);
            }
        }

        _pruneTimer.Dispose();
        FlushCancels();
        _settings.Metrics.Dispose();
    }

    /// <summary>Same as <see cref="Dispose(bool)"/>.</summary>
    /// <returns>A completed task.</returns>
    protected override ValueTask DisposeAsyncCore()
    {
        Dispose(true);
        return default;
    }

    private bool IsExpired(Partition partition, long now)
        => partition.GetIdleDurationLocked(_settings, now) is { } idle && _settings.ToTimestampTicks(idle) >= _idleTimeoutTicks;

    private Partition GetPartitionLocked(TKey key, long now)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_partitions, key, out var exists);
        if (exists)
        {
            var found = slot!;
            if (!ReferenceEquals(found, _newest))
            {
                Unlink(found);
                LinkNewest(found);
            }

            return found;
        }

        var partition = new Partition(_settings, key, now);
        slot = partition;

        // The slot reference is not used past this point: removals below change the map.
        LinkNewest(partition);
        if (_partitions.Count > _settings.MaxPartitions)
        {
            EvictLocked(now);
        }
        else if (_oldest is { } oldest && !ReferenceEquals(oldest, partition) && IsExpired(oldest, now))
        {
            // Amortised expiry: each new key drops the oldest partition if it has expired.
            RemoveLocked(oldest);
        }

        return partition;
    }

    private void EvictLocked(long now)
    {
        var victim = _oldest!;
        var candidate = _oldest;
        for (var i = 0; i < EvictionScan && candidate is not null && !ReferenceEquals(candidate, _newest); i++)
        {
            if (candidate.GetIdleDurationLocked(_settings, now) is not null)
            {
                victim = candidate;
                break;
            }

            candidate = candidate.Newer;
        }

        RemoveLocked(victim);
        _evictions++;
    }

    private void RemoveLocked(Partition partition)
    {
        _partitions.Remove(partition.Key);
        Unlink(partition);
        if (partition.CloseLocked() is { } closing)
        {
            (_toCancel ??= []).Add(closing);
        }
    }

    private void FlushCancels()
    {
        List<CancellationTokenSource>? toCancel;
        lock (_settings.Gate)
        {
            toCancel = _toCancel;
            _toCancel = null;
        }

        if (toCancel is not null)
        {
            foreach (var source in toCancel)
            {
                source.Cancel();
            }
        }
    }

    private void LinkNewest(Partition partition)
    {
        partition.Older = _newest;
        partition.Newer = null;
        if (_newest is not null)
        {
            _newest.Newer = partition;
        }

        _newest = partition;
        _oldest ??= partition;
    }

    private void Unlink(Partition partition)
    {
        if (partition.Newer is null)
        {
            _newest = partition.Older;
        }
        else
        {
            partition.Newer.Older = partition.Older;
        }

        if (partition.Older is null)
        {
            _oldest = partition.Newer;
        }
        else
        {
            partition.Older.Newer = partition.Newer;
        }

        partition.Newer = null;
        partition.Older = null;
    }

    private sealed class Partition(TokenBucketSettings settings, TKey key, long now) : TokenBucket(settings, now)
    {
        public TKey Key { get; } = key;

        /// <summary>The next more recently used partition.</summary>
        public Partition? Newer { get; set; }

        /// <summary>The next less recently used partition.</summary>
        public Partition? Older { get; set; }
    }
}
