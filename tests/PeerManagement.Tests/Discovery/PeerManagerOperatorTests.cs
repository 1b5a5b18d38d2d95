using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using PeerManagement.Tests.Storage;

namespace PeerManagement.Tests.Discovery;

/// <summary>The operator's run-time controls of <see cref="PeerManager"/>: kick, bans, detail, reachable families, second chances.</summary>
public class PeerManagerOperatorTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static CancellationToken Token => DiscoveryHarness.Token;

    private static PeerMatch Match(string text) => PeerMatch.TryParse(text, out var match, out var error) ? match : throw new ArgumentException(error);

    [Fact]
    public async Task Kick_by_host_forgets_the_peer_and_its_schedule()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("a.example.org");
        h.AddKnownPeer("b.example.org");
        h.Manager.Scheduler.Schedule(PeerHost.Parse("a.example.org"), h.Now);

        var result = await h.Manager.KickAsync(Match("a.example.org"), banFor: null, reason: null, Token);

        result.Forgotten.Should().Equal(PeerHost.Parse("a.example.org"));
        result.Ban.Should().BeNull();
        h.Record("a.example.org").Should().BeNull();
        h.Record("b.example.org").Should().NotBeNull();
        h.Due("a.example.org").Should().BeNull();
        h.LogsWithId(150).Should().ContainSingle();
    }

    [Fact]
    public async Task Kick_by_suffix_forgets_every_name_below_the_domain_and_nothing_else()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("example.org");
        h.AddKnownPeer("a.example.org");
        h.AddKnownPeer("x.a.example.org");
        h.AddKnownPeer("badexample.org");

        var result = await h.Manager.KickAsync(Match("*.example.org"), null, null, Token);

        result.Forgotten.Select(p => p.Value).Should().Equal("a.example.org", "example.org", "x.a.example.org");
        h.Table.GetRecords().Select(r => r.Host.Value).Should().Equal("badexample.org");
    }

    [Fact]
    public async Task Kick_by_range_forgets_the_peers_reached_in_it_and_IP_literals_in_it()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("a.example.org", record: r => r with { IPAddress = IPAddress.Parse("203.0.113.5") });
        h.AddKnownPeer("203.0.113.200");
        h.AddKnownPeer("b.example.org", record: r => r with { IPAddress = IPAddress.Parse("203.0.114.5") });

        var result = await h.Manager.KickAsync(Match("203.0.113.0/24"), null, null, Token);

        result.Forgotten.Select(p => p.Value).Should().Equal("203.0.113.200", "a.example.org");
        h.Record("b.example.org").Should().NotBeNull();
    }

    [Fact]
    public async Task Kick_never_forgets_our_own_identity()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("node.example.net");
        h.AddKnownPeer("other.example.net");

        var result = await h.Manager.KickAsync(Match("*.example.net"), null, null, Token);

        result.Forgotten.Select(p => p.Value).Should().Equal("other.example.net");
        h.Record("node.example.net").Should().NotBeNull();
    }

    [Fact]
    public async Task Kick_ends_a_check_in_progress_and_closes_its_session()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("a.example.org", p => p.Silent("server.version"));
        var check = h.Manager.CheckPeerAsync(PeerHost.Parse("a.example.org"), Token);
        await DiscoveryHarness.WaitUntilAsync(() => h.Network.OpenSessions == 1);

        var result = await h.Manager.KickAsync(Match("a.example.org"), null, null, Token);

        result.SessionsClosed.Should().Be(1);
        var (outcome, next) = await check.WaitAsync(Bound, Token);
        outcome.Should().BeNull();
        next.Should().BeNull("a kicked peer is not checked again");
        h.Network.OpenSessions.Should().Be(0);
        h.Record("a.example.org").Should().BeNull("the ended check records nothing");
    }

    [Fact]
    public async Task Kick_with_a_ban_keeps_the_peer_out_until_the_ban_expires()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("a.example.org");

        var result = await h.Manager.KickAsync(Match("a.example.org"), TimeSpan.FromHours(1), "spam", Token);

        result.Ban!.Match.Should().Be("a.example.org");
        result.Ban.Expires.Should().Be(h.Now + TimeSpan.FromHours(1));
        result.Ban.Reason.Should().Be("spam");
        var add = () => h.Manager.AddPeerAsync("a.example.org s t", Token).AsTask();
        await add.Should().ThrowAsync<ArgumentException>().WithMessage("*blacklisted*");
        (await h.Manager.GetBansAsync(Token)).Should().ContainSingle(b => b.Match == "a.example.org" && !b.Configured);

        h.Time.Advance(TimeSpan.FromHours(1));

        (await h.Manager.GetBansAsync(Token)).Should().BeEmpty();
        (await h.Manager.AddPeerAsync("a.example.org s t", Token)).Should().Be(PeerNoteResult.Added);
    }

    [Theory]
    [InlineData("node.example.net")]
    [InlineData("*.example.net")]
    public async Task A_ban_that_would_cover_our_own_identity_is_refused_and_nothing_changes(string match)
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("other.example.net");

        var kick = () => h.Manager.KickAsync(Match(match), TimeSpan.FromHours(1), null, Token);

        await kick.Should().ThrowAsync<ArgumentException>().WithMessage("*own identity node.example.net*");
        h.Record("other.example.net").Should().NotBeNull("nothing is half-applied");
        (await h.Manager.GetBansAsync(Token)).Should().BeEmpty();
        h.Manager.FindCoveredIdentity(Match(match)).Should().Be("node.example.net");
    }

    [Fact]
    public async Task A_ban_that_cannot_be_saved_changes_nothing()
    {
        await using var h = new DiscoveryHarness();
        h.BanStore = new FailingBanStore();
        h.AddKnownPeer("a.example.org");

        var kick = () => h.Manager.KickAsync(Match("a.example.org"), TimeSpan.FromHours(1), null, Token);

        await kick.Should().ThrowAsync<IOException>();
        h.Record("a.example.org").Should().NotBeNull();
        (await h.Manager.GetBansAsync(Token)).Should().BeEmpty();
        (await h.Manager.AddPeerAsync("b.example.org s t", Token)).Should().Be(PeerNoteResult.Added);
    }

    [Fact]
    public async Task Run_time_bans_survive_a_restart_in_the_ban_file()
    {
        using var directory = new TemporaryDirectory();
        var path = Path.Combine(directory.Path, "peers.json.bans");
        await using (var first = new DiscoveryHarness())
        {
            first.BanStore = new FileBanStore(path, first.Time);
            await first.Manager.AddBanAsync(Match("44.1.2.0/24"), duration: null, "abuse", Token);
        }

        await using var second = new DiscoveryHarness();
        second.BanStore = new FileBanStore(path, second.Time);
        await second.Manager.StartAsync(Token);

        (await second.Manager.GetBansAsync(Token)).Should().ContainSingle().Which.Should().BeEquivalentTo(
            new { Match = "44.1.2.0/24", Expires = (DateTimeOffset?)null, Reason = "abuse", Configured = false });
        var add = () => second.Manager.AddPeerAsync("44.1.2.9 s t", Token).AsTask();
        await add.Should().ThrowAsync<ArgumentException>().WithMessage("*blacklisted*");
    }

    [Fact]
    public async Task A_configured_entry_is_listed_and_cannot_be_removed_at_run_time()
    {
        await using var h = new DiscoveryHarness();
        h.BlacklistSources.Add(new StaticBlacklistSource(["bad.example.org"]));
        await h.Manager.StartAsync(Token);
        await h.Manager.AddBanAsync(Match("worse.example.org"), null, null, Token);

        (await h.Manager.RemoveBanAsync(Match("bad.example.org"), Token)).Should().Be(BanRemoval.Configured);
        (await h.Manager.RemoveBanAsync(Match("nobody.example.org"), Token)).Should().Be(BanRemoval.NotFound);
        (await h.Manager.RemoveBanAsync(Match("worse.example.org"), Token)).Should().Be(BanRemoval.Removed);

        (await h.Manager.GetBansAsync(Token)).Should().ContainSingle().Which.Should().BeEquivalentTo(new { Match = "bad.example.org", Configured = true });
    }

    [Fact]
    public async Task The_detail_of_a_peer_has_its_buckets_and_next_check()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("a.example.org", record: r => r with { IPAddress = IPAddress.Parse("44.1.2.3"), TryCount = 2 });
        var due = h.Now + TimeSpan.FromMinutes(7);
        h.Manager.Scheduler.Schedule(PeerHost.Parse("a.example.org"), due);

        var detail = h.Manager.GetPeerDetail(PeerHost.Parse("a.example.org"))!;

        detail.Snapshot.Peer.TryCount.Should().Be(2);
        detail.InternalBucket.Should().Be(PeerBuckets.GetInternalBucket(PeerHost.Parse("a.example.org"), IPAddress.Parse("44.1.2.3")));
        detail.ExternalBucket.Should().NotBeNull();
        detail.NextCheck.Should().Be(due);
        detail.Checking.Should().BeFalse();
        detail.Blacklisted.Should().BeFalse();
        h.Manager.GetPeerDetail(PeerHost.Parse("unknown.example.org")).Should().BeNull();
    }

    [Fact]
    public async Task A_check_over_a_family_this_machine_cannot_reach_is_skipped_without_counting_a_try()
    {
        await using var h = new DiscoveryHarness(o => o.Discovery = PeerDiscoveryMode.On);
        h.AddressFamilyProbe = new FixedProbe(new AddressFamilyReachability(IPv4: false, IPv6: true));
        h.AddKnownPeer("a.example.org", record: r => r with { IPAddress = IPAddress.Parse(DiscoveryHarness.AddressFor("a.example.org")) });
        await h.Manager.StartAsync(Token);

        var (outcome, next) = await h.CheckAsync("a.example.org");

        h.Manager.Reachability.Should().Be(new AddressFamilyReachability(false, true));
        h.LogsWithId(157).Should().ContainSingle().Which.Message.Should().Contain("IPv4 no, IPv6 yes");
        outcome.Should().BeNull();
        next.Should().Be(h.Now + h.Options.Wakeup);
        h.Record("a.example.org")!.TryCount.Should().Be(0);
        h.Network.AttemptsTo("a.example.org").Should().BeEmpty();
    }

    [Fact]
    public async Task A_peer_at_the_wrong_height_gets_a_second_chance_after_the_long_interval()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("a.example.org", p => p.AtHeight(h.Chain.TipHeight + 50));
        h.AddKnownPeer("b.example.org", p => p.WithGenesis("00"));

        var (_, heightNext) = await h.CheckAsync("a.example.org");
        var (_, genesisNext) = await h.CheckAsync("b.example.org");

        heightNext.Should().Be(h.Now + TimeSpan.FromMinutes(60));
        genesisNext.Should().Be(h.Now + (2 * h.Options.Wakeup), "a wrong genesis stays bad: the ordinary back-off");
    }

    [Fact]
    public async Task A_guarded_listener_closes_the_sessions_of_a_banned_address_and_refuses_new_ones()
    {
        await using var h = new DiscoveryHarness();
        await using var listener = new JsonRpcListener(
            new JsonRpcListenerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) },
            h.Manager.CreateRequestHandler(),
            new JsonRpcSessionFactory(Options.Create(new JsonRpcOptions()), TimeProvider.System));
        h.Manager.GuardListener(listener);
        await listener.StartAsync(Token);
        using var before = new TcpClient(AddressFamily.InterNetwork);
        await before.ConnectAsync(listener.LocalEndPoint!, Token);
        await DiscoveryHarness.WaitUntilAsync(() => listener.SessionCount == 1);

        await h.Manager.AddBanAsync(Match("127.0.0.1"), TimeSpan.FromMinutes(5), null, Token);

        (await before.GetStream().ReadAsync(new byte[1], Token).AsTask().WaitAsync(Bound, Token)).Should().Be(0, "the session is closed");
        using var after = new TcpClient(AddressFamily.InterNetwork);
        await after.ConnectAsync(listener.LocalEndPoint!, Token);
        (await after.GetStream().ReadAsync(new byte[1], Token).AsTask().WaitAsync(Bound, Token)).Should().Be(0, "a new connection is refused");
    }

    private sealed class FixedProbe(AddressFamilyReachability answer) : IAddressFamilyProbe
    {
        public ValueTask<AddressFamilyReachability> ProbeAsync(CancellationToken cancellationToken) => ValueTask.FromResult(answer);
    }

    private sealed class FailingBanStore : IBanStore
    {
        public ValueTask<IReadOnlyList<PeerBan>> LoadAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<PeerBan>>([]);

        public ValueTask SaveAsync(IReadOnlyList<PeerBan> bans, CancellationToken cancellationToken) => throw new IOException("disk full");
    }
}
