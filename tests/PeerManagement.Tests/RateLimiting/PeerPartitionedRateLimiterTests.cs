using System.Diagnostics.Metrics;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.Tests.RateLimiting;

public sealed class PeerPartitionedRateLimiterTests
{
    private readonly FakeTimeProvider _time = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Keys_are_limited_independently()
    {
        using var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 2, windowSeconds: 1), _time);
        limiter.AttemptAcquire("a", 2).IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire("a").IsAcquired.Should().BeFalse();

        limiter.AttemptAcquire("b").IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire("b").IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire("a").RetryAfter().Should().Be(TimeSpan.FromMilliseconds(500));
        limiter.PartitionCount.Should().Be(2);
    }

    [Fact]
    public void IP_addresses_work_as_keys()
    {
        using var limiter = new PeerPartitionedRateLimiter<IPAddress>(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1), _time);
        limiter.AttemptAcquire(IPAddress.Parse("192.0.2.1")).IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire(IPAddress.Parse("192.0.2.1")).IsAcquired.Should().BeFalse();
        limiter.AttemptAcquire(IPAddress.Parse("2001:db8::1")).IsAcquired.Should().BeTrue();
    }

    [Fact]
    public void Networks_work_as_keys_so_a_whole_IPv6_64_shares_one_partition()
    {
        using var limiter = new PeerPartitionedRateLimiter<NetworkPrefix>(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1), _time);
        limiter.AttemptAcquire(PeerBuckets.GetInternalNetwork(IPAddress.Parse("2001:db8:1:2::1"))).IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire(PeerBuckets.GetInternalNetwork(IPAddress.Parse("2001:db8:1:2:ffff::9"))).IsAcquired.Should().BeFalse();
        limiter.AttemptAcquire(PeerBuckets.GetInternalNetwork(IPAddress.Parse("2001:db8:1:3::1"))).IsAcquired.Should().BeTrue();
    }

    [Fact]
    public async Task The_decisions_of_every_partition_are_counted_by_the_limiter_itself()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var collector = new MetricCollector<long>(meters, PeerManagementDiagnostics.MeterName, "peermanagement.rate_limiter.decisions");
        using var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1), _time, meterFactory: meters);

        limiter.AttemptAcquire("a").IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire("a").IsAcquired.Should().BeFalse();
        (await limiter.AcquireAsync("b", 1, Ct)).IsAcquired.Should().BeTrue();
        (await limiter.AcquireAsync("b", 1, Ct)).IsAcquired.Should().BeFalse();

        collector.GetMeasurementSnapshot().Select(m => (string)m.Tags["decision"]!).Should().Equal("granted", "rejected", "granted", "rejected");
    }

    [Fact]
    public void A_comparer_decides_which_keys_share_a_partition()
    {
        using var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1), _time, StringComparer.OrdinalIgnoreCase);
        limiter.AttemptAcquire("Host.Example").IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire("host.example").IsAcquired.Should().BeFalse();
    }

    [Fact]
    public void A_million_distinct_keys_never_keep_more_than_MaxPartitions_alive()
    {
        using var limiter = new PeerPartitionedRateLimiter<int>(RateLimitTestOptions.Create(maxTokens: 10, windowSeconds: 1, maxPartitions: 1_000), _time);

        for (var key = 0; key < 1_000_000; key++)
        {
            limiter.AttemptAcquire(key).IsAcquired.Should().BeTrue();
            if (key % 100_000 == 0)
            {
                limiter.PartitionCount.Should().BeLessThanOrEqualTo(1_000);
            }
        }

        limiter.PartitionCount.Should().Be(1_000);
        limiter.EvictionCount.Should().Be(999_000);
    }

    [Fact]
    public void The_least_recently_used_partition_is_evicted_first()
    {
        using var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 2, windowSeconds: 1, maxPartitions: 3), _time);
        limiter.AttemptAcquire("a", 2);
        limiter.AttemptAcquire("b", 2);
        limiter.AttemptAcquire("c", 2);
        limiter.AttemptAcquire("a", 0); // a is used again: b is now the least recently used

        limiter.AttemptAcquire("d").IsAcquired.Should().BeTrue();

        limiter.PartitionCount.Should().Be(3);
        limiter.AttemptAcquire("a").IsAcquired.Should().BeFalse("a kept its empty bucket");
        limiter.AttemptAcquire("c").IsAcquired.Should().BeFalse("c kept its empty bucket");
        limiter.AttemptAcquire("b", 2).IsAcquired.Should().BeTrue("b was evicted and starts full again");
    }

    [Fact]
    public void An_idle_partition_is_evicted_before_a_busier_one_that_was_used_less_recently()
    {
        using var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 10, windowSeconds: 10, maxPartitions: 2), _time);
        limiter.AttemptAcquire("busy", 10);
        limiter.AttemptAcquire("idle", 1);
        _time.Advance(TimeSpan.FromSeconds(1)); // idle is full again; busy has 1 of 10

        limiter.AttemptAcquire("new").IsAcquired.Should().BeTrue();

        limiter.GetStatistics("busy")!.CurrentAvailablePermits.Should().Be(1, "busy was kept");
        limiter.EvictionCount.Should().Be(1);
        limiter.PartitionCount.Should().Be(2);
    }

    [Fact]
    public void Partitions_idle_for_the_idle_timeout_expire()
    {
        using var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 10, windowSeconds: 1, idleTimeoutSeconds: 60), _time);
        limiter.AttemptAcquire("a");
        limiter.AttemptAcquire("b");
        _time.Advance(TimeSpan.FromSeconds(30));
        limiter.AttemptAcquire("b");

        _time.Advance(TimeSpan.FromSeconds(31)); // the prune timer fires at 60 s: a has been idle 60 s, b 30 s

        limiter.PartitionCount.Should().Be(1);
        _time.Advance(TimeSpan.FromSeconds(60));
        limiter.PartitionCount.Should().Be(0);
    }

    [Fact]
    public void A_partition_in_use_does_not_expire()
    {
        using var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 10, windowSeconds: 100, idleTimeoutSeconds: 1), _time);
        limiter.AttemptAcquire("a", 10);
        _time.Advance(TimeSpan.FromSeconds(5));

        limiter.Prune().Should().Be(0, "its bucket is not full again yet");
        limiter.PartitionCount.Should().Be(1);
    }

    [Fact]
    public void Statistics_of_an_unknown_key_report_a_full_bucket_without_creating_a_partition()
    {
        using var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 7), _time);
        limiter.GetStatistics("nobody")!.CurrentAvailablePermits.Should().Be(7);
        limiter.PartitionCount.Should().Be(0);
    }

    [Fact]
    public async Task Queueing_and_the_soft_limit_work_per_key()
    {
        using var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1, delayAfter: 5, delayMs: 100, queueLimit: 1), _time);
        limiter.AttemptAcquire("a").IsAcquired.Should().BeTrue();
        var queued = limiter.AcquireAsync("a", 1, Ct).AsTask();
        (await limiter.AcquireAsync("b", 1, Ct)).IsAcquired.Should().BeTrue();
        queued.IsCompleted.Should().BeFalse();

        _time.Advance(TimeSpan.FromSeconds(1));

        (await queued.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeTrue();
    }

    [Fact]
    public async Task Evicting_a_partition_with_waiters_fails_them()
    {
        using var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1, queueLimit: 1, maxPartitions: 1), _time);
        limiter.AttemptAcquire("a");
        var queued = limiter.AcquireAsync("a", 1, Ct).AsTask();

        limiter.AttemptAcquire("b").IsAcquired.Should().BeTrue();

        (await queued.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeFalse();
    }

    [Fact]
    public async Task Disposing_fails_waiters_and_later_calls_throw()
    {
        var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1, queueLimit: 1), _time);
        limiter.AttemptAcquire("a");
        var queued = limiter.AcquireAsync("a", 1, Ct).AsTask();

        await limiter.DisposeAsync();
        limiter.Dispose();

        (await queued.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeFalse();
        limiter.Invoking(l => l.AttemptAcquire("a")).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Works_through_the_BCL_key_translation()
    {
        using var inner = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1), _time);
        using var outer = inner.WithTranslatedKey<Uri>(uri => uri.Host, leaveOpen: true);
        outer.AttemptAcquire(new Uri("http://a.example/x")).IsAcquired.Should().BeTrue();
        outer.AttemptAcquire(new Uri("http://a.example/y")).IsAcquired.Should().BeFalse();
        outer.AttemptAcquire(new Uri("http://b.example/")).IsAcquired.Should().BeTrue();
    }

    [Fact]
    public void A_granted_attempt_on_a_known_key_allocates_nothing()
    {
        using var limiter = new PeerPartitionedRateLimiter<int>(RateLimitTestOptions.Create(maxTokens: int.MaxValue, windowSeconds: 1));
        for (var key = 0; key < 100; key++)
        {
            limiter.AttemptAcquire(key);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            using var lease = limiter.AttemptAcquire(i % 100);
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
    }

    [Fact]
    public void A_flood_from_one_key_shares_one_failed_lease_and_every_rejection_is_counted()
    {
        using var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1), _time);
        limiter.AttemptAcquire("attacker").IsAcquired.Should().BeTrue();

        var first = limiter.AttemptAcquire("attacker");
        var rest = Enumerable.Range(0, 100).Select(_ => limiter.AttemptAcquire("attacker")).ToList();

        rest.Should().OnlyContain(lease => ReferenceEquals(lease, first) && !lease.IsAcquired);
        limiter.GetStatistics("attacker")!.TotalFailedLeases.Should().Be(101);
        limiter.AttemptAcquire("someone else").IsAcquired.Should().BeTrue("other keys have their own bucket");
    }

    [Fact]
    public void A_key_whose_partition_was_evicted_starts_again_with_a_full_bucket()
    {
        using var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 100, maxPartitions: 1), _time);
        limiter.AttemptAcquire("a").IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire("a").IsAcquired.Should().BeFalse();

        limiter.AttemptAcquire("b").IsAcquired.Should().BeTrue("b evicts a, the only partition");

        limiter.AttemptAcquire("a").IsAcquired.Should().BeTrue("a's old, empty bucket is gone");
    }

    [Fact]
    public void Rejections_keep_a_flooding_key_the_most_recently_used_so_an_idle_key_is_evicted_first()
    {
        using var limiter = new PeerPartitionedRateLimiter<string>(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 100, maxPartitions: 2), _time);
        limiter.AttemptAcquire("attacker").IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire("attacker").IsAcquired.Should().BeFalse();
        limiter.AttemptAcquire("other").IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire("attacker").IsAcquired.Should().BeFalse("still over its limit");

        limiter.AttemptAcquire("newcomer").IsAcquired.Should().BeTrue();

        limiter.AttemptAcquire("attacker").IsAcquired.Should().BeFalse("its partition was used last, so 'other' was evicted, not it");
    }
}
