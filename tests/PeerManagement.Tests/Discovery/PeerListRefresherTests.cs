using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using PeerManagement.TestUtilities.Electrum;
using PeerManagement.TestUtilities.Time;

namespace PeerManagement.Tests.Discovery;

public class PeerListRefresherTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Each_interval_the_good_peer_checked_longest_ago_is_checked_again_and_so_every_good_peer_in_turn()
    {
        await using var r = new Rig();
        r.AddGood("a.example.org", checkedAgo: TimeSpan.FromHours(2));
        r.AddGood("b.example.org", checkedAgo: TimeSpan.FromHours(1));
        r.AddGood("c.example.org", checkedAgo: TimeSpan.FromMinutes(30));
        r.Start();

        var order = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            r.Time.Advance(Interval);
            order.Add(await r.NextCheckAsync());
        }

        order.Should().Equal("a.example.org", "b.example.org", "c.example.org", "a.example.org");
        r.Checked.Reader.TryRead(out _).Should().BeFalse("one check per interval");
    }

    [Fact]
    public async Task Bad_stale_unchecked_failing_and_own_peers_are_not_pulled_from()
    {
        await using var r = new Rig();
        r.Add(Record("bad.example.org") with { LastGood = r.Now - TimeSpan.FromHours(2), LastTry = r.Now - TimeSpan.FromHours(2), BadReason = "wrong genesis" });
        r.Add(Record("stale.example.org") with { LastGood = r.Now - TimeSpan.FromHours(4), LastTry = r.Now - TimeSpan.FromHours(4) });
        r.Add(Record("never.example.org"));
        r.Add(Record("failing.example.org") with { LastGood = r.Now - TimeSpan.FromHours(2), LastTry = r.Now - TimeSpan.FromMinutes(1), TryCount = 1 });
        r.AddGood(Rig.Own, checkedAgo: TimeSpan.FromHours(2));
        r.AddGood("good.example.org", checkedAgo: TimeSpan.FromMinutes(1));
        r.Start();

        r.Time.Advance(Interval);

        (await r.NextCheckAsync()).Should().Be("good.example.org", "the only good peer that is neither ours nor failing");
        r.Refresher.Tick().Should().Be(PeerHost.Parse("good.example.org"), "it is still the one good candidate");
    }

    [Fact]
    public async Task Nothing_is_woken_when_no_peer_is_good()
    {
        await using var r = new Rig();
        r.Add(Record("never.example.org"));

        r.Refresher.Tick().Should().BeNull();
    }

    [Fact]
    public async Task A_zero_interval_turns_pull_discovery_off()
    {
        await using var r = new Rig(TimeSpan.Zero);
        r.AddGood("a.example.org", checkedAgo: TimeSpan.FromHours(2));
        r.Scheduler.Start();
        var timers = r.Time.TimersCreated;
        r.Refresher.Start();

        r.Time.TimersCreated.Should().Be(timers, "no timer is armed");
        r.Time.Advance(TimeSpan.FromHours(2));
        r.Untouched("a.example.org").Should().BeTrue();
    }

    [Fact]
    public async Task Disposed_it_wakes_no_one()
    {
        await using var r = new Rig();
        r.AddGood("a.example.org", checkedAgo: TimeSpan.FromHours(2));
        r.Start();

        r.Refresher.Dispose();
        r.Time.Advance(Interval * 3);

        r.Untouched("a.example.org").Should().BeTrue("its timer is gone");
    }

    private static PeerRecord Record(string host) => PeerRecord.FromRealName(PeerRealName.Parse(host + " s t", DefaultPorts.BitcoinMainnet), PeerSources.Peer);

    /// <summary>A table, a scheduler whose checks mark the peer good now, and the refresher over both.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        public const string Own = "node.example.net";

        public Rig(TimeSpan? interval = null)
        {
            Table = new PeerTable(Time, TimeSpan.FromHours(3));
            Scheduler = new PeerCheckScheduler(Time, 4, (host, _) =>
            {
                var now = Time.GetUtcNow();
                Table.Update(host, r => r with { LastGood = now, LastTry = now, TryCount = 0 });
                Checked.Writer.TryWrite(host.Value);
                return Task.FromResult<DateTimeOffset?>(now + TimeSpan.FromHours(3));
            });
            var options = new PeerManagementOptions();
            options.Identities.Add(Own + " s t");
            Refresher = new PeerListRefresher(Table, Scheduler, new OwnIdentities(options, new FakeChainView()), interval ?? Interval, Time, NullLogger.Instance);
        }

        public WatchedTimeProvider Time { get; } = new(DiscoveryHarness.Start);

        public PeerTable Table { get; }

        public PeerCheckScheduler Scheduler { get; }

        public PeerListRefresher Refresher { get; }

        public Channel<string> Checked { get; } = Channel.CreateUnbounded<string>();

        public DateTimeOffset Now => Time.GetUtcNow();

        public void Add(PeerRecord record) => Table.TryAdd(record).Should().BeTrue();

        public void AddGood(string host, TimeSpan checkedAgo)
            => Add(Record(host) with { LastGood = Now - checkedAgo, LastTry = Now - checkedAgo });

        /// <summary>Neither scheduled, nor running, nor checked: a wake-up leaves one of these true at every moment.</summary>
        public bool Untouched(string host)
            => Scheduler.GetDue(PeerHost.Parse(host)) is null && !Scheduler.IsRunning(PeerHost.Parse(host)) && !Checked.Reader.TryPeek(out _);

        public void Start()
        {
            Scheduler.Start();
            Refresher.Start();
        }

        public async Task<string> NextCheckAsync()
            => await Checked.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        public async ValueTask DisposeAsync()
        {
            Refresher.Dispose();
            await Scheduler.DisposeAsync();
        }
    }
}
