using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace PeerManagement.Tests.Discovery;

public class PeerManagerDiagnosticsTests
{
    [Fact]
    public async Task Each_check_is_counted_by_outcome_and_timed()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        await using var h = new DiscoveryHarness();
        h.MeterFactory = factory;
        using var checks = new MetricCollector<long>(factory, PeerManagementDiagnostics.MeterName, "peermanagement.checks");
        using var durations = new MetricCollector<double>(factory, PeerManagementDiagnostics.MeterName, "peermanagement.check.duration");
        h.AddKnownPeer("a.example.org");
        h.AddKnownPeer("b.example.org", p => p.WithGenesis("00"));
        h.AddKnownPeer("c.example.org", p => p.Unreachable());

        await h.CheckAsync("a.example.org");
        await h.CheckAsync("b.example.org");
        await h.CheckAsync("c.example.org");

        checks.GetMeasurementSnapshot().Select(m => m.Tags["outcome"]).Should().BeEquivalentTo(["good", "bad", "failed"]);
        durations.GetMeasurementSnapshot().Should().HaveCount(3);
    }

    [Fact]
    public async Task Each_check_is_a_span_tagged_with_the_host_and_outcome()
    {
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == PeerManagementDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (activities)
                {
                    activities.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("traced.example.org");

        await h.CheckAsync("traced.example.org");

        Activity span;
        lock (activities)
        {
            span = activities.Single(a => (string?)a.GetTagItem("peer.host") == "traced.example.org");
        }

        span.OperationName.Should().Be("peermanagement.peer.check");
        span.GetTagItem("peer.check.outcome").Should().Be("Good");
    }
}
