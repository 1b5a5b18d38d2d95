using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.Tests.Discovery;

public class PeerManagerAnswerTests
{
    internal static Task<bool> AddPeerAsync(DiscoveryHarness h, string? source, string host, int? tcp = 50001, int? ssl = 50002, FakeJsonRpcSession? session = null)
    {
        var features = new JsonObject
        {
            ["hosts"] = new JsonObject { [host] = new JsonObject { ["tcp_port"] = tcp, ["ssl_port"] = ssl } },
            ["genesis_hash"] = FakeChainView.MainnetGenesis,
            ["protocol_max"] = "1.4.2",
        };
        return AddPeerRawAsync(h, source, new JsonArray(features), session);
    }

    internal static async Task<bool> AddPeerRawAsync(DiscoveryHarness h, string? source, JsonNode? parameters, FakeJsonRpcSession? session = null)
    {
        session ??= FakeJsonRpcSession.Incoming(source is null ? null : new IPEndPoint(IPAddress.Parse(source), 40000));
        var answer = await Call(h, "server.add_peer", parameters, session);
        return answer!.GetValue<bool>();
    }

    private static async Task<JsonNode?> Call(DiscoveryHarness h, string method, JsonNode? parameters, IJsonRpcSession? session = null)
    {
        session ??= FakeJsonRpcSession.Incoming(new IPEndPoint(IPAddress.Parse("44.99.0.1"), 40000));
        var element = JsonSerializer.SerializeToElement(parameters);
        return await h.Manager.CreateRequestHandler().HandleAsync(new JsonRpcCall(method, element, false, session), DiscoveryHarness.Token);
    }

    private static JsonArray Array(JsonNode? node) => JsonNode.Parse(node!.ToJsonString())!.AsArray();

    [Fact]
    public async Task Add_peer_is_accepted_when_the_host_resolves_to_the_caller()
    {
        await using var h = new DiscoveryHarness();
        h.Resolver.Names["new.example.org"] = [IPAddress.Parse("44.5.5.5")];

        (await AddPeerAsync(h, "44.5.5.5", "new.example.org", tcp: 50011)).Should().BeTrue();

        var record = h.Record("new.example.org")!;
        record.Source.Should().Be(PeerSources.AddPeer);
        record.Ports.Should().Be(new PeerPorts(50011, 50002));
        h.Due("new.example.org").Should().Be(h.Now);
        h.LogsWithId(125).Should().ContainSingle();
    }

    [Fact]
    public async Task Add_peer_answers_false_when_discovery_is_off_or_self()
    {
        await using var off = new DiscoveryHarness(o => o.Discovery = PeerDiscoveryMode.Off);
        await using var self = new DiscoveryHarness(o => o.Discovery = PeerDiscoveryMode.Self);
        off.Resolver.Names["new.example.org"] = [IPAddress.Parse("44.5.5.5")];
        self.Resolver.Names["new.example.org"] = [IPAddress.Parse("44.5.5.5")];

        (await AddPeerAsync(off, "44.5.5.5", "new.example.org")).Should().BeFalse();
        (await AddPeerAsync(self, "44.5.5.5", "new.example.org")).Should().BeFalse();
        off.Table.Count.Should().Be(0);
    }

    [Fact]
    public async Task Add_peer_answers_false_without_a_source_address()
    {
        await using var h = new DiscoveryHarness();

        (await AddPeerAsync(h, source: null, "new.example.org")).Should().BeFalse();
        h.LogsWithId(104).Should().ContainSingle().Which.Message.Should().Contain("source address is unknown");
    }

    [Fact]
    public async Task Add_peer_of_a_host_resolving_elsewhere_is_refused_with_a_warning()
    {
        await using var h = new DiscoveryHarness();
        h.Resolver.Names["new.example.org"] = [IPAddress.Parse("44.6.6.6")];

        (await AddPeerAsync(h, "44.5.5.5", "new.example.org")).Should().BeFalse();

        var warning = h.LogsWithId(104).Should().ContainSingle().Subject;
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().Contain("44.5.5.5").And.Contain("new.example.org").And.Contain("source-destination mismatch");
        h.Table.Count.Should().Be(0);
    }

