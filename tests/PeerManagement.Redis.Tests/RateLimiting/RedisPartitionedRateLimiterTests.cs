using PeerManagement.TestUtilities.Time;

namespace PeerManagement.Redis.Tests.RateLimiting;

public sealed class RedisPartitionedRateLimiterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly WatchedTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task A_full_bucket_grants_MaxTokens_then_rejects_with_the_exact_retry_after()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await redis.ConnectAsync();
        using var limiter = RedisLimiterHarness.Create(connection, RedisLimiterHarness.Limits(maxTokens: 3, windowSeconds: 3), _time);

        Enumerable.Range(0, 3).Select(_ => limiter.AttemptAcquire("a").IsAcquired).ToList().Should().AllBeEquivalentTo(true);
        limiter.AttemptAcquire("a").RetryAfter().Should().Be(TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromMilliseconds(400));
        limiter.AttemptAcquire("a").RetryAfter().Should().Be(TimeSpan.FromMilliseconds(600));
        limiter.AttemptAcquire("a", 2).RetryAfter().Should().Be(TimeSpan.FromMilliseconds(1600), "two tokens take two refill periods");
    }

    [Fact]
    public async Task The_bucket_refills_at_exactly_the_configured_rate()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await redis.ConnectAsync();
        using var limiter = RedisLimiterHarness.Create(connection, RedisLimiterHarness.Limits(maxTokens: 4, windowSeconds: 2), _time);
        Enumerable.Range(0, 4).Select(_ => limiter.AttemptAcquire("a").IsAcquired).ToList().Should().AllBeEquivalentTo(true);

        _time.Advance(TimeSpan.FromMilliseconds(499));
        limiter.AttemptAcquire("a").RetryAfter().Should().Be(TimeSpan.FromMilliseconds(1), "one token takes 500 ms");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        limiter.AttemptAcquire("a").IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire("a").IsAcquired.Should().BeFalse();
        _time.Advance(TimeSpan.FromSeconds(10));
        Enumerable.Range(0, 5).Count(_ => limiter.AttemptAcquire("a").IsAcquired).Should().Be(4, "a bucket never holds more than MaxTokens");
    }

    [Fact]
    public async Task Requests_over_the_soft_limit_in_a_window_are_granted_with_the_delay()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await redis.ConnectAsync();
        using var limiter = RedisLimiterHarness.Create(connection, RedisLimiterHarness.Limits(maxTokens: 100, windowSeconds: 3, delayAfter: 2, delayMs: 300), _time);

        limiter.AttemptAcquire("a").Describe().Should().Be("granted");
        limiter.AttemptAcquire("a").Describe().Should().Be("granted");
        limiter.AttemptAcquire("a").Describe().Should().Be("delayed 300 ms");
        _time.Advance(TimeSpan.FromSeconds(3));
        limiter.AttemptAcquire("a").Describe().Should().Be("granted", "a new window starts after the previous one ended");
    }

    [Fact]
    public async Task AcquireAsync_serves_the_soft_limit_delay_itself()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await redis.ConnectAsync();
        using var limiter = RedisLimiterHarness.Create(connection, RedisLimiterHarness.Limits(maxTokens: 100, windowSeconds: 3, delayAfter: 0, delayMs: 300), _time);

        var timers = _time.TimersCreated;
        var pending = limiter.AcquireAsync("a", 1, Ct).AsTask();
        await _time.WaitForTimersAsync(timers + 1, Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        pending.IsCompleted.Should().BeFalse("the delay is served before the lease is returned");
        _time.Advance(TimeSpan.FromMilliseconds(300));

        var lease = await pending.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        lease.IsAcquired.Should().BeTrue();
        lease.Delay().Should().BeNull("the delay was served");
    }

    [Fact]
    public async Task Keys_are_limited_apart_and_a_probe_for_zero_permits_takes_nothing()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await redis.ConnectAsync();
        using var limiter = RedisLimiterHarness.Create(connection, RedisLimiterHarness.Limits(maxTokens: 1, windowSeconds: 1), _time);

        limiter.AttemptAcquire("a", 0).IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire("a").IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire("a", 0).IsAcquired.Should().BeFalse();
        limiter.AttemptAcquire("b").IsAcquired.Should().BeTrue();
        FluentActions.Invoking(() => limiter.AttemptAcquire("a", 2)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task The_same_sequence_gets_the_same_decisions_as_the_local_limiter()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await redis.ConnectAsync();
        var limits = RedisLimiterHarness.Limits(maxTokens: 5, windowSeconds: 2, delayAfter: 2, delayMs: 250);
        using var fleet = RedisLimiterHarness.Create(connection, limits, _time);
        using var local = new PeerPartitionedRateLimiter<string>(limits, _time);
        var steps = new[] { 0, 0, 0, 0, 0, 0, 0, 100, 250, 0, 399, 1, 0, 2000, 0, 0, 0, 0, 0, 0, 700, 0, 1300, 0 };
        var fleetDecisions = new List<string>();
        var localDecisions = new List<string>();

        foreach (var advanceMs in steps)
        {
            _time.Advance(TimeSpan.FromMilliseconds(advanceMs));
            fleetDecisions.Add(fleet.AttemptAcquire("caller").Describe());
            localDecisions.Add(local.AttemptAcquire("caller").Describe());
        }

        fleetDecisions.Should().Equal(localDecisions);
        fleetDecisions.Should().Contain(d => d.StartsWith("delayed")).And.Contain(d => d.StartsWith("rejected retry"));
    }

    [Fact]
    public async Task An_idle_key_expires_once_its_bucket_would_be_full_again()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await redis.ConnectAsync();
        using var limiter = RedisLimiterHarness.Create(connection, RedisLimiterHarness.Limits(maxTokens: 10, windowSeconds: 2), time: null, prefix: "idle");

        limiter.AttemptAcquire("a").IsAcquired.Should().BeTrue();
        var ttl = await connection.GetDatabase().KeyTimeToLiveAsync("idle:rl:a");
        ttl.Should().NotBeNull().And.BeLessThanOrEqualTo(TimeSpan.FromMilliseconds(202), "one token refills in 200 ms");
    }

    [Fact]
    public async Task A_caller_spreading_requests_over_three_instances_gets_the_configured_rate_not_three_times_it()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var c1 = await redis.ConnectAsync();
        await using var c2 = await redis.ConnectAsync();
        await using var c3 = await redis.ConnectAsync();
        // Redis's own clock: 5 per minute, so the run itself refills nothing.
        var limits = RedisLimiterHarness.Limits(maxTokens: 5, windowSeconds: 60);
        using var l1 = RedisLimiterHarness.Create(c1, limits, time: null, prefix: "fleet");
        using var l2 = RedisLimiterHarness.Create(c2, limits, time: null, prefix: "fleet");
        using var l3 = RedisLimiterHarness.Create(c3, limits, time: null, prefix: "fleet");
        var instances = new[] { l1, l2, l3 };

        var granted = 0;
        for (var i = 0; i < 30; i++)
        {
            using var lease = await instances[i % 3].AcquireAsync("203.0.113.7", 1, Ct);
            granted += lease.IsAcquired ? 1 : 0;
        }

        granted.Should().Be(5);
    }
}
