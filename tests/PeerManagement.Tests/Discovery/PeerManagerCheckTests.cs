using System.Text.Json;
using System.Text.Json.Nodes;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.Tests.Discovery;

public class PeerManagerCheckTests
{
    private const string PeerA = "a.example.org";

    [Fact]
    public async Task Good_peer_becomes_good_and_its_features_are_adopted()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.WithPorts(50011, 50012));

        var (outcome, next) = await h.CheckAsync(PeerA);

        outcome.Should().Be(PeerCheckOutcome.Good);
        var record = h.Record(PeerA)!;
        record.LastGood.Should().Be(h.Now);
        record.TryCount.Should().Be(0);
        record.Source.Should().Be(PeerSources.Peer);
        record.Features!.GenesisHash.Should().Be(FakeChainView.MainnetGenesis);
        record.Ports.Should().Be(new PeerPorts(50011, 50012));
        record.IPAddress!.ToString().Should().Be(DiscoveryHarness.AddressFor(PeerA));
        h.Status(PeerA).Should().Be(PeerStatus.Good);
        next.Should().Be(h.Now + h.Options.StaleAfter - (2 * h.Options.Wakeup));
    }

    [Fact]
    public async Task Good_peer_has_at_most_two_of_its_reported_peers_noted()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p
            .Reporting("b.example.org", "v1.4", "s", "t")
            .Reporting("c.example.org", "s")
            .Reporting("d.example.org", "t")
            .Reporting("e.example.org", "s")
            .Reporting("f.example.org", "s"));

        await h.CheckAsync(PeerA);

        var noted = h.Table.GetRecords().Where(r => r.Source == PeerA).ToList();
        noted.Should().HaveCount(2);
        h.Table.Count.Should().Be(3);
    }

    [Fact]
    public async Task Good_peer_that_does_not_list_us_gets_server_add_peer_with_our_features()
    {
        await using var h = new DiscoveryHarness();
        var peer = h.AddKnownPeer(PeerA);

        await h.CheckAsync(PeerA);

        peer.CallCount("server.add_peer").Should().Be(1);
        var features = peer.Calls.Single(c => c.Method == "server.add_peer").Parameters[0];
        features.GetProperty("hosts").TryGetProperty("node.example.net", out _).Should().BeTrue();
        features.GetProperty("genesis_hash").GetString().Should().Be(FakeChainView.MainnetGenesis);
    }

    [Fact]
    public async Task Good_peer_that_lists_us_with_our_ports_gets_no_server_add_peer()
    {
        await using var h = new DiscoveryHarness();
        var peer = h.AddKnownPeer(PeerA, p => p.Reporting("node.example.net", "s50002", "t50001"));

        await h.CheckAsync(PeerA);

        peer.CallCount("server.add_peer").Should().Be(0);
    }

    [Fact]
    public async Task Good_peer_that_lists_us_with_other_ports_gets_server_add_peer()
    {
        await using var h = new DiscoveryHarness();
        var peer = h.AddKnownPeer(PeerA, p => p.Reporting("node.example.net", "s50012", "t50001"));

        await h.CheckAsync(PeerA);

        peer.CallCount("server.add_peer").Should().Be(1);
    }

    [Fact]
    public async Task No_server_add_peer_when_announcing_is_off_or_we_have_no_public_identity()
    {
        await using var off = new DiscoveryHarness(o => o.Announce = false);
        var a = off.AddKnownPeer(PeerA);
        await using var anonymous = new DiscoveryHarness(o => o.Identities.Clear());
        var b = anonymous.AddKnownPeer(PeerA);

        await off.CheckAsync(PeerA);
        await anonymous.CheckAsync(PeerA);

        a.CallCount("server.add_peer").Should().Be(0);
        b.CallCount("server.add_peer").Should().Be(0);
    }

    [Fact]
    public async Task Server_version_is_sent_first_with_our_client_name_and_protocol_range()
    {
        await using var h = new DiscoveryHarness();
        var peer = h.AddKnownPeer(PeerA);

        await h.CheckAsync(PeerA);

        var first = peer.Calls[0];
        first.Method.Should().Be("server.version");
        first.Parameters.GetRawText().Should().Be("""["PeerManagement",["1.4","1.4.2"]]""");
        peer.CallCount("blockchain.block.header").Should().Be(1);
        peer.Calls.Single(c => c.Method == "blockchain.block.header").Parameters[0].GetInt32().Should().Be(h.Chain.TipHeight - 10);
    }

    [Fact]
    public async Task Peer_with_the_wrong_genesis_is_bad()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.WithGenesis("000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943"));

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Bad);

        h.Record(PeerA)!.BadReason.Should().Be("incorrect genesis hash");
        h.Status(PeerA).Should().Be(PeerStatus.Bad);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(-6)]
    public async Task Peer_six_blocks_away_is_bad(int offset)
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.AtHeight(h.Chain.TipHeight + offset));

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Bad);

        h.Record(PeerA)!.BadReason.Should().Contain("6 blocks away");
    }

    [Fact]
    public async Task Peer_five_blocks_away_is_good()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.AtHeight(h.Chain.TipHeight - 5));

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Good);
    }

    [Fact]
    public async Task Peer_whose_header_at_the_split_height_differs_is_bad()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.Answering("blockchain.block.header", ScriptedAnswer.Of(JsonValue.Create(FakeChainView.HeaderAt(1)))));

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Bad);

        h.Record(PeerA)!.BadReason.Should().Be($"its header at height {h.Chain.TipHeight - 10} does not match ours");
    }

    [Fact]
    public async Task Peer_not_listing_its_own_host_is_bad()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.NotListingItsOwnHost().AlsoNamed("other.example.org"));

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Bad);

        h.Record(PeerA)!.BadReason.Should().Be("not listed in its own hosts list");
    }

    [Theory]
    [InlineData("server.version", "\"ElectrumX 1.16\"", "server.version answer is not a two-string array")]
    [InlineData("server.version", """["ElectrumX 1.16"]""", "server.version answer is not a two-string array")]
    [InlineData("server.version", """["ElectrumX", 1.4]""", "server.version answer is not a two-string array")]
    [InlineData("server.version", "null", "server.version answer is not a two-string array")]
    [InlineData("blockchain.headers.subscribe", "800000", "blockchain.headers.subscribe answer has no valid integer height")]
    [InlineData("blockchain.headers.subscribe", """{"height":"800000"}""", "blockchain.headers.subscribe answer has no valid integer height")]
    [InlineData("blockchain.headers.subscribe", """{"height":800000.5}""", "blockchain.headers.subscribe answer has no valid integer height")]
    [InlineData("blockchain.headers.subscribe", """{"height":1e300}""", "blockchain.headers.subscribe answer has no valid integer height")]
    [InlineData("blockchain.headers.subscribe", """{"hex":"00"}""", "blockchain.headers.subscribe answer has no valid integer height")]
    [InlineData("blockchain.block.header", "12", "blockchain.block.header answer is not a string")]
    [InlineData("blockchain.block.header", """{"hex":"00"}""", "blockchain.block.header answer is not a string")]
    [InlineData("server.features", "[]", "server.features answer is not an object")]
    [InlineData("server.features", "\"features\"", "server.features answer is not an object")]
    [InlineData("server.features", """{"hosts":[],"genesis_hash":5}""", "incorrect genesis hash")]
    [InlineData("server.peers.subscribe", "{}", "malformed server.peers.subscribe answer")]
    [InlineData("server.peers.subscribe", "[1]", "malformed server.peers.subscribe answer")]
    [InlineData("server.peers.subscribe", """[["44.1.1.1"]]""", "malformed server.peers.subscribe answer")]
    [InlineData("server.peers.subscribe", """[["44.1.1.1", 7, []]]""", "malformed server.peers.subscribe answer")]
    [InlineData("server.peers.subscribe", """[["44.1.1.1", "b.example.org", "s t"]]""", "malformed server.peers.subscribe answer")]
    [InlineData("server.peers.subscribe", """[["44.1.1.1", "b.example.org", ["s"]], ["44.1.1.2", "c.example.org", [50002]]]""", "malformed server.peers.subscribe answer")]
    public async Task Wrong_typed_answer_makes_the_peer_bad(string method, string json, string reason)
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.AnsweringJson(method, json));

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Bad);

        h.Record(PeerA)!.BadReason.Should().Be(reason);
        h.Table.Count.Should().Be(1, "nothing from a bad peer is noted");
    }

    [Fact]
    public async Task Non_utf8_text_in_answers_never_throws()
    {
        byte[] Raw(string before, string after) => [.. System.Text.Encoding.UTF8.GetBytes(before), 0xC3, 0x28, .. System.Text.Encoding.UTF8.GetBytes(after)];
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.Answering("server.peers.subscribe", new ScriptedAnswer.RawUtf8(Raw("[[\"1.2.3.4\", \"b", ".example.org\", []]]"))));
        h.AddKnownPeer("b.example.org", p => p.Answering("server.features", new ScriptedAnswer.RawUtf8(Raw("{\"genesis_hash\": \"", "\"}"))));

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Bad);
        h.Record(PeerA)!.BadReason.Should().Be("malformed server.peers.subscribe answer");
        (await h.CheckAsync("b.example.org")).Outcome.Should().Be(PeerCheckOutcome.Bad);
        h.Record("b.example.org")!.BadReason.Should().Be("incorrect genesis hash");
    }

    [Fact]
    public async Task Malformed_hosts_in_a_well_formed_peer_list_are_dropped_not_held_against_the_peer()
    {
        await using var h = new DiscoveryHarness(o => o.MaxNewPeersPerSource = 100);
        h.AddKnownPeer(PeerA, p => p
            .Reporting("localhost", "s")
            .Reporting("bad_name!", "s")
            .Reporting("10.0.0.1", "s")
            .Reporting("127.0.0.1", "s")
            .Reporting(DiscoveryHarness.Onion(1), "s")
            .Reporting("b.example.org", "s")
            .Reporting("B.example.org", "t"));

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Good);

        h.Table.GetRecords().Select(r => r.Host.Value).Should().BeEquivalentTo([PeerA, "b.example.org"]);
    }

    [Fact]
    public async Task A_peer_list_of_100000_entries_adds_only_two()
    {
        await using var h = new DiscoveryHarness();
        var list = new JsonArray();
        for (var i = 0; i < 100_000; i++)
        {
            list.Add(new JsonArray($"44.9.{i >> 8 & 0xFF}.{i & 0xFF}", $"p{i}.example.com", new JsonArray("s", "t")));
        }

        h.AddKnownPeer(PeerA, p => p.Answering("server.peers.subscribe", ScriptedAnswer.Of(list)));

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Good);

        h.Table.Count.Should().Be(3);
    }

    [Theory]
    [InlineData("server.version")]
    [InlineData("server.features")]
    [InlineData("blockchain.headers.subscribe")]
    [InlineData("blockchain.block.header")]
    [InlineData("server.peers.subscribe")]
    public async Task Json_rpc_error_is_a_failed_try(string method)
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.Failing(method, -32601, "unknown method"));

        var (outcome, next) = await h.CheckAsync(PeerA);

        outcome.Should().Be(PeerCheckOutcome.Failed);
        var record = h.Record(PeerA)!;
        record.TryCount.Should().Be(1);
        record.IsBad.Should().BeFalse();
        next.Should().Be(h.Now + (2 * h.Options.Wakeup));
        h.LogsWithId(120).Should().ContainSingle().Which.Message.Should().Contain($"{method} answered error -32601", "the reason names the request that failed");
    }

    [Theory]
    [InlineData("server.version")]
    [InlineData("blockchain.block.header")]
    [InlineData("server.peers.subscribe")]
    public async Task Peer_that_never_answers_is_a_failed_try_after_the_request_timeout(string method)
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.Silent(method));

        var (outcome, _) = await h.CheckWithClockAsync(PeerA, TimeSpan.FromSeconds(1));

        outcome.Should().Be(PeerCheckOutcome.Failed);
        h.Record(PeerA)!.TryCount.Should().Be(1);
        h.LogsWithId(120).Should().ContainSingle().Which.Message.Should().Contain($"{method} timed out", "the reason names the request that failed");
        h.Network.Sessions.Should().OnlyContain(s => s.Settings.RequestTimeout == TimeSpan.FromSeconds(30));
        h.Network.OpenSessions.Should().Be(0);
    }

    [Fact]
    public async Task Peer_that_breaks_the_protocol_or_closes_mid_message_is_a_failed_try()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.Answering("server.features", new ScriptedAnswer.ProtocolViolation()));
        h.AddKnownPeer("b.example.org", p => p.Answering("server.version", new ScriptedAnswer.Disconnect()));

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Failed);
        (await h.CheckAsync("b.example.org")).Outcome.Should().Be(PeerCheckOutcome.Failed);
    }

    [Fact]
    public async Task Unreachable_peer_is_a_failed_try_after_trying_ssl_then_tcp()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.Unreachable());

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Failed);

        h.Network.AttemptsTo(PeerA).Select(a => a.Endpoint.Transport).Should().Equal(PeerTransport.Ssl, PeerTransport.Tcp);
    }

    [Fact]
    public async Task Tcp_is_tried_when_ssl_is_closed()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.ReachableOnlyOn(50001));

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Good);

        h.Network.AttemptsTo(PeerA).Select(a => a.Endpoint.Port).Should().Equal(50002, 50001);
    }

    [Fact]
    public async Task Requests_from_the_peer_during_a_check_are_refused_and_notifications_ignored()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA);
        await h.CheckAsync(PeerA);
        var session = h.Network.Sessions.Single();

        var request = async () => await session.CallHandlerAsync("server.peers.subscribe", new JsonArray(), notification: false, DiscoveryHarness.Token);
        var notification = await session.CallHandlerAsync("blockchain.headers.subscribe", new JsonArray(new JsonObject { ["height"] = 1 }), notification: true, DiscoveryHarness.Token);
        var unknown = await session.CallHandlerAsync("something.else", null, notification: true, DiscoveryHarness.Token);

        (await request.Should().ThrowAsync<JsonRpcException>()).Which.Code.Should().Be(JsonRpcErrorCodes.MethodNotFound);
        notification.Should().BeNull();
        unknown.Should().BeNull();
    }

    [Fact]
    public async Task Entries_that_are_its_other_host_names_take_its_features_and_extra_ip_literals_are_dropped()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.At("44.3.3.3").AlsoNamed("alias.example.org"));
        h.Table.TryAdd(PeerRecord.FromRealName(PeerRealName.Parse("alias.example.org s t", h.Options.DefaultPorts), PeerSources.Seed)).Should().BeTrue();
        h.Table.TryAdd(new PeerRecord { Host = PeerHost.Parse("44.3.3.3"), Ports = new PeerPorts(50001, null), IPAddress = System.Net.IPAddress.Parse("44.3.3.3") }).Should().BeTrue();

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Good);

        h.Record("alias.example.org")!.Features.Should().Be(h.Record(PeerA)!.Features);
        h.Record("44.3.3.3").Should().BeNull();
    }

    [Fact]
    public async Task A_throwing_status_handler_never_breaks_a_check()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA);
        h.Manager.StatusChanged += (_, _) => throw new InvalidOperationException("handler bug");

        (await h.CheckAsync(PeerA)).Outcome.Should().Be(PeerCheckOutcome.Good);

        h.LogsWithId(131).Should().NotBeEmpty();
    }

    [Fact]
    public async Task A_check_of_a_forgotten_peer_does_nothing()
    {
        await using var h = new DiscoveryHarness();

        var (outcome, next) = await h.CheckAsync(PeerA);

        outcome.Should().BeNull();
        next.Should().BeNull();
        h.Network.Attempts.Should().BeEmpty();
    }

    [Fact]
    public void The_verifier_parses_peer_lists_as_real_names()
    {
        using var document = JsonDocument.Parse("""[["44.1.1.1", "b.example.org", ["v1.4", "s", "t50011", "p1000"]], ["xyz.onion", "abcdefghijklmnop.onion", []]]""");

        var peers = ElectrumPeerVerifier.ParsePeerList(document.RootElement, DefaultPorts.BitcoinMainnet)!;

        peers.Should().HaveCount(2);
        peers[0].Should().Be(new PeerRealName(PeerHost.Parse("b.example.org"), new PeerPorts(50011, 50002), new ProtocolVersion(1, 4), 1000));
        peers[1].Host.IsOnion.Should().BeTrue();
    }
}
