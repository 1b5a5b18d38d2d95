using System.Collections.Concurrent;
using PeerManagement.Tests.Discovery;

namespace PeerManagement.Tests.Fleet;

public sealed class FleetRecordSinkTests
{
    private const string PeerA = "a.example.org";

    [Fact]
    public async Task A_newer_record_from_the_fleet_replaces_the_local_one_and_an_older_one_is_ignored()
    {
        var exchange = new CapturingExchange();
        await using var h = new DiscoveryHarness { Fleet = new PeerFleetCoordination { Records = exchange } };
        h.AddKnownPeer(PeerA, record: r => r with { LastGood = h.Now - TimeSpan.FromMinutes(1), LastTry = h.Now - TimeSpan.FromMinutes(1) });
        await h.Manager.StartAsync(DiscoveryHarness.Token);
        var sink = await exchange.Sink.Task.WaitAsync(TimeSpan.FromSeconds(10), DiscoveryHarness.Token);
        var local = h.Record(PeerA)!;

        var newer = local with { LastGood = h.Now, LastTry = h.Now };
        sink.Apply(new PeerRecordUpdate(newer.Host, newer, PeerRecordUpdate.VersionOf(newer))).Should().BeTrue();
        h.Record(PeerA).Should().Be(newer);

        var older = local with { LastTry = h.Now - TimeSpan.FromMinutes(2), TryCount = 1 };
        sink.Apply(new PeerRecordUpdate(older.Host, older, PeerRecordUpdate.VersionOf(older))).Should().BeFalse();
        sink.Apply(new PeerRecordUpdate(older.Host, null, PeerRecordUpdate.VersionOf(older))).Should().BeFalse("an older forget is ignored too");
        h.Record(PeerA).Should().Be(newer);
    }

    [Fact]
    public async Task A_peer_checked_by_another_instance_is_rescheduled_by_that_check_and_not_sent_back()
    {
        var exchange = new CapturingExchange();
        await using var h = new DiscoveryHarness { Fleet = new PeerFleetCoordination { Records = exchange } };
        // Good a minute ago: not due at start, so only the fleet's record moves it.
        h.AddKnownPeer(PeerA, record: r => r with { LastGood = h.Now - TimeSpan.FromMinutes(1), LastTry = h.Now - TimeSpan.FromMinutes(1) });
        await h.Manager.StartAsync(DiscoveryHarness.Token);
        var sink = await exchange.Sink.Task.WaitAsync(TimeSpan.FromSeconds(10), DiscoveryHarness.Token);
        var checkedElsewhere = h.Record(PeerA)! with { LastGood = h.Now, LastTry = h.Now };
        exchange.Published.Clear();

        sink.Apply(new PeerRecordUpdate(checkedElsewhere.Host, checkedElsewhere, PeerRecordUpdate.VersionOf(checkedElsewhere))).Should().BeTrue();

        h.Due(PeerA).Should().Be(h.Now + h.Options.StaleAfter - (2 * h.Options.Wakeup), "a good check anywhere in the fleet moves the re-check");
        exchange.Published.Should().NotContain(u => u.Host == checkedElsewhere.Host, "a record from the fleet is not sent back to it");
    }

    [Fact]
    public async Task Every_local_change_is_published_with_its_version_and_a_forgotten_peer_with_the_time_it_was_forgotten()
    {
        var exchange = new CapturingExchange();
        await using var h = new DiscoveryHarness(o => o.ForgetAfterTries = 1) { Fleet = new PeerFleetCoordination { Records = exchange } };
        h.AddKnownPeer(PeerA, p => p.Unreachable());
        _ = h.Manager;
        exchange.Published.Clear();

        await h.CheckAsync(PeerA);

        var forgotten = exchange.Published.Should().ContainSingle().Which;
        forgotten.Record.Should().BeNull();
        forgotten.Version.Should().Be(h.Now.UtcTicks);
    }

    private sealed class CapturingExchange : IPeerRecordExchange
    {
        public ConcurrentQueue<PeerRecordUpdate> Published { get; } = new();

        public TaskCompletionSource<IPeerRecordSink> Sink { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Publish(PeerRecordUpdate update) => Published.Enqueue(update);

        public async Task RunAsync(IPeerRecordSink sink, CancellationToken cancellationToken)
        {
            Sink.TrySetResult(sink);
            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }
}
