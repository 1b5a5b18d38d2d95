using System.Threading.RateLimiting;

namespace PeerManagement.Tests.RateLimiting;

/// <summary>A rejection hands out one kept failed lease whose retry-after is worked out when it is read.</summary>
public sealed partial class PeerRateLimiterTests
{
    [Fact]
    public void Repeated_rejections_share_one_failed_lease_while_the_refill_instant_is_the_same()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1), _time);
        limiter.AttemptAcquire().IsAcquired.Should().BeTrue();

        var first = limiter.AttemptAcquire();
        _time.Advance(TimeSpan.FromMilliseconds(200));
        var second = limiter.AttemptAcquire();

        first.IsAcquired.Should().BeFalse();
        second.Should().BeSameAs(first, "nothing moved the instant the token comes back");
    }

    [Fact]
    public void A_kept_failed_lease_reports_the_time_left_when_it_is_read()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 10, windowSeconds: 1), _time);
        limiter.AttemptAcquire(10).IsAcquired.Should().BeTrue();

        var rejected = limiter.AttemptAcquire(3);
        rejected.RetryAfter().Should().Be(TimeSpan.FromMilliseconds(300));

        _time.Advance(TimeSpan.FromMilliseconds(120));
        rejected.RetryAfter().Should().Be(TimeSpan.FromMilliseconds(180), "read later, less is left");

        _time.Advance(TimeSpan.FromMilliseconds(500));
        rejected.RetryAfter().Should().Be(TimeSpan.Zero, "the permits are back by now");
        rejected.MetadataNames.Should().Equal(MetadataName.RetryAfter.Name);
    }

    [Fact]
    public void A_rejection_after_the_bucket_changed_gets_a_lease_with_the_new_retry_after()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 10, windowSeconds: 1), _time);
        limiter.AttemptAcquire(10).IsAcquired.Should().BeTrue();
        var forOne = limiter.AttemptAcquire(1);

        var forFive = limiter.AttemptAcquire(5);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        limiter.AttemptAcquire(1).IsAcquired.Should().BeTrue("the first token is back");
        var afterTaking = limiter.AttemptAcquire(1);

        forOne.RetryAfter().Should().Be(TimeSpan.Zero);
        forFive.Should().NotBeSameAs(forOne);
        forFive.RetryAfter().Should().Be(TimeSpan.FromMilliseconds(400));
        afterTaking.RetryAfter().Should().Be(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_rejection_after_a_waiter_queued_counts_the_queued_permits_and_after_it_left_no_longer_does()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 10, windowSeconds: 1, queueLimit: 5), _time);
        limiter.AttemptAcquire(10).IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire(1).RetryAfter().Should().Be(TimeSpan.FromMilliseconds(100));

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var queued = limiter.AcquireAsync(4, cancel.Token);
        var behindTheQueue = limiter.AttemptAcquire(1);
        await cancel.CancelAsync();
        var act = async () => await queued;
        await act.Should().ThrowAsync<OperationCanceledException>();
        var queueGone = limiter.AttemptAcquire(1);

        behindTheQueue.RetryAfter().Should().Be(TimeSpan.FromMilliseconds(500), "the 4 queued permits come first");
        queueGone.RetryAfter().Should().Be(TimeSpan.FromMilliseconds(100), "the waiter left");
    }

    [Fact]
    public async Task Tokens_given_back_by_a_cancelled_delay_are_granted_to_the_next_attempt()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 2, windowSeconds: 1, delayAfter: 1, delayMs: 300), _time);
        limiter.AttemptAcquire().IsAcquired.Should().BeTrue();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var delayed = limiter.AcquireAsync(1, cancel.Token);
        limiter.AttemptAcquire().IsAcquired.Should().BeFalse("both tokens are taken");

        await cancel.CancelAsync();
        var act = async () => await delayed;
        await act.Should().ThrowAsync<OperationCanceledException>();

        limiter.AttemptAcquire().IsAcquired.Should().BeTrue("the cancelled delay gave its token back");
    }

    [Fact]
    public void Every_repeated_rejection_is_counted_and_a_disposed_limiter_refuses_at_once()
    {
        var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1), _time);
        limiter.AttemptAcquire().IsAcquired.Should().BeTrue();
        for (var i = 0; i < 5; i++)
        {
            limiter.AttemptAcquire().IsAcquired.Should().BeFalse();
        }

        limiter.GetStatistics()!.TotalFailedLeases.Should().Be(5);
        limiter.Dispose();
        var act = () => limiter.AttemptAcquire();
        act.Should().Throw<ObjectDisposedException>("a kept rejection is not handed out after disposal");
    }

    [Fact]
    public void On_the_system_clock_a_flood_of_rejections_shares_one_lease_whose_retry_after_stays_exact()
    {
        using var limiter = new PeerRateLimiter(new RateLimitingOptions { MaxTokens = 1, Window = TimeSpan.FromDays(1), Delay = TimeSpan.Zero });
        limiter.AttemptAcquire().IsAcquired.Should().BeTrue();

        var first = limiter.AttemptAcquire();
        var leases = Enumerable.Range(0, 1_000).Select(_ => limiter.AttemptAcquire()).ToList();

        leases.Should().OnlyContain(l => ReferenceEquals(l, first) && !l.IsAcquired);
        first.RetryAfter().Should().BeGreaterThan(TimeSpan.FromHours(23)).And.BeLessThanOrEqualTo(TimeSpan.FromDays(1));
        limiter.GetStatistics()!.TotalFailedLeases.Should().Be(1_001);
    }

    [Fact]
    public void A_token_taken_between_two_rejections_moves_the_second_ones_retry_after()
    {
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 10, windowSeconds: 1), _time);
        limiter.AttemptAcquire(10).IsAcquired.Should().BeTrue();
        var before = limiter.AttemptAcquire(5);

        _time.Advance(TimeSpan.FromMilliseconds(100));
        limiter.AttemptAcquire(1).IsAcquired.Should().BeTrue();
        var after = limiter.AttemptAcquire(5);

        before.RetryAfter().Should().Be(TimeSpan.FromMilliseconds(400));
        after.Should().NotBeSameAs(before);
        after.RetryAfter().Should().Be(TimeSpan.FromMilliseconds(500), "the token taken must come back too");
    }
}
