using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace PeerManagement.Tests.RateLimiting;

/// <summary>The limiter counts its own decisions, whoever asks it.</summary>
public sealed partial class PeerRateLimiterTests
{
    private const string DecisionsInstrument = "peermanagement.rate_limiter.decisions";

    [Fact]
    public async Task Every_decision_on_a_request_is_counted_by_the_limiter_itself()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var collector = new MetricCollector<long>(meters, PeerManagementDiagnostics.MeterName, DecisionsInstrument);
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 3, windowSeconds: 1, delayAfter: 1, delayMs: 100), _time, meters);

        limiter.AttemptAcquire().IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire().Delay().Should().Be(TimeSpan.FromMilliseconds(100));
        limiter.AttemptAcquire(0).IsAcquired.Should().BeTrue("a probe for zero permits is not a request and is not counted");
        var late = limiter.AcquireAsync(1, Ct).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        (await late.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeTrue();
        (await limiter.AcquireAsync(1, Ct)).IsAcquired.Should().BeFalse();
        limiter.AttemptAcquire().IsAcquired.Should().BeFalse();

        Decisions(collector).Should().Equal("granted", "delayed", "delayed", "rejected", "rejected");
    }

    [Fact]
    public async Task A_queued_request_is_counted_once_when_the_queue_decides()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var collector = new MetricCollector<long>(meters, PeerManagementDiagnostics.MeterName, DecisionsInstrument);
        using var limiter = new PeerRateLimiter(RateLimitTestOptions.Create(maxTokens: 1, windowSeconds: 1, queueLimit: 1), _time, meters);
        limiter.AttemptAcquire().IsAcquired.Should().BeTrue();

        var queued = limiter.AcquireAsync(1, Ct).AsTask();
        Decisions(collector).Should().Equal(["granted"], "a queued request is not decided yet");
        _time.Advance(TimeSpan.FromSeconds(1));

        (await queued.WaitAsync(TimeSpan.FromSeconds(10), Ct)).IsAcquired.Should().BeTrue();
        Decisions(collector).Should().Equal("granted", "granted");
    }

    private static IEnumerable<string> Decisions(MetricCollector<long> collector)
        => collector.GetMeasurementSnapshot().Select(m => (string)m.Tags["decision"]!);
}
