using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.Tests.Peers;

public class PeerTableTests
{
    private static readonly TimeSpan StaleAfter = TimeSpan.FromHours(3);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private readonly PeerTable _table;

    public PeerTableTests() => _table = new PeerTable(_time, StaleAfter);

    private static PeerRealName Name(string text) => PeerRealName.Parse(text, DefaultPorts.BitcoinMainnet);

    private static PeerHost Host(string text) => PeerHost.Parse(text);

    private void MarkGood(string host, DateTimeOffset? at = null)
        => _table.Update(Host(host), r => r with { LastGood = at ?? _time.GetUtcNow(), LastTry = at ?? _time.GetUtcNow(), TryCount = 0 });

    private void ConnectedAt(string host, string address)
        => _table.Update(Host(host), r => r with { IPAddress = IPAddress.Parse(address) });

    [Fact]
    public void Entries_are_counted_per_public_16_through_adds_address_changes_and_forgets()
    {
        var network = PeerBuckets.GetExternalNetwork(IPAddress.Parse("44.9.0.0"));
        _table.Note(Name("44.9.1.1 s"), PeerSources.Seed, checkPorts: false);
        _table.TrackNetworks();
        _table.Note(Name("44.9.2.2 s"), PeerSources.Seed, checkPorts: false);
        _table.Note(Name("a.example.org s"), PeerSources.Seed, checkPorts: false);
        _table.Note(Name("10.9.0.1 s"), PeerSources.Seed, checkPorts: false);
        _table.CountInNetwork(network, Host("none.example.org")).Should().Be(2, "the literal already there counts, a name not reached yet and a private address do not");

        ConnectedAt("a.example.org", "44.9.3.3");
        _table.CountInNetwork(network, Host("none.example.org")).Should().Be(3);
        _table.CountInNetwork(network, Host("a.example.org")).Should().Be(2, "the one asking is left out");

        ConnectedAt("a.example.org", "45.9.3.3");
        _table.Forget(Host("44.9.1.1"), reason: null);
        _table.CountInNetwork(network, Host("none.example.org")).Should().Be(1);
        _table.CountInNetwork(PeerBuckets.GetExternalNetwork(IPAddress.Parse("45.9.0.0")), Host("none.example.org")).Should().Be(1);
    }

    [Fact]
    public void Making_room_in_a_network_forgets_a_bad_entry_then_the_one_verified_longest_ago_and_never_a_good_one()
    {
        var network = PeerBuckets.GetExternalNetwork(IPAddress.Parse("44.9.0.0"));
        _table.TrackNetworks();
        foreach (var host in (string[])["44.9.0.1", "44.9.0.2", "44.9.0.3", "44.9.0.4", "44.9.0.5", "44.9.0.6"])
        {
            _table.Note(Name(host + " s"), PeerSources.Seed, checkPorts: false);
        }

        var now = _time.GetUtcNow();
        MarkGood("44.9.0.1");
        MarkGood("44.9.0.2", now - TimeSpan.FromHours(5));
        MarkGood("44.9.0.3", now - TimeSpan.FromHours(4));
        _table.Update(Host("44.9.0.4"), r => r with { LastGood = now - TimeSpan.FromHours(1), BadReason = "wrong genesis" });
        var keep = new HashSet<PeerHost> { Host("44.9.0.5") };
        string?[] order = [.. Enumerable.Range(0, 4).Select(_ => _table.ForgetOneOfNetwork(network, Host("44.9.9.9"), keep, "room")?.Host.Value)];

        order.Should().Equal("44.9.0.4", "44.9.0.2", "44.9.0.3", null);
        _table.Find(Host("44.9.0.1"))!.Status.Should().Be(PeerStatus.Good);
        _table.Find(Host("44.9.0.5")).Should().NotBeNull("it was to be kept");
        _table.Find(Host("44.9.0.6")).Should().NotBeNull("it was never tried: it waits for its check");
    }

    [Fact]
    public void Hosts_match_case_insensitively()
    {
        _table.Note(Name("Electrum.Example.ORG s t"), PeerSources.Seed, checkPorts: false).Should().Be(PeerNoteResult.Added);

        _table.Note(Name("electrum.example.org s t"), PeerSources.Seed, checkPorts: false).Should().Be(PeerNoteResult.Known);
        _table.Find(Host("ELECTRUM.example.org")).Should().NotBeNull();
        _table.Count.Should().Be(1);
    }

