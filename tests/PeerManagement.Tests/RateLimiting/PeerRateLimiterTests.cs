using PeerManagement.TestUtilities.Time;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.Tests.RateLimiting;

public sealed partial class PeerRateLimiterTests
{
    private readonly FakeTimeProvider _time = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void A_burst_of_MaxTokens_is_granted_then_rejected_with_the_exact_time_to_the_next_token()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 10, windowSeconds: 1), _time);

        for (var i = 0; i < 10; i++)
        {
            limiter.AttemptAcquire().IsAcquired.Should().BeTrue();
        }

        var rejected = limiter.AttemptAcquire();
        rejected.IsAcquired.Should().BeFalse();
        rejected.RetryAfter().Should().Be(TimeSpan.FromMilliseconds(100));

        _time.Advance(TimeSpan.FromMilliseconds(30));
        limiter.AttemptAcquire().RetryAfter().Should().Be(TimeSpan.FromMilliseconds(70));

        _time.Advance(TimeSpan.FromMilliseconds(70));
        limiter.AttemptAcquire().IsAcquired.Should().BeTrue();
    }

    [Fact]
    public void Retry_after_of_several_permits_is_the_time_until_all_of_them_are_back()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 10, windowSeconds: 1), _time);
        limiter.AttemptAcquire(10).IsAcquired.Should().BeTrue();

        limiter.AttemptAcquire(4).RetryAfter().Should().Be(TimeSpan.FromMilliseconds(400));
    }

    [Fact]
    public void Steady_load_at_exactly_the_refill_rate_is_never_rejected()
    {
        // Defaults of the spec: 10,000 tokens per 3 s, i.e. one token every 300 µs.
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 10_000, windowSeconds: 3), _time);
        limiter.AttemptAcquire(10_000).IsAcquired.Should().BeTrue();

        for (var i = 0; i < 100_000; i++)
        {
            _time.Advance(TimeSpan.FromMicroseconds(300));
            limiter.AttemptAcquire().IsAcquired.Should().BeTrue();
        }

        limiter.AttemptAcquire().IsAcquired.Should().BeFalse("the bucket is empty after each request");
    }

    [Fact]
    public void Steady_load_at_a_rate_that_is_not_a_whole_number_of_ticks_is_never_rejected()
    {
        // 7 tokens per second: a token every 142857.14... ticks; requests come at the first tick it is whole.
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 7, windowSeconds: 1), _time);
        limiter.AttemptAcquire(7).IsAcquired.Should().BeTrue();
        var start = _time.GetUtcNow();

        for (var i = 1; i <= 7_000; i++)
        {
            var due = start + TimeSpan.FromTicks(((i * TimeSpan.TicksPerSecond) + 6) / 7);
            _time.SetUtcNow(due);
            limiter.AttemptAcquire().IsAcquired.Should().BeTrue($"request {i} comes when its token is back");
        }
    }

    [Fact]
    public void After_DelayAfter_acquisitions_in_a_window_AttemptAcquire_grants_with_the_delay_as_metadata()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 100, windowSeconds: 3, delayAfter: 5, delayMs: 300), _time);

        for (var i = 0; i < 5; i++)
        {
            var lease = limiter.AttemptAcquire();
            lease.IsAcquired.Should().BeTrue();
            lease.Delay().Should().BeNull();
            lease.MetadataNames.Should().BeEmpty();
        }

        var delayed = limiter.AttemptAcquire();
        delayed.IsAcquired.Should().BeTrue();
        delayed.Delay().Should().Be(TimeSpan.FromMilliseconds(300));
        delayed.MetadataNames.Should().Equal(PeerRateLimiterMetadata.Delay.Name);
        limiter.AttemptAcquire().Delay().Should().Be(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task After_DelayAfter_acquisitions_in_a_window_AcquireAsync_waits_the_delay()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 100, windowSeconds: 3, delayAfter: 2, delayMs: 300), _time);
        (await limiter.AcquireAsync(1, Ct)).IsAcquired.Should().BeTrue();
        (await limiter.AcquireAsync(1, Ct)).IsAcquired.Should().BeTrue();

        var third = limiter.AcquireAsync(1, Ct).AsTask();
        third.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(299));
        third.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var lease = await third.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        lease.IsAcquired.Should().BeTrue();
        lease.Delay().Should().BeNull("the delay has been waited out already");
    }

    [Fact]
    public void A_new_window_resets_the_soft_limit()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 100, windowSeconds: 3, delayAfter: 2, delayMs: 300), _time);
        limiter.AttemptAcquire();
        limiter.AttemptAcquire();
        limiter.AttemptAcquire().Delay().Should().NotBeNull();

        _time.Advance(TimeSpan.FromSeconds(2.999));
        limiter.AttemptAcquire().Delay().Should().NotBeNull("the window has not ended yet");

        _time.Advance(TimeSpan.FromMilliseconds(1));
        limiter.AttemptAcquire().Delay().Should().BeNull();
        limiter.AttemptAcquire().Delay().Should().BeNull();
        limiter.AttemptAcquire().Delay().Should().NotBeNull();
    }

    [Fact]
    public void With_DelayAfter_zero_every_acquisition_is_delayed_and_with_zero_delay_none_is()
    {
        using var always = new PeerRateLimiter(RateLimitTestOptions.Create(delayAfter: 0, delayMs: 50), _time);
        always.AttemptAcquire().Delay().Should().Be(TimeSpan.FromMilliseconds(50));

        using var never = new PeerRateLimiter(RateLimitTestOptions.Create(delayAfter: 0, delayMs: 0), _time);
        never.AttemptAcquire().Delay().Should().BeNull();
    }

    [Fact]
    public void Rejected_acquisitions_do_not_count_towards_the_soft_limit()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 2, windowSeconds: 1, delayAfter: 2, delayMs: 100), _time);
        limiter.AttemptAcquire(2).IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire().IsAcquired.Should().BeFalse();
        limiter.AttemptAcquire().IsAcquired.Should().BeFalse();

        _time.Advance(TimeSpan.FromMilliseconds(500));
        limiter.AttemptAcquire().Delay().Should().Be(TimeSpan.FromMilliseconds(100), "two permits were counted in this window");
    }

    [Fact]
    public async Task Queued_acquisitions_are_served_oldest_first_as_tokens_come_back()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1, queueLimit: 2), _time);
        limiter.AttemptAcquire().IsAcquired.Should().BeTrue();

        var first = limiter.AcquireAsync(1, Ct).AsTask();
        var second = limiter.AcquireAsync(1, Ct).AsTask();
        var third = await limiter.AcquireAsync(1, Ct);
        third.IsAcquired.Should().BeFalse("the queue is full");
        third.RetryAfter().Should().Be(TimeSpan.FromSeconds(3), "two queued permits and this one need three tokens");
        limiter.GetStatistics()!.CurrentQueuedCount.Should().Be(2);
        limiter.AttemptAcquire().IsAcquired.Should().BeFalse("oldest-first queues are not bypassed");

        _time.Advance(TimeSpan.FromSeconds(1));
        (await first.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeTrue();
        second.IsCompleted.Should().BeFalse();

        _time.Advance(TimeSpan.FromSeconds(1));
        (await second.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeTrue();
        limiter.GetStatistics()!.CurrentQueuedCount.Should().Be(0);
    }

    [Fact]
    public async Task Newest_first_serves_the_newest_and_a_full_queue_drops_the_oldest()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1, queueLimit: 2, order: QueueProcessingOrder.NewestFirst), _time);
        limiter.AttemptAcquire().IsAcquired.Should().BeTrue();

        var oldest = limiter.AcquireAsync(1, Ct).AsTask();
        var middle = limiter.AcquireAsync(1, Ct).AsTask();
        var newest = limiter.AcquireAsync(1, Ct).AsTask();

        (await oldest.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeFalse("it made room for the newest");
        _time.Advance(TimeSpan.FromSeconds(1));
        (await newest.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeTrue();
        middle.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromSeconds(1));
        (await middle.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeTrue();
    }

    [Fact]
    public async Task A_queued_acquisition_served_over_the_soft_limit_also_waits_the_delay()
    {
        // One token per second; the soft-limit window (2 s) is still open when the queued one gets its token.
        var time = new WatchedTimeProvider();
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 2, windowSeconds: 2, delayAfter: 2, delayMs: 200, queueLimit: 1), time);
        limiter.AttemptAcquire(2).IsAcquired.Should().BeTrue();
        var timers = time.TimersCreated;
        var queued = limiter.AcquireAsync(1, Ct).AsTask();

        // The token comes back after 1 s; the soft-limit delay then starts on a thread-pool continuation, with a
        // timer of its own: advance once that timer exists.
        await time.WaitForTimersAsync(timers + 1, Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        time.Advance(TimeSpan.FromSeconds(1));
        await time.WaitForTimersAsync(timers + 2, Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        queued.IsCompleted.Should().BeFalse("the queued acquisition is over the soft limit, so it waits the delay");
        time.Advance(TimeSpan.FromMilliseconds(199));
        queued.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));

        (await queued.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeTrue();
    }

    [Fact]
    public async Task A_queued_acquisition_served_in_a_new_window_is_not_delayed()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1, delayAfter: 1, delayMs: 200, queueLimit: 1), _time);
        limiter.AttemptAcquire().IsAcquired.Should().BeTrue();
        var queued = limiter.AcquireAsync(1, Ct).AsTask();

        _time.Advance(TimeSpan.FromSeconds(1));

        (await queued.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeTrue();
    }

    [Fact]
    public async Task Cancelling_a_queued_acquisition_throws_and_frees_its_place()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1, queueLimit: 1), _time);
        limiter.AttemptAcquire();
        using var cts = new CancellationTokenSource();
        var queued = limiter.AcquireAsync(1, cts.Token).AsTask();

        await cts.CancelAsync();

        await queued.Invoking(t => t.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Should().ThrowAsync<OperationCanceledException>();
        limiter.GetStatistics()!.CurrentQueuedCount.Should().Be(0);
        var next = limiter.AcquireAsync(1, Ct).AsTask();
        _time.Advance(TimeSpan.FromSeconds(1));
        (await next.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeTrue();
    }

    [Fact]
    public async Task An_already_cancelled_token_fails_a_queued_acquisition_at_once()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1, queueLimit: 1), _time);
        limiter.AttemptAcquire();

        await limiter.Invoking(l => l.AcquireAsync(1, new CancellationToken(true)).AsTask()).Should().ThrowAsync<OperationCanceledException>();
        limiter.GetStatistics()!.CurrentQueuedCount.Should().Be(0);
    }

    [Fact]
    public async Task Cancelling_during_the_delay_throws_and_gives_the_token_back()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 2, windowSeconds: 1, delayAfter: 1, delayMs: 300), _time);
        limiter.AttemptAcquire().IsAcquired.Should().BeTrue();
        using var cts = new CancellationTokenSource();
        var delayed = limiter.AcquireAsync(1, cts.Token).AsTask();
        limiter.GetStatistics()!.CurrentAvailablePermits.Should().Be(0);

        await cts.CancelAsync();

        await delayed.Invoking(t => t.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Should().ThrowAsync<OperationCanceledException>();
        var statistics = limiter.GetStatistics()!;
        statistics.CurrentAvailablePermits.Should().Be(1);
        statistics.TotalSuccessfulLeases.Should().Be(1);
    }

    [Fact]
    public async Task Disposing_fails_queued_and_delayed_waiters_and_is_idempotent()
    {
        var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 2, windowSeconds: 1, delayAfter: 1, delayMs: 300, queueLimit: 5), _time);
        limiter.AttemptAcquire();
        var delayed = limiter.AcquireAsync(1, Ct).AsTask();
        var queued = limiter.AcquireAsync(1, Ct).AsTask();

        limiter.Dispose();
        await limiter.DisposeAsync();
        limiter.Dispose();

        (await queued.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeFalse();
        (await delayed.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeFalse();
        limiter.Invoking(l => l.AttemptAcquire()).Should().Throw<ObjectDisposedException>();
        await limiter.Invoking(l => l.AcquireAsync(1, Ct).AsTask()).Should().ThrowAsync<ObjectDisposedException>();
        limiter.Invoking(l => l.GetStatistics()).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Statistics_count_available_tokens_and_granted_and_failed_leases()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 5, windowSeconds: 1), _time);
        limiter.AttemptAcquire(3);
        limiter.AttemptAcquire(3);
        limiter.AttemptAcquire();

        var statistics = limiter.GetStatistics()!;
        statistics.CurrentAvailablePermits.Should().Be(1);
        statistics.CurrentQueuedCount.Should().Be(0);
        statistics.TotalSuccessfulLeases.Should().Be(2);
        statistics.TotalFailedLeases.Should().Be(1);

        _time.Advance(TimeSpan.FromMilliseconds(400));
        limiter.GetStatistics()!.CurrentAvailablePermits.Should().Be(3);
    }

    [Fact]
    public void IdleDuration_is_null_until_the_bucket_is_full_again_and_the_soft_window_is_over()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 10, windowSeconds: 1, delayAfter: 5, delayMs: 100), _time);
        limiter.IdleDuration.Should().Be(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromSeconds(2));
        limiter.IdleDuration.Should().Be(TimeSpan.FromSeconds(2));

        limiter.AttemptAcquire(5);
        limiter.IdleDuration.Should().BeNull();
        _time.Advance(TimeSpan.FromMilliseconds(500));
        limiter.IdleDuration.Should().BeNull("the bucket is full again but the soft-limit window is still open");
        _time.Advance(TimeSpan.FromMilliseconds(700));
        limiter.IdleDuration.Should().Be(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void AttemptAcquire_of_zero_permits_reports_whether_a_token_is_there_without_taking_it()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1), _time);
        limiter.AttemptAcquire(0).IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire(0).IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire().IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire(0).IsAcquired.Should().BeFalse();
    }

    [Fact]
    public void Asking_for_more_permits_than_MaxTokens_or_a_negative_count_throws()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 3), _time);
        limiter.Invoking(l => l.AttemptAcquire(4)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("permitCount");
        limiter.Invoking(l => l.AttemptAcquire(-1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData("MaxTokens")]
    [InlineData("Window")]
    [InlineData("DelayAfter")]
    [InlineData("Delay")]
    [InlineData("QueueLimit")]
    public void Invalid_settings_are_refused_by_name(string setting)
    {
        var options = RateLimitTestOptions.Create();
        switch (setting)
        {
            case "MaxTokens": options.MaxTokens = 0; break;
            case "Window": options.Window = TimeSpan.Zero; break;
            case "DelayAfter": options.DelayAfter = -1; break;
            case "Delay": options.Delay = TimeSpan.FromTicks(-1); break;
            case "QueueLimit": options.QueueLimit = -1; break;
        }

        var create = () => new PeerRateLimiter(options, _time);
        create.Should().Throw<ArgumentOutOfRangeException>().WithMessage($"{setting} *");
    }

    [Fact]
    public void Reports_continuous_replenishment()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 10_000, windowSeconds: 3), _time);
        limiter.IsAutoReplenishing.Should().BeTrue();
        limiter.ReplenishmentPeriod.Should().Be(TimeSpan.FromMicroseconds(300));
        limiter.TryReplenish().Should().BeFalse();
    }

    [Fact]
    public void Huge_settings_do_not_overflow()
    {
        var options = RateLimitTestOptions.Create(maxTokens: int.MaxValue, windowSeconds: 86_400);
        // A fake clock: the retry-after is worked out when read, and on the system clock the next token (~40 µs
        // away) may be back by then on a busy machine.
        using var limiter = new PeerRateLimiter(options, _time);
        limiter.AttemptAcquire(int.MaxValue).IsAcquired.Should().BeTrue();
        var rejected = limiter.AttemptAcquire();
        rejected.IsAcquired.Should().BeFalse();
        rejected.RetryAfter().Should().BeGreaterThan(TimeSpan.Zero).And.BeLessThan(TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void On_the_system_clock_a_request_is_rejected_only_if_the_precise_time_says_so()
    {
        // One token per microsecond: tokens come back long before the OS tick count moves.
        using var limiter = new PeerRateLimiter(new RateLimitingOptions { MaxTokens = 1_000, Window = TimeSpan.FromMilliseconds(1), Delay = TimeSpan.Zero });
        for (var i = 0; i < 100; i++)
        {
            limiter.AttemptAcquire(1_000).IsAcquired.Should().BeTrue($"round {i} starts after the bucket refilled");
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            while (System.Diagnostics.Stopwatch.GetElapsedTime(start) < TimeSpan.FromMicroseconds(20))
            {
                Thread.SpinWait(10);
            }

            limiter.AttemptAcquire(10).IsAcquired.Should().BeTrue("at least 20 tokens are back after 20 µs");

            // This test is about the system clock itself: spin until the bucket is full again (about 1 ms).
            SpinWait.SpinUntil(() => limiter.GetStatistics()!.CurrentAvailablePermits == 1_000, TimeSpan.FromSeconds(5)).Should().BeTrue();
        }
    }

    [Fact]
    public void Granted_and_delayed_attempts_allocate_nothing()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: int.MaxValue, windowSeconds: 1, delayAfter: 10, delayMs: 5));
        for (var i = 0; i < 100; i++)
        {
            limiter.AttemptAcquire().Dispose();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            using var lease = limiter.AttemptAcquire();
            _ = lease.IsAcquired;
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
    }
}
