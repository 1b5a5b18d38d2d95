using System.Net;
using PeerManagement.Tests.Discovery;

namespace PeerManagement.Tests.Answers;

/// <summary><c>server.add_peer</c> refuses, before it costs the budget, what its check would refuse anyway.</summary>
public class AddPeerSourceRuleTests
{
    private const string Caller = "44.5.5.5";
    private const string Newcomer = "new.example.org";

    [Fact]
    public async Task An_announcement_from_an_address_that_holds_a_good_peer_is_refused_and_spends_none_of_the_budget()
    {
        await using var h = Harness(o => o.AddPeerBudget = 1);
        KnownAt(h, "old.example.org", Caller, r => r with { LastGood = h.Now, LastTry = h.Now });

        (await PeerManagerAnswerTests.AddPeerAsync(h, Caller, Newcomer)).Should().BeFalse("one good peer per address would refuse it");

        h.Record(Newcomer).Should().BeNull();
        h.LogsWithId(104).Should().ContainSingle().Which.Message.Should().Contain("already holds a good peer (old.example.org)");
        h.Resolver.Names["other.example.org"] = [IPAddress.Parse("44.6.6.6")];
        (await PeerManagerAnswerTests.AddPeerAsync(h, "44.6.6.6", "other.example.org")).Should().BeTrue("the budget of one is still there");
    }

    [Fact]
    public async Task The_same_announcement_passes_when_one_good_peer_per_address_is_off()
    {
        await using var h = Harness(o => o.OneGoodPeerPerAddress = false);
        KnownAt(h, "old.example.org", Caller, r => r with { LastGood = h.Now, LastTry = h.Now });

        (await PeerManagerAnswerTests.AddPeerAsync(h, Caller, Newcomer)).Should().BeTrue();
    }

    [Fact]
    public async Task The_good_peer_announcing_itself_again_is_not_refused_by_the_rule()
    {
        await using var h = Harness();
        KnownAt(h, Newcomer, Caller, r => r with { LastGood = h.Now, LastTry = h.Now });

        (await PeerManagerAnswerTests.AddPeerAsync(h, Caller, Newcomer, tcp: 50011)).Should().BeTrue("its other ports are news");
    }

    [Theory]
    [InlineData("too many peers in bucket 44.5.5.5")]
    [InlineData("too many good peers in network 44.5.0.0/16")]
    [InlineData("too many good peers of one operator (TLS key)")]
    public async Task An_address_whose_peer_a_sybil_rule_found_bad_lately_announces_nothing(string verdict)
    {
        await using var h = Harness(o => o.AddPeerBudget = 1);
        KnownAt(h, "old.example.org", Caller, r => r with { LastTry = h.Now - TimeSpan.FromHours(1), TryCount = 1, BadReason = verdict });

        (await PeerManagerAnswerTests.AddPeerAsync(h, Caller, Newcomer)).Should().BeFalse();

        h.LogsWithId(104).Should().ContainSingle().Which.Message.Should().Contain("found bad within the stale time: " + verdict);
        h.Resolver.Names["other.example.org"] = [IPAddress.Parse("44.6.6.6")];
        (await PeerManagerAnswerTests.AddPeerAsync(h, "44.6.6.6", "other.example.org")).Should().BeTrue("the budget was not spent");
    }

    [Fact]
    public async Task A_sybil_verdict_older_than_the_stale_time_or_of_a_rule_switched_off_does_not_count()
    {
        await using var old = Harness();
        KnownAt(old, "old.example.org", Caller, r => r with { LastTry = old.Now - TimeSpan.FromHours(3), TryCount = 1, BadReason = "too many good peers in network 44.5.0.0/16" });
        await using var off = Harness(o => o.MaxGoodPeersPerNetwork = 0);
        KnownAt(off, "old.example.org", Caller, r => r with { LastTry = off.Now, TryCount = 1, BadReason = "too many good peers in network 44.5.0.0/16" });

        (await PeerManagerAnswerTests.AddPeerAsync(old, Caller, Newcomer)).Should().BeTrue();
        (await PeerManagerAnswerTests.AddPeerAsync(off, Caller, Newcomer)).Should().BeTrue();
    }

    [Fact]
    public async Task A_peer_bad_for_another_reason_does_not_stop_its_neighbours_announcements()
    {
        await using var h = Harness();
        KnownAt(h, "testnet.example.org", Caller, r => r with { LastTry = h.Now, TryCount = 1, BadReason = "genesis hash mismatch" });

        (await PeerManagerAnswerTests.AddPeerAsync(h, Caller, Newcomer)).Should().BeTrue("another network's server on the same machine says nothing of this one");
    }

    private static void KnownAt(DiscoveryHarness h, string host, string address, Func<PeerRecord, PeerRecord> record)
    {
        var entry = PeerRecord.FromRealName(PeerRealName.Parse(host + " s t", h.Options.DefaultPorts), PeerSources.Peer);
        h.Table.TryAdd(record(entry with { IPAddress = IPAddress.Parse(address) })).Should().BeTrue();
    }

    private static DiscoveryHarness Harness(Action<PeerManagementOptions>? configure = null)
    {
        var h = new DiscoveryHarness(configure);
        h.Resolver.Names[Newcomer] = [IPAddress.Parse(Caller)];
        return h;
    }
}