    [Fact]
    public async Task Add_peer_of_an_unresolvable_host_is_refused()
    {
        await using var h = new DiscoveryHarness();

        (await AddPeerAsync(h, "44.5.5.5", "nowhere.example.org")).Should().BeFalse();
        h.LogsWithId(104).Single().Message.Should().Contain("address resolution failure");
    }

    [Fact]
    public async Task Add_peer_of_an_ip_literal_must_be_the_callers_address()
    {
        await using var h = new DiscoveryHarness();

        (await AddPeerAsync(h, "44.5.5.5", "44.5.5.6")).Should().BeFalse();
        (await AddPeerAsync(h, "44.5.6.7", "44.5.6.7")).Should().BeTrue();
    }

    [Fact]
    public async Task A_second_add_from_the_same_bucket_within_ten_minutes_is_refused()
    {
        await using var h = new DiscoveryHarness();
        h.Resolver.Names["a.example.org"] = [IPAddress.Parse("44.5.5.5")];
        h.Resolver.Names["b.example.org"] = [IPAddress.Parse("44.5.5.6")];
        h.Resolver.Names["c.example.org"] = [IPAddress.Parse("44.5.5.6")];

        (await AddPeerAsync(h, "44.5.5.5", "a.example.org")).Should().BeTrue();
        (await AddPeerAsync(h, "44.5.5.6", "b.example.org")).Should().BeFalse("example.org announced less than 10 minutes ago");
        h.Time.Advance(TimeSpan.FromMinutes(10));
        (await AddPeerAsync(h, "44.5.5.6", "c.example.org")).Should().BeTrue();
    }

    [Fact]
    public async Task A_second_add_on_the_same_session_is_refused()
    {
        await using var h = new DiscoveryHarness();
        h.Resolver.Names["a.example.org"] = [IPAddress.Parse("44.5.5.5")];
        h.Resolver.Names["a.example.net"] = [IPAddress.Parse("44.5.5.5")];
        var session = FakeJsonRpcSession.Incoming(new IPEndPoint(IPAddress.Parse("44.5.5.5"), 40000));

        (await AddPeerAsync(h, "44.5.5.5", "a.example.org", session: session)).Should().BeTrue();
        (await AddPeerAsync(h, "44.5.5.5", "a.example.net", session: session)).Should().BeFalse();
        h.Record("a.example.net").Should().BeNull();
    }

    [Fact]
    public async Task Onion_adds_are_permitted_once_per_random_interval()
    {
        await using var h = new DiscoveryHarness();
        h.KnowProxy();

        (await AddPeerAsync(h, "44.5.5.1", DiscoveryHarness.Onion(1))).Should().BeTrue();
        (await AddPeerAsync(h, "44.5.5.2", DiscoveryHarness.Onion(2))).Should().BeFalse();
        h.Time.Advance(h.Options.MaxOnionAddInterval);
        (await AddPeerAsync(h, "44.5.5.3", DiscoveryHarness.Onion(3))).Should().BeTrue();
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("[5]")]
    [InlineData("""[{"hosts": []}]""")]
    [InlineData("""[{"hosts": {}}]""")]
    [InlineData("""[{"hosts": {"bad_host!": {"tcp_port": 1}}}]""")]
    [InlineData("""{"hosts": {"a.example.org": {}}}""")]
    public async Task Add_peer_without_a_valid_peer_is_refused(string parameters)
    {
        await using var h = new DiscoveryHarness();

        (await AddPeerRawAsync(h, "44.5.5.5", JsonNode.Parse(parameters))).Should().BeFalse();
        h.LogsWithId(104).Single().Message.Should().Contain("no valid peer");
    }

