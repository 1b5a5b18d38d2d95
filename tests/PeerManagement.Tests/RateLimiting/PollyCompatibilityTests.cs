using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.RateLimiting;

namespace PeerManagement.Tests.RateLimiting;

public sealed class PollyCompatibilityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Works_unchanged_as_the_limiter_of_Pollys_rate_limiter_strategy()
    {
        var time = new FakeTimeProvider();
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 2, windowSeconds: 1), time);
        var pipeline = new ResiliencePipelineBuilder().AddRateLimiter(limiter).Build();

        (await pipeline.ExecuteAsync(_ => ValueTask.FromResult(1), Ct)).Should().Be(1);
        (await pipeline.ExecuteAsync(_ => ValueTask.FromResult(2), Ct)).Should().Be(2);

        var rejected = (await pipeline.Invoking(p => p.ExecuteAsync(_ => ValueTask.FromResult(3), Ct).AsTask())
            .Should().ThrowAsync<RateLimiterRejectedException>()).Which;
        rejected.RetryAfter.Should().Be(TimeSpan.FromMilliseconds(500));

        time.Advance(TimeSpan.FromMilliseconds(500));
        (await pipeline.ExecuteAsync(_ => ValueTask.FromResult(4), Ct)).Should().Be(4);
    }

    [Fact]
    public async Task Pollys_rate_limiter_strategy_waits_out_the_soft_limit_delay()
    {
        var time = new FakeTimeProvider();
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 10, windowSeconds: 1, delayAfter: 1, delayMs: 250), time);
        var pipeline = new ResiliencePipelineBuilder().AddRateLimiter(limiter).Build();
        await pipeline.ExecuteAsync(_ => ValueTask.FromResult(1), Ct);

        var late = pipeline.ExecuteAsync(_ => ValueTask.FromResult(2), Ct).AsTask();
        late.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(250));

        (await late.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Should().Be(2);
    }
}