    [Fact]
    public void An_IP_literal_matches_the_peer_last_connected_at_that_address()
    {
        _table.Note(Name("a.example.org s"), PeerSources.Seed, checkPorts: false);
        ConnectedAt("a.example.org", "203.0.113.5");

        _table.Note(Name("203.0.113.5 s"), "peer.example.net", checkPorts: false).Should().Be(PeerNoteResult.Known);

        _table.Count.Should().Be(1);
        _table.FindMatches(Host("203.0.113.5")).Select(r => r.Host.Value).Should().Equal("a.example.org");
    }

    [Fact]
    public void The_address_index_follows_a_change_of_address()
    {
        _table.Note(Name("a.example.org s"), PeerSources.Seed, checkPorts: false);
        ConnectedAt("a.example.org", "203.0.113.5");

        ConnectedAt("a.example.org", "198.51.100.7");

        _table.FindByAddress(IPAddress.Parse("203.0.113.5")).Should().BeEmpty();
        _table.FindByAddress(IPAddress.Parse("198.51.100.7")).Select(r => r.Host.Value).Should().Equal("a.example.org");
        _table.Note(Name("203.0.113.5 s"), PeerSources.Seed, checkPorts: false).Should().Be(PeerNoteResult.Added);
    }

    [Fact]
    public void The_address_index_follows_removals_of_hosts_sharing_an_address()
    {
        foreach (var host in new[] { "a.example.org", "b.example.org", "c.example.org" })
        {
            _table.Note(Name(host + " s"), PeerSources.Seed, checkPorts: false);
            ConnectedAt(host, "2001:db8::1");
        }

        _table.Forget(Host("b.example.org"), reason: null).Should().BeTrue();
        _table.FindByAddress(IPAddress.Parse("2001:db8::1")).Select(r => r.Host.Value).Should().BeEquivalentTo("a.example.org", "c.example.org");

        _table.Forget(Host("c.example.org"), reason: null);
        _table.Forget(Host("a.example.org"), reason: null);
        _table.FindByAddress(IPAddress.Parse("2001:db8::1")).Should().BeEmpty();
        _table.Forget(Host("a.example.org"), reason: null).Should().BeFalse();
        _table.Count.Should().Be(0);
        _table.GetInfo().Should().Be(new PeerCounts(0, 0, 0, 0));
    }

    [Fact]
    public void New_ports_for_a_known_host_are_kept_as_alternatives_only_when_asked()
    {
        _table.Note(Name("a.example.org s t"), PeerSources.Seed, checkPorts: false);

        _table.Note(Name("a.example.org s60002"), "peer.example.net", checkPorts: false).Should().Be(PeerNoteResult.Known);
        _table.TakeAlternativePorts(Host("a.example.org")).Should().BeEmpty();

        _table.Note(Name("a.example.org s60002"), PeerSources.AddPeer, checkPorts: true).Should().Be(PeerNoteResult.PortsChanged);
        _table.Note(Name("a.example.org s60002"), PeerSources.AddPeer, checkPorts: true).Should().Be(PeerNoteResult.Known, "the same alternative is kept once");
        _table.Note(Name("a.example.org s t"), PeerSources.AddPeer, checkPorts: true).Should().Be(PeerNoteResult.Known, "the ports are the current ones");

        _table.TakeAlternativePorts(Host("a.example.org")).Should().Equal(new PeerPorts(null, 60002));
        _table.TakeAlternativePorts(Host("a.example.org")).Should().BeEmpty("taking them empties the list");
    }

    [Fact]
    public void Alternative_ports_are_bounded()
    {
        _table.Note(Name("a.example.org s"), PeerSources.Seed, checkPorts: false);

        for (var port = 1000; port < 1100; port++)
        {
            _table.Note(Name($"a.example.org s{port}"), PeerSources.AddPeer, checkPorts: true);
        }

        _table.TakeAlternativePorts(Host("a.example.org")).Should().HaveCount(PeerTable.MaxAlternativePorts);
    }