    [Fact]
    public async Task Only_the_first_host_of_an_announcement_is_considered()
    {
        await using var h = new DiscoveryHarness();
        h.Resolver.Names["first.example.org"] = [IPAddress.Parse("44.5.5.5")];
        h.Resolver.Names["second.example.net"] = [IPAddress.Parse("44.5.5.5")];
        var parameters = JsonNode.Parse("""[{"hosts": {"first.example.org": {"tcp_port": 50001}, "second.example.net": {"tcp_port": 50001}}}]""");

        (await AddPeerRawAsync(h, "44.5.5.5", parameters)).Should().BeTrue();

        h.Table.GetRecords().Select(r => r.Host.Value).Should().Equal("first.example.org");
    }

    [Fact]
    public async Task A_flood_of_adds_from_many_networks_is_held_to_the_budget_and_keeps_the_pause_map_bounded()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.MaxAddPeerPauseEntries = 100;
            o.Identities.Clear();
        });
        var accepted = 0;
        for (var i = 0; i < 1000; i++)
        {
            var ip = $"{44 + (i % 40)}.{i / 40}.0.1";
            accepted += await AddPeerAsync(h, ip, ip) ? 1 : 0;
        }

        accepted.Should().Be(h.Options.AddPeerBudget, "1,000 networks may add no more than the budget per interval");
        h.Table.Count.Should().Be(h.Options.AddPeerBudget);
        h.Manager.AddPeerPauseCount.Should().BeLessThanOrEqualTo(100);
        h.LogsWithId(143).Should().ContainSingle("the exhausted budget is logged once, not once per refusal");

        h.Time.Advance(h.Options.AddPeerBudgetInterval);
        (await AddPeerAsync(h, "44.70.0.1", "44.70.0.1")).Should().BeTrue("the budget refills after its interval");
    }

    [Fact]
    public async Task A_flood_from_a_few_16s_takes_only_their_share_of_the_budget_and_leaves_the_rest_to_other_networks()
    {
        await using var h = new DiscoveryHarness(o => o.Identities.Clear());
        var flooded = 0;
        for (var i = 0; i < 150; i++)
        {
            var ip = $"190.{10 + (i % 3 * 10)}.{i / 3}.7"; // 50 /24s in each of 3 /16s
            flooded += await AddPeerAsync(h, ip, ip) ? 1 : 0;
        }

        flooded.Should().Be(3 * h.Options.AddPeerBudgetPerNetwork, "each /16 gets its share of the budget, no more");
        (await AddPeerAsync(h, "44.70.0.1", "44.70.0.1")).Should().BeTrue("the rest of the budget is there for other networks");
    }

    [Fact]
    public async Task Callers_of_one_ipv4_slash_24_share_one_pause()
    {
        await using var h = new DiscoveryHarness(o => o.Identities.Clear());
        var accepted = 0;
        for (var i = 1; i < 255; i++)
        {
            accepted += await AddPeerAsync(h, $"44.5.5.{i}", $"44.5.5.{i}") ? 1 : 0;
        }

        accepted.Should().Be(1);
        (await AddPeerAsync(h, "44.5.6.1", "44.5.6.1")).Should().BeTrue("the next /24 is another network");
    }

    [Fact]
    public async Task Callers_of_one_ipv6_slash_48_share_one_pause_whatever_their_slash_64s()
    {
        await using var h = new DiscoveryHarness(o => o.Identities.Clear());
        var accepted = 0;
        for (var i = 0; i < 100; i++)
        {
            var ip = $"2a01:4f8:1234:{i:x}::1";
            accepted += await AddPeerAsync(h, ip, ip) ? 1 : 0;
        }

        accepted.Should().Be(1);
        (await AddPeerAsync(h, "2a01:4f8:1235::1", "2a01:4f8:1235::1")).Should().BeTrue();
    }

    [Fact]
    public async Task The_pause_prefix_lengths_are_settings()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.Identities.Clear();
            o.AddPeerIPv4PrefixLength = 32;
        });

        (await AddPeerAsync(h, "44.5.5.1", "44.5.5.1")).Should().BeTrue();
        (await AddPeerAsync(h, "44.5.5.2", "44.5.5.2")).Should().BeTrue();
        (await AddPeerAsync(h, "44.5.5.2", "44.5.5.2")).Should().BeFalse();
    }

    [Fact]
    public async Task A_name_resolving_to_a_non_public_caller_is_refused()
    {
        await using var h = new DiscoveryHarness();
        h.Resolver.Names["inside.example.org"] = [IPAddress.Parse("10.1.2.3")];

        (await AddPeerAsync(h, "10.1.2.3", "inside.example.org")).Should().BeFalse();

        h.Record("inside.example.org").Should().BeNull();
        h.LogsWithId(104).Should().ContainSingle(r => r.Message.Contains("not public", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_full_table_refuses_announcements()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.Identities.Clear();
            o.MaxPeers = 3;
        });
        for (var i = 1; i <= 3; i++)
        {
            (await AddPeerAsync(h, $"44.{i}.0.1", $"44.{i}.0.1")).Should().BeTrue();
        }

        (await AddPeerAsync(h, "44.9.0.1", "44.9.0.1")).Should().BeFalse();
        h.Table.Count.Should().Be(3);
    }

    [Fact]
    public async Task A_full_table_with_a_bad_peer_takes_an_announcement_in_its_place()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.Identities.Clear();
            o.MaxPeers = 3;
        });
        for (var i = 1; i <= 3; i++)
        {
            (await AddPeerAsync(h, $"44.{i}.0.1", $"44.{i}.0.1")).Should().BeTrue();
        }

        h.Table.Update(PeerHost.Parse("44.2.0.1"), r => r with { BadReason = "wrong genesis", LastTry = h.Now });

        (await AddPeerAsync(h, "44.9.0.1", "44.9.0.1")).Should().BeTrue();
        h.Table.GetRecords().Select(r => r.Host.Value).Should().BeEquivalentTo(["44.1.0.1", "44.3.0.1", "44.9.0.1"]);
    }

    [Fact]
    public async Task A_flood_of_adds_from_one_source_adds_at_most_one_per_pause()
    {
        await using var h = new DiscoveryHarness();
        for (var i = 0; i < 100; i++)
        {
            h.Resolver.Names[$"p{i}.example.org"] = [IPAddress.Parse("44.5.5.5")];
            await AddPeerAsync(h, "44.5.5.5", $"p{i}.example.org");
        }

        h.Table.Count.Should().Be(1);
    }

    [Fact]
    public async Task Peers_subscribe_over_1000_good_peers_in_ten_slash_16s_gives_at_most_two_per_bucket()
    {
        await using var h = new DiscoveryHarness();
        for (var i = 0; i < 1000; i++)
        {
            var bucket = 70 + (i % 10);
            h.Table.TryAdd(new PeerRecord
            {
                Host = PeerHost.Parse($"p{i}.example.org"),
                Ports = new PeerPorts(50001, 50002),
                LastGood = h.Now,
                IPAddress = IPAddress.Parse($"44.{bucket}.{i / 250}.{(i % 250) + 1}"),
            });
        }

        var answer = Array(await Call(h, "server.peers.subscribe", new JsonArray()))!;

        answer.Should().HaveCount(20);
        answer.GroupBy(e => string.Join('.', e![0]!.GetValue<string>().Split('.').Take(2))).Should().OnlyContain(g => g.Count() <= 2).And.HaveCount(10);
        answer[0]![2]!.AsArray().Select(t => t!.GetValue<string>()).Should().Equal("s", "t");
    }

    [Fact]
    public async Task With_the_answer_limit_per_network_off_every_good_peer_is_listed()
    {
        await using var h = new DiscoveryHarness(o => o.LimitAnswerPerNetwork = false);
        for (var i = 0; i < 30; i++)
        {
            h.Table.TryAdd(new PeerRecord
            {
                Host = PeerHost.Parse($"p{i}.example.org"),
                Ports = new PeerPorts(50001, 50002),
                LastGood = h.Now,
                IPAddress = IPAddress.Parse($"44.70.{i}.1"),
            });
        }

        var answer = Array(await Call(h, "server.peers.subscribe", new JsonArray()))!;

        answer.Should().HaveCount(30, "all 30 share one /16, which the default would cut to 2");
    }

    [Fact]
    public async Task Peers_subscribe_leaves_out_bad_stale_non_public_and_blacklisted_peers()
    {
        await using var h = new DiscoveryHarness(o => o.Identities.Clear());
        h.BlacklistSources.Add(new StaticBlacklistSource(["banned.example.org"]));
        await h.Manager.Blacklist.RefreshAsync(DiscoveryHarness.Token);
        h.Table.TryAdd(new PeerRecord { Host = PeerHost.Parse("good.example.org"), LastGood = h.Now, IPAddress = IPAddress.Parse("44.1.0.1") });
        h.Table.TryAdd(new PeerRecord { Host = PeerHost.Parse("bad.example.org"), LastGood = h.Now, BadReason = "x", IPAddress = IPAddress.Parse("44.2.0.1") });
        h.Table.TryAdd(new PeerRecord { Host = PeerHost.Parse("stale.example.org"), LastGood = h.Now - TimeSpan.FromHours(3), IPAddress = IPAddress.Parse("44.3.0.1") });
        h.Table.TryAdd(new PeerRecord { Host = PeerHost.Parse("10.0.0.1"), LastGood = h.Now, IPAddress = IPAddress.Parse("10.0.0.1") });
        h.Table.TryAdd(new PeerRecord { Host = PeerHost.Parse("banned.example.org"), LastGood = h.Now, IPAddress = IPAddress.Parse("44.4.0.1") });

        var answer = Array(await Call(h, "server.peers.subscribe", new JsonArray()))!;

        answer.Select(e => e![1]!.GetValue<string>()).Should().Equal("good.example.org");
        answer[0]![0]!.GetValue<string>().Should().Be("44.1.0.1");
    }

    [Fact]
    public async Task Peers_subscribe_caps_onion_peers_at_fifty_for_tor_askers_and_max_10_or_a_quarter_for_others()
    {
        await using var h = new DiscoveryHarness();
        h.KnowProxy();
        for (var i = 0; i < 100; i++)
        {
            h.Table.TryAdd(new PeerRecord { Host = PeerHost.Parse(DiscoveryHarness.Onion(i)), LastGood = h.Now });
        }

        var clearnetAsker = FakeJsonRpcSession.Incoming(new IPEndPoint(IPAddress.Parse("44.99.0.1"), 40000));
        var torAsker = FakeJsonRpcSession.Incoming(new IPEndPoint(IPAddress.Loopback, 40000));

        (Array(await Call(h, "server.peers.subscribe", new JsonArray(), clearnetAsker))!).Should().HaveCount(10);
        (Array(await Call(h, "server.peers.subscribe", new JsonArray(), torAsker))!).Should().HaveCount(50);
    }

    [Fact]
    public async Task Peers_subscribe_includes_our_own_identities_when_verified_recently()
    {
        await using var h = new DiscoveryHarness(o => o.AllowNonPublicPeers = false);
        h.Table.TryAdd(new PeerRecord { Host = PeerHost.Parse("node.example.net"), Ports = new PeerPorts(50001, 50002), LastGood = h.Now, IPAddress = IPAddress.Parse("44.1.0.1") });
        h.Table.TryAdd(new PeerRecord { Host = PeerHost.Parse("other.example.net"), LastGood = h.Now, IPAddress = IPAddress.Parse("44.1.0.2") });

        var answer = Array(await Call(h, "server.peers.subscribe", new JsonArray()))!;

        answer.Select(e => e![1]!.GetValue<string>()).Should().BeEquivalentTo(["node.example.net", "other.example.net"], "our identity does not count against its bucket");
    }

    [Fact]
    public async Task In_self_mode_peers_subscribe_reports_only_our_identities_and_off_reports_nothing()
    {
        await using var self = new DiscoveryHarness(o => o.Discovery = PeerDiscoveryMode.Self);
        await using var off = new DiscoveryHarness(o => o.Discovery = PeerDiscoveryMode.Off);
        self.Table.TryAdd(new PeerRecord { Host = PeerHost.Parse("other.example.net"), LastGood = self.Now, IPAddress = IPAddress.Parse("44.1.0.2") });

        var selfAnswer = Array(await Call(self, "server.peers.subscribe", new JsonArray()))!;
        var offAnswer = Array(await Call(off, "server.peers.subscribe", new JsonArray()))!;

        selfAnswer.ToJsonString().Should().Be("""[["node.example.net","node.example.net",["s","t"]]]""");
        offAnswer.Should().BeEmpty();
    }

    [Fact]
    public async Task Server_features_answers_our_identity()
    {
        await using var h = new DiscoveryHarness();

        var features = (JsonObject)(await Call(h, "server.features", new JsonArray()))!;

        features["genesis_hash"]!.GetValue<string>().Should().Be(FakeChainView.MainnetGenesis);
        features["hosts"]!["node.example.net"]!["ssl_port"]!.GetValue<int>().Should().Be(50002);
        features["protocol_max"]!.GetValue<string>().Should().Be("1.4.2");
    }

    [Theory]
    [InlineData("""["electrum", ["1.2", "1.4.2"]]""", "1.4.2")]
    [InlineData("""["electrum", "1.4"]""", "1.4")]
    [InlineData("""["electrum", ["1.4", "2.0"]]""", "1.4.2")]
    [InlineData("""[]""", "1.4.2")]
    [InlineData("""["electrum", 5]""", "1.4.2")]
    public async Task Server_version_negotiates_the_protocol(string parameters, string expected)
    {
        await using var h = new DiscoveryHarness();

        var answer = Array(await Call(h, "server.version", JsonNode.Parse(parameters)))!;

        answer.ToJsonString().Should().Be($"""["PeerManagement","{expected}"]""");
    }

    [Fact]
    public async Task Server_version_with_no_common_protocol_is_an_error()
    {
        await using var h = new DiscoveryHarness();

        var call = async () => await Call(h, "server.version", JsonNode.Parse("""["electrum", ["1.0", "1.2"]]"""));

        (await call.Should().ThrowAsync<JsonRpcException>()).Which.Code.Should().Be(JsonRpcErrorCodes.InvalidParams);
    }

    [Fact]
    public async Task Other_methods_go_to_the_next_handler_or_are_refused()
    {
        await using var h = new DiscoveryHarness();
        var session = FakeJsonRpcSession.Incoming(null);
        var element = JsonSerializer.SerializeToElement(new JsonArray());

        var refused = async () => await h.Manager.CreateRequestHandler().HandleAsync(new JsonRpcCall("blockchain.estimatefee", element, false, session), DiscoveryHarness.Token);
        var passed = await h.Manager.CreateRequestHandler(new EchoHandler()).HandleAsync(new JsonRpcCall("blockchain.estimatefee", element, false, session), DiscoveryHarness.Token);

        (await refused.Should().ThrowAsync<JsonRpcException>()).Which.Code.Should().Be(JsonRpcErrorCodes.MethodNotFound);
        passed!.GetValue<string>().Should().Be("blockchain.estimatefee");
    }

    private sealed class EchoHandler : IJsonRpcRequestHandler
    {
        public ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken) => ValueTask.FromResult<JsonNode?>(call.Method);
    }
}
