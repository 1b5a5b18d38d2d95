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
}