    [Fact]
    public void Status_moves_from_never_to_good_to_stale_with_time()
    {
        _table.Note(Name("a.example.org s"), PeerSources.Seed, checkPorts: false);
        _table.GetInfo().Should().Be(new PeerCounts(Bad: 0, Good: 0, Never: 1, Stale: 0));
        _table.Find(Host("a.example.org"))!.Status.Should().Be(PeerStatus.Never);

        MarkGood("a.example.org");
        _table.GetInfo().Should().Be(new PeerCounts(Bad: 0, Good: 1, Never: 0, Stale: 0));

        _time.Advance(StaleAfter - TimeSpan.FromSeconds(1));
        _table.GetInfo().Good.Should().Be(1);
        _table.Find(Host("a.example.org"))!.Status.Should().Be(PeerStatus.Good);

        _time.Advance(TimeSpan.FromSeconds(1));
        _table.GetInfo().Should().Be(new PeerCounts(Bad: 0, Good: 0, Never: 0, Stale: 1));
        _table.Find(Host("a.example.org"))!.Status.Should().Be(PeerStatus.Stale);

        MarkGood("a.example.org");
        _table.GetInfo().Should().Be(new PeerCounts(Bad: 0, Good: 1, Never: 0, Stale: 0));
    }

    [Fact]
    public void Bad_wins_over_good_and_clearing_it_restores_the_status()
    {
        _table.Note(Name("a.example.org s"), PeerSources.Seed, checkPorts: false);
        MarkGood("a.example.org");

        _table.Update(Host("a.example.org"), r => r with { BadReason = "wrong genesis hash" });
        _table.GetInfo().Should().Be(new PeerCounts(Bad: 1, Good: 0, Never: 0, Stale: 0));
        _table.Find(Host("a.example.org"))!.Status.Should().Be(PeerStatus.Bad);

        _table.Update(Host("a.example.org"), r => r with { BadReason = null });
        _table.GetInfo().Should().Be(new PeerCounts(Bad: 0, Good: 1, Never: 0, Stale: 0));
    }

    [Fact]
    public void A_clock_that_goes_back_makes_stale_peers_good_again()
    {
        var clock = new SettableClock(_time.GetUtcNow());
        var table = new PeerTable(clock, StaleAfter);
        table.Note(Name("a.example.org s"), PeerSources.Seed, checkPorts: false);
        table.Update(Host("a.example.org"), r => r with { LastGood = clock.Now });
        clock.Now += StaleAfter;
        table.GetInfo().Stale.Should().Be(1);

        clock.Now -= TimeSpan.FromHours(1);

        table.GetInfo().Should().Be(new PeerCounts(Bad: 0, Good: 1, Never: 0, Stale: 0));
    }

    [Fact]
    public void Peers_are_listed_bad_last_and_most_recently_good_first()
    {
        var start = _time.GetUtcNow();
        foreach (var host in new[] { "old.example.org", "new.example.org", "never.example.org", "bad.example.org", "mid.example.org" })
        {
            _table.Note(Name(host + " s"), PeerSources.Seed, checkPorts: false);
        }

        MarkGood("old.example.org", start - TimeSpan.FromHours(5));
        MarkGood("mid.example.org", start - TimeSpan.FromMinutes(30));
        MarkGood("new.example.org", start);
        MarkGood("bad.example.org", start);
        _table.Update(Host("bad.example.org"), r => r with { BadReason = "blacklisted" });

        _table.GetPeers().Select(p => (p.Peer.Host.Value, p.Status)).Should().Equal(
            ("new.example.org", PeerStatus.Good),
            ("mid.example.org", PeerStatus.Good),
            ("old.example.org", PeerStatus.Stale),
            ("never.example.org", PeerStatus.Never),
            ("bad.example.org", PeerStatus.Bad));
    }

    [Fact]
    public void Changes_raise_the_event_and_bump_the_version_but_a_known_peer_does_not()
    {
        var raised = 0;
        _table.Changed += (_, _) => raised++;

        _table.Note(Name("a.example.org s"), PeerSources.Seed, checkPorts: false);
        var version = _table.Version;
        _table.Note(Name("a.example.org s"), PeerSources.Seed, checkPorts: false);
        _table.Version.Should().Be(version);
        raised.Should().Be(1);

        MarkGood("a.example.org");
        _table.Forget(Host("a.example.org"), reason: null);
        raised.Should().Be(3);
        _table.Version.Should().Be(version + 2);
    }

