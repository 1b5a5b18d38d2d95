using System.Net;
using System.Text.Json.Nodes;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.Tests.Discovery;

public class PeerManagerNotingTests
{
    private static PeerRealName Name(string text) => PeerRealName.Parse(text, DefaultPorts.BitcoinMainnet);

    [Fact]
    public async Task Non_public_and_onion_peers_without_a_proxy_are_dropped()
    {
        await using var h = new DiscoveryHarness();

        var added = h.Manager.NotePeers([Name("10.1.2.3 s"), Name("127.0.0.1 t"), Name("intranet t"), Name(DiscoveryHarness.Onion(1) + " s"), Name("ok.example.org s")], "x.example.org", checkPorts: false, capped: false);

        added.Should().Be(1);
        h.Table.GetRecords().Single().Host.Value.Should().Be("ok.example.org");
    }

    [Fact]
    public async Task A_refused_seed_is_a_warning_while_a_refused_stranger_is_a_debug_line()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.Identities.Clear();
            o.SeedPeers.Add("127.0.0.1 t50001");
        });

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        h.Manager.NotePeers([Name("10.1.2.3 s")], "lister.example.org", checkPorts: false, capped: false);

        h.LogsWithId(146).Should().ContainSingle().Which.Level.Should().Be(Microsoft.Extensions.Logging.LogLevel.Warning);
        h.LogsWithId(146).Single().Message.Should().Contain("127.0.0.1").And.Contain("not a public host");
        h.LogsWithId(117).Should().ContainSingle().Which.Message.Should().Contain("10.1.2.3");
    }

    [Fact]
    public async Task Non_public_peers_are_accepted_when_allowed_and_onion_ones_with_a_proxy()
    {
        await using var h = new DiscoveryHarness(o => o.AllowNonPublicPeers = true);
        h.KnowProxy();

        var added = h.Manager.NotePeers([Name("10.1.2.3 s"), Name("127.0.0.1 t"), Name(DiscoveryHarness.Onion(1) + " s")], PeerSources.Seed, checkPorts: false, capped: false);

        added.Should().Be(3);
    }

    [Fact]
    public async Task New_peers_from_one_list_are_capped_with_a_random_choice_and_logged_with_their_source()
    {
        await using var h = new DiscoveryHarness();
        var names = Enumerable.Range(0, 10).Select(i => Name($"p{i}.example.org s")).ToList();

        h.Manager.NotePeers(names, "lister.example.org", checkPorts: false, capped: true).Should().Be(2);

        h.Table.GetRecords().Should().OnlyContain(r => r.Source == "lister.example.org");
        h.LogsWithId(101).Should().HaveCount(2).And.OnlyContain(l => l.Message.Contains("lister.example.org"));
    }

    [Fact]
    public async Task The_random_choice_follows_the_injected_random()
    {
        var names = Enumerable.Range(0, 10).Select(i => Name($"p{i}.example.org s")).ToList();
        await using var first = new DiscoveryHarness();
        await using var second = new DiscoveryHarness();

        first.Manager.NotePeers(names, "l.example.org", checkPorts: false, capped: true);
        second.Manager.NotePeers(names, "l.example.org", checkPorts: false, capped: true);

        first.Table.GetRecords().Select(r => r.Host).Should().BeEquivalentTo(second.Table.GetRecords().Select(r => r.Host));
    }

    [Fact]
    public async Task Seeds_and_admin_adds_are_not_capped()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            for (var i = 0; i < 10; i++)
            {
                o.SeedPeers.Add($"seed{i}.example.org s");
            }
        });

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        for (var i = 0; i < 5; i++)
        {
            (await h.Manager.AddPeerAsync($"admin{i}.example.org t", DiscoveryHarness.Token)).Should().Be(PeerNoteResult.Added);
        }

        h.Table.GetRecords().Count(r => r.Source == PeerSources.Seed).Should().Be(10);
        h.Table.GetRecords().Count(r => r.Source == PeerSources.Admin).Should().Be(5);
    }

    [Fact]
    public async Task A_blacklisted_host_is_refused_at_noting_and_never_connected_to()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.Identities.Clear();
            o.SeedPeers.Add("seed.sybil.example s t");
        });
        h.BlacklistSources.Add(new StaticBlacklistSource(["*.sybil.example", "44.66.0.0/16"]));
        h.AddPeer("seed.sybil.example");
        h.AddPeer("44.66.1.1");
        h.AddPeer("listed.sybil.example");

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        var added = h.Manager.NotePeers([Name("listed.sybil.example s"), Name("44.66.1.1 s")], "lister.example.org", checkPorts: false, capped: false);
        var admin = async () => await h.Manager.AddPeerAsync("other.sybil.example s", DiscoveryHarness.Token);
        h.Resolver.Names["announced.sybil.example"] = [IPAddress.Parse("44.67.0.1")];
        var announced = await PeerManagerAnswerTests.AddPeerAsync(h, "44.67.0.1", "announced.sybil.example");

        added.Should().Be(0);
        (await admin.Should().ThrowAsync<ArgumentException>()).WithMessage("*blacklisted*");
        announced.Should().BeFalse();
        h.Table.Count.Should().Be(0);
        h.Network.Attempts.Should().BeEmpty("a blacklisted host is refused before anyone connects to it");
    }

    [Fact]
    public async Task A_full_table_takes_no_more_peers_from_other_nodes_but_still_takes_the_operators()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.Identities.Clear();
            o.MaxPeers = 3;
        });
        h.Manager.NotePeers([Name("a.example.org s"), Name("b.example.org s"), Name("c.example.org s")], "lister.example.org", checkPorts: false, capped: false)
            .Should().Be(3);

        var fromPeers = h.Manager.NotePeers([Name("d.example.org s"), Name("e.example.org s")], "lister.example.org", checkPorts: false, capped: false);
        var fromAdmin = await h.Manager.AddPeerAsync("admin.example.org s", DiscoveryHarness.Token);

        fromPeers.Should().Be(0);
        fromAdmin.Should().Be(PeerNoteResult.Added);
        h.Table.Count.Should().Be(4);
        h.Record("d.example.org").Should().BeNull();
        h.LogsWithId(142).Should().HaveCount(2);
    }

    [Fact]
    public async Task A_full_table_makes_room_by_forgetting_the_peer_that_turned_bad_longest_ago_and_never_a_good_or_unchecked_one()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.Identities.Clear();
            o.MaxPeers = 4;
        });
        h.Manager.NotePeers([Name("a.example.org s"), Name("b.example.org s"), Name("c.example.org s"), Name("g.example.org s")], "lister.example.org", checkPorts: false, capped: false)
            .Should().Be(4);
        MarkBad(h, "b.example.org");
        MarkBad(h, "a.example.org");
        h.Table.Update(PeerHost.Parse("g.example.org"), r => r with { LastGood = h.Now, LastTry = h.Now });

        h.Manager.NotePeers([Name("d.example.org s")], "lister.example.org", checkPorts: false, capped: false).Should().Be(1);
        h.Record("b.example.org").Should().BeNull("it turned bad first");
        h.Record("a.example.org").Should().NotBeNull();
        h.Manager.NotePeers([Name("e.example.org s")], "lister.example.org", checkPorts: false, capped: false).Should().Be(1);
        h.Record("a.example.org").Should().BeNull();

        h.Manager.NotePeers([Name("f.example.org s")], "lister.example.org", checkPorts: false, capped: false)
            .Should().Be(0, "what is left is good (g) or not checked yet (c, d, e): a stranger's peer does not displace them");
        h.Table.GetRecords().Select(r => r.Host.Value).Should().BeEquivalentTo(["c.example.org", "d.example.org", "e.example.org", "g.example.org"]);
        h.Due("b.example.org").Should().BeNull("an evicted peer is not checked again");
    }

    [Fact]
    public async Task A_bad_seed_is_never_evicted_from_a_full_table()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.Identities.Clear();
            o.SeedPeers.Add("seed.example.org s t");
            o.MaxPeers = 2;
        });
        await h.Manager.AddPeerAsync("seed.example.org s t", DiscoveryHarness.Token);
        h.Manager.NotePeers([Name("a.example.org s")], "lister.example.org", checkPorts: false, capped: false).Should().Be(1);
        MarkBad(h, "seed.example.org");

        h.Manager.NotePeers([Name("b.example.org s")], "lister.example.org", checkPorts: false, capped: false).Should().Be(0);
        h.Record("seed.example.org").Should().NotBeNull();
    }

    private static void MarkBad(DiscoveryHarness h, string host)
        => h.Table.Update(PeerHost.Parse(host), r => r with { BadReason = "wrong genesis", LastTry = h.Now });

    [Fact]
    public async Task Known_peers_match_by_host_and_by_address()
    {
        await using var h = new DiscoveryHarness();
        h.Table.TryAdd(new PeerRecord { Host = PeerHost.Parse("a.example.org"), IPAddress = IPAddress.Parse("44.7.7.7") });

        h.Manager.NotePeers([Name("A.Example.org s"), Name("44.7.7.7 s")], "l.example.org", checkPorts: false, capped: false).Should().Be(0);

        h.Table.Count.Should().Be(1);
    }

    [Fact]
    public async Task A_port_change_through_admin_wakes_the_entry_and_the_new_ports_are_tried()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("a.example.org", p => p.ReachableOnlyOn(50012));
        h.Manager.Scheduler.Reschedule(PeerHost.Parse("a.example.org"), h.Now + TimeSpan.FromHours(2));

        (await h.Manager.AddPeerAsync("a.example.org s50012 t50011", DiscoveryHarness.Token)).Should().Be(PeerNoteResult.PortsChanged);

        h.Due("a.example.org").Should().Be(h.Now);
        (await h.CheckAsync("a.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good);
        h.Network.AttemptsTo("a.example.org").Select(a => a.Endpoint.Port).Should().Equal(50002, 50001, 50012);
    }

    [Fact]
    public async Task A_port_change_through_server_add_peer_wakes_the_entry()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("a.example.org", p => p.At("44.8.8.8").ReachableOnlyOn(50012));
        h.Manager.Scheduler.Reschedule(PeerHost.Parse("a.example.org"), h.Now + TimeSpan.FromHours(2));
        h.Resolver.Names["a.example.org"] = [IPAddress.Parse("44.8.8.8")];

        var accepted = await PeerManagerAnswerTests.AddPeerAsync(h, "44.8.8.8", "a.example.org", tcp: 50011, ssl: 50012);

        accepted.Should().BeTrue();
        h.Due("a.example.org").Should().Be(h.Now);
        (await h.CheckAsync("a.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good);
        h.Network.AttemptsTo("a.example.org").Select(a => a.Endpoint.Port).Should().Contain(50012);
    }

    [Fact]
    public async Task Admin_add_refuses_bad_input_with_an_argument_exception_naming_it()
    {
        await using var h = new DiscoveryHarness();

        var empty = async () => await h.Manager.AddPeerAsync("", DiscoveryHarness.Token);
        var invalid = async () => await h.Manager.AddPeerAsync("bad_host! s", DiscoveryHarness.Token);
        var loopback = async () => await h.Manager.AddPeerAsync("127.0.0.1 s", DiscoveryHarness.Token);
        var onion = async () => await h.Manager.AddPeerAsync(DiscoveryHarness.Onion(3) + " s", DiscoveryHarness.Token);

        (await empty.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("realName");
        (await invalid.Should().ThrowAsync<ArgumentException>()).WithMessage("*bad_host!*");
        (await loopback.Should().ThrowAsync<ArgumentException>()).WithMessage("*not a public host*");
        (await onion.Should().ThrowAsync<ArgumentException>()).WithMessage("*no proxy*");
    }

    [Theory]
    [InlineData("not a valid host!! s t", "*'a' is not a token*")]
    [InlineData("exa mple..com t", "*'mple..com' is not a token*")]
    [InlineData("127.23.0.1 t99999", "*'t99999' is not a token*")]
    [InlineData("203.0.113.7 tabc", "*'tabc' is not a token*")]
    public async Task Admin_add_validates_the_whole_name_and_names_the_bad_token(string text, string message)
    {
        await using var h = new DiscoveryHarness(o => o.AllowNonPublicPeers = true);

        var add = async () => await h.Manager.AddPeerAsync(text, DiscoveryHarness.Token);

        (await add.Should().ThrowAsync<ArgumentException>()).WithMessage(message).Which.ParamName.Should().Be("realName");
        h.Table.Count.Should().Be(0, "nothing of a malformed name is added");
    }

    [Fact]
    public async Task Admin_add_errors_quote_at_most_a_hundred_characters()
    {
        await using var h = new DiscoveryHarness();

        var add = async () => await h.Manager.AddPeerAsync(new string('x', 100_000) + ".example.org s", DiscoveryHarness.Token);

        (await add.Should().ThrowAsync<ArgumentException>()).Which.Message.Length.Should().BeLessThan(400);
    }

    [Fact]
    public async Task Onion_peers_are_skipped_without_a_proxy_and_checked_through_it_with_one()
    {
        await using var h = new DiscoveryHarness();
        var onion = DiscoveryHarness.Onion(7);
        h.AddKnownPeer(onion);

        var (skipped, next) = await h.CheckAsync(onion);
        skipped.Should().BeNull();
        next.Should().Be(h.Now + h.Options.Wakeup);
        h.Network.Attempts.Should().BeEmpty();
        h.Record(onion)!.TryCount.Should().Be(0);

        h.KnowProxy();
        (await h.CheckAsync(onion)).Outcome.Should().Be(PeerCheckOutcome.Good);
        h.Network.Attempts.Should().OnlyContain(a => a.ViaProxy);
        h.Network.Sessions.Single().Settings.RequestTimeout.Should().Be(TimeSpan.FromSeconds(120));
        h.Record(onion)!.IPAddress.Should().BeNull();
    }

    [Fact]
    public async Task Force_proxy_without_a_proxy_skips_quietly_and_with_one_goes_through_it()
    {
        await using var h = new DiscoveryHarness(o => o.ForceProxy = true);
        h.AddKnownPeer("a.example.org");

        (await h.CheckAsync("a.example.org")).Outcome.Should().BeNull();
        h.Network.Attempts.Should().BeEmpty();
        h.Record("a.example.org")!.TryCount.Should().Be(0);
        h.Logs.GetSnapshot().Where(l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Information).Should().BeEmpty();

        h.KnowProxy();
        (await h.CheckAsync("a.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good);
        h.Network.Attempts.Should().OnlyContain(a => a.ViaProxy);
    }

    [Fact]
    public async Task Status_changes_are_streamed_to_watchers()
    {
        await using var h = new DiscoveryHarness();
        h.AddPeer("a.example.org");

        // The first MoveNextAsync subscribes before it returns (the iterator runs up to its first wait).
        var watch = h.Manager.WatchStatusChangesAsync(DiscoveryHarness.Token).GetAsyncEnumerator(DiscoveryHarness.Token);
        await using var _ = watch;
        var first = watch.MoveNextAsync();
        await h.Manager.AddPeerAsync("a.example.org s t", DiscoveryHarness.Token);
        await h.CheckAsync("a.example.org");

        var changes = new List<PeerStatusChange>();
        (await first.AsTask().WaitAsync(TimeSpan.FromSeconds(10), DiscoveryHarness.Token)).Should().BeTrue();
        changes.Add(watch.Current);
        (await watch.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), DiscoveryHarness.Token)).Should().BeTrue();
        changes.Add(watch.Current);

        changes.Select(c => (c.OldStatus, c.NewStatus)).Should().Equal((null, PeerStatus.Never), (PeerStatus.Never, PeerStatus.Good));
    }

    [Fact]
    public async Task Info_and_peer_list_come_from_the_table()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("a.example.org");
        h.AddKnownPeer("b.example.org", p => p.WithGenesis("00"));
        h.AddKnownPeer("c.example.org");
        await h.CheckAsync("a.example.org");
        await h.CheckAsync("b.example.org");

        h.Manager.GetInfo().Should().Be(new PeerCounts(Bad: 1, Good: 1, Never: 1, Stale: 0));
        h.Manager.GetPeers().Select(p => p.Peer.Host.Value).Should().Equal("a.example.org", "c.example.org", "b.example.org");
        h.Manager.ProxyEndPoint.Should().BeNull();
        h.KnowProxy();
        h.Manager.ProxyEndPoint.Should().Be(new IPEndPoint(IPAddress.Loopback, 9050));
    }
}