    [Fact]
    public void Each_domain_operation_reports_the_status_before_and_after_in_one_event()
    {
        var changes = new List<PeerStatusChange>();
        _table.Changed += (_, change) => changes.Add(change);
        var host = Host("a.example.org");
        var features = new PeerFeatures { Hosts = new Dictionary<PeerHost, PeerPorts> { [host] = new(50011, null) } };

        _table.Note(Name("a.example.org s"), PeerSources.Seed, checkPorts: false);
        _table.RecordGood(host, features, _time.GetUtcNow());
        _table.RecordFailure(host, "timed out", bad: false, _time.GetUtcNow(), _ => false);
        _table.RecordFailure(host, "incorrect genesis hash", bad: true, _time.GetUtcNow(), _ => false);
        _table.Forget(host, "gone");

        changes.Select(c => (c.OldStatus, c.NewStatus, c.Reason)).Should().Equal(
            (null, PeerStatus.Never, null),
            (PeerStatus.Never, PeerStatus.Good, null),
            (PeerStatus.Good, PeerStatus.Good, "timed out"),
            (PeerStatus.Good, PeerStatus.Bad, "incorrect genesis hash"),
            (PeerStatus.Bad, null, "gone"));
        changes.Should().OnlyContain(c => c.Host == host && c.Time == _time.GetUtcNow());
    }

    [Fact]
    public void A_good_check_records_its_features_ports_and_times_in_one_step()
    {
        var host = Host("a.example.org");
        _table.Note(Name("a.example.org s t"), PeerSources.Seed, checkPorts: false);
        _table.RecordFailure(host, "timed out", bad: true, _time.GetUtcNow(), _ => false);
        var started = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromSeconds(3));
        var features = new PeerFeatures
        {
            Hosts = new Dictionary<PeerHost, PeerPorts> { [host] = new(50011, 50012) },
            ProtocolMax = new ProtocolVersion(1, 4, 2),
            Pruning = 1000,
        };

        var record = _table.RecordGood(host, features, started)!;

        record.Should().BeEquivalentTo(new
        {
            TryCount = 0,
            LastGood = (DateTimeOffset?)_time.GetUtcNow(),
            LastTry = (DateTimeOffset?)started,
            Source = PeerSources.Peer,
            BadReason = (string?)null,
            Ports = new PeerPorts(50011, 50012),
            Version = (ProtocolVersion?)new ProtocolVersion(1, 4, 2),
            Pruning = (long?)1000,
        });
        _table.GetInfo().Good.Should().Be(1);
    }

    [Fact]
    public void A_failure_that_reaches_the_limit_forgets_the_peer_atomically_with_one_event()
    {
        var host = Host("a.example.org");
        _table.Note(Name("a.example.org s"), PeerSources.Seed, checkPorts: false);
        var changes = new List<PeerStatusChange>();
        _table.Changed += (_, change) => changes.Add(change);

        var first = _table.RecordFailure(host, "refused", bad: false, _time.GetUtcNow(), r => r.TryCount >= 2);
        var second = _table.RecordFailure(host, "refused", bad: false, _time.GetUtcNow(), r => r.TryCount >= 2);
        var third = _table.RecordFailure(host, "refused", bad: false, _time.GetUtcNow(), r => r.TryCount >= 2);

        first.Forgotten.Should().BeFalse();
        first.Record!.TryCount.Should().Be(1);
        second.Forgotten.Should().BeTrue();
        second.Record!.TryCount.Should().Be(2);
        third.Record.Should().BeNull("a forgotten peer is gone");
        _table.Count.Should().Be(0);
        _table.GetInfo().Total.Should().Be(0);
        changes.Select(c => (c.OldStatus, c.NewStatus)).Should().Equal((PeerStatus.Never, PeerStatus.Never), (PeerStatus.Never, (PeerStatus?)null));
    }

    [Fact]
    public void An_update_that_changes_the_host_is_refused()
    {
        _table.Note(Name("a.example.org s"), PeerSources.Seed, checkPorts: false);

        var act = () => _table.Update(Host("a.example.org"), r => r with { Host = Host("b.example.org") });

        act.Should().Throw<ArgumentException>();
        _table.Find(Host("a.example.org")).Should().NotBeNull();
        _table.Update(Host("missing.example.org"), r => r).Should().BeNull();
    }

    [Fact]
    public void Adopted_features_share_the_text_of_the_peer_host()
    {
        _table.Note(Name("a.example.org s"), PeerSources.Seed, checkPorts: false);
        using var json = System.Text.Json.JsonDocument.Parse("""{"hosts": {"A.example.org": {"ssl_port": 50002}, "b.example.org": {}}}""");
        var features = PeerFeatures.FromJson(json.RootElement);

        _table.Update(Host("a.example.org"), r => r with { Features = features });

        var peer = _table.Find(Host("a.example.org"))!.Peer;
        var listed = peer.Features!.Hosts.Keys.First(h => h == peer.Host);
        ReferenceEquals(listed.Value, peer.Host.Value).Should().BeTrue();
        peer.Features.Hosts[Host("a.example.org")].SslPort.Should().Be(50002);
        peer.Features.Hosts.Should().HaveCount(2);
    }

    [Fact]
    public void TryAdd_refuses_a_host_or_address_already_known()
    {
        var record = PeerRecord.FromRealName(Name("a.example.org s"), PeerSources.Seed) with { IPAddress = IPAddress.Parse("203.0.113.9") };
        _table.TryAdd(record).Should().BeTrue();

        _table.TryAdd(record).Should().BeFalse();
        _table.TryAdd(PeerRecord.FromRealName(Name("203.0.113.9 s"), PeerSources.Seed)).Should().BeFalse();
        _table.Count.Should().Be(1);
    }

    [Fact]
    public async Task Concurrent_writers_keep_the_counts_consistent()
    {
        var ct = TestContext.Current.CancellationToken;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(
            () =>
            {
                for (var i = 0; i < 2_000; i++)
                {
                    var host = $"h{i % 500}.example.org";
                    _table.Note(Name(host + " s"), PeerSources.Seed, checkPorts: true);
                    if (i % 3 == w % 3)
                    {
                        MarkGood(host);
                    }
                    else if (i % 7 == 0)
                    {
                        _table.Forget(Host(host), reason: null);
                    }
                }
            },
            ct));

        await Task.WhenAll(writers);

        var peers = _table.GetPeers();
        _table.GetInfo().Should().Be(Recount(peers));
        _table.GetInfo().Total.Should().Be(_table.Count);
    }

    [Fact]
    public void Counts_always_equal_a_recount_under_random_operations()
    {
        // A clock that may also go back (NTP steps), which a fake provider refuses.
        var clock = new SettableClock(_time.GetUtcNow());
        var table = new PeerTable(clock, StaleAfter);
        var random = new Random(20261125);
        var start = clock.Now;
        for (var step = 0; step < 5_000; step++)
        {
            var host = $"h{random.Next(200)}.example.org";
            switch (random.Next(8))
            {
                case 0 or 1:
                    table.Note(Name($"{host} s"), PeerSources.Seed, checkPorts: false);
                    break;
                case 2 or 3:
                    // Successes at random past moments, so the ordered list is not filled in time order.
                    table.Update(Host(host), r => r with { LastGood = clock.Now - TimeSpan.FromMinutes(random.Next(0, 300)) });
                    break;
                case 4:
                    table.Update(Host(host), r => r with { BadReason = random.Next(2) == 0 ? "bad" : null });
                    break;
                case 5:
                    table.Forget(Host(host), reason: null);
                    break;
                case 6:
                    table.Update(Host(host), r => r with { IPAddress = IPAddress.Parse($"203.0.113.{random.Next(4)}") });
                    break;
                default:
                    clock.Now += TimeSpan.FromMinutes(random.Next(0, 40));
                    if (random.Next(50) == 0)
                    {
                        clock.Now = start + TimeSpan.FromMinutes(random.Next(0, 600));
                    }

                    break;
            }

            if (step % 10 == 0)
            {
                table.GetInfo().Should().Be(Recount(table.GetPeers()), "at step {0}", step);
            }
        }

        foreach (var group in table.GetRecords().Where(r => r.IPAddress is not null).GroupBy(r => r.IPAddress!))
        {
            table.FindByAddress(group.Key).Select(r => r.Host).Should().BeEquivalentTo(group.Select(r => r.Host));
        }
    }

    private static PeerCounts Recount(IReadOnlyList<PeerSnapshot> peers) => new(
        peers.Count(p => p.Status == PeerStatus.Bad),
        peers.Count(p => p.Status == PeerStatus.Good),
        peers.Count(p => p.Status == PeerStatus.Never),
        peers.Count(p => p.Status == PeerStatus.Stale));

    private sealed class SettableClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
