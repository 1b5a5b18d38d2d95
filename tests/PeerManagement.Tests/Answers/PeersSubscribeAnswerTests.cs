using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PeerManagement.Tests.Discovery;

namespace PeerManagement.Tests.Answers;

/// <summary>
/// The cached <c>server.peers.subscribe</c> answer stays valid across table changes that cannot alter it and is
/// rebuilt exactly when the answer would change.
/// </summary>
public sealed class PeersSubscribeAnswerTests
{
    private static readonly EndPoint Asker = new IPEndPoint(IPAddress.Parse("44.99.0.1"), 40000);

    [Fact]
    public async Task A_check_that_leaves_a_good_peer_good_keeps_the_cached_answer()
    {
        await using var h = NewHarness();
        AddGood(h, "good.example.org", "44.1.0.1");
        var before = Ask(h);

        h.Table.Update(Host("good.example.org"), r => r with { LastGood = h.Now, LastTry = h.Now, TryCount = 0 });
        h.Table.RecordGood(Host("good.example.org"), new PeerFeatures(), triedAt: h.Now);

        Ask(h).Should().Be(before);
        h.Manager.PeersSubscribeCache.Should().Be((1L, 1L), "one build, then one hit");
    }

    [Fact]
    public async Task A_failed_try_or_a_new_last_try_of_a_peer_still_good_keeps_the_cached_answer()
    {
        await using var h = NewHarness();
        AddGood(h, "good.example.org", "44.1.0.1");
        var before = Ask(h);

        h.Table.RecordFailure(Host("good.example.org"), "timeout", bad: false, triedAt: h.Now, shouldForget: _ => false);
        h.Table.Update(Host("good.example.org"), r => r with { LastTry = h.Now + TimeSpan.FromSeconds(1) });

        h.Status("good.example.org").Should().Be(PeerStatus.Good);
        Ask(h).Should().Be(before);
        h.Manager.PeersSubscribeCache.Misses.Should().Be(1);
    }

    [Fact]
    public async Task A_peer_becoming_good_is_in_the_next_answer()
    {
        await using var h = NewHarness();
        AddGood(h, "good.example.org", "44.1.0.1");
        h.Table.TryAdd(new PeerRecord { Host = Host("new.example.org"), IPAddress = IPAddress.Parse("44.2.0.1") });
        Hosts(Ask(h)).Should().Equal("good.example.org");

        h.Table.Update(Host("new.example.org"), r => r with { LastGood = h.Now });

        Hosts(Ask(h)).Should().BeEquivalentTo(["good.example.org", "new.example.org"]);
        h.Manager.PeersSubscribeCache.Misses.Should().Be(2);
    }

    [Fact]
    public async Task A_good_peer_marked_bad_or_forgotten_leaves_the_next_answer()
    {
        await using var h = NewHarness();
        AddGood(h, "one.example.org", "44.1.0.1");
        AddGood(h, "two.example.org", "44.2.0.1");
        Hosts(Ask(h)).Should().HaveCount(2);

        h.Table.RecordFailure(Host("one.example.org"), "wrong chain", bad: true, triedAt: h.Now, shouldForget: _ => false);
        Hosts(Ask(h)).Should().Equal("two.example.org");

        h.Table.Forget(Host("two.example.org"), "gone");
        Hosts(Ask(h)).Should().BeEmpty();
    }

    [Fact]
    public async Task New_ports_a_new_version_or_a_new_address_of_a_good_peer_are_in_the_next_answer()
    {
        await using var h = NewHarness();
        AddGood(h, "good.example.org", "44.1.0.1");
        Ask(h).Should().Be("""[["44.1.0.1","good.example.org",["s","t"]]]""");

        h.Table.Update(Host("good.example.org"), r => r with { Ports = new PeerPorts(50011, null) });
        Ask(h).Should().Be("""[["44.1.0.1","good.example.org",["t50011"]]]""");

        h.Table.RecordGood(Host("good.example.org"), new PeerFeatures { ProtocolMax = new ProtocolVersion(1, 4, 2) }, triedAt: h.Now);
        Ask(h).Should().Be("""[["44.1.0.1","good.example.org",["v1.4.2","t50011"]]]""");

        h.Table.RecordAddress(Host("good.example.org"), IPAddress.Parse("44.3.0.1"));
        Ask(h).Should().Be("""[["44.3.0.1","good.example.org",["v1.4.2","t50011"]]]""");
    }

    [Fact]
    public async Task A_blacklist_change_is_in_the_next_answer()
    {
        var source = new ChangingBlacklistSource();
        await using var h = NewHarness();
        h.BlacklistSources.Add(source);
        AddGood(h, "one.example.org", "44.1.0.1");
        AddGood(h, "two.example.org", "44.2.0.1");
        Hosts(Ask(h)).Should().HaveCount(2);

        source.Entries = ["two.example.org"];
        await h.Manager.Blacklist.RefreshAsync(DiscoveryHarness.Token);

        Hosts(Ask(h)).Should().Equal("one.example.org");
    }

    [Fact]
    public async Task A_good_peer_that_goes_stale_leaves_the_answer_at_once_not_when_the_cache_lifetime_ends()
    {
        await using var h = NewHarness();
        AddGood(h, "fresh.example.org", "44.1.0.1");
        AddGood(h, "ageing.example.org", "44.2.0.1", lastGood: h.Now - h.Options.StaleAfter + TimeSpan.FromSeconds(5));
        Hosts(Ask(h)).Should().HaveCount(2);

        h.Time.Advance(TimeSpan.FromSeconds(5));

        Hosts(Ask(h)).Should().Equal("fresh.example.org");
    }

    [Fact]
    public async Task Our_own_identity_becoming_verified_is_in_the_next_answer()
    {
        await using var h = NewHarness(o => o.AllowNonPublicPeers = false);
        AddGood(h, "other.example.net", "44.1.0.2");
        h.Table.TryAdd(new PeerRecord { Host = Host("node.example.net"), Ports = new PeerPorts(50001, 50002), IPAddress = IPAddress.Parse("44.1.0.1") });
        Hosts(Ask(h)).Should().Equal("other.example.net");

        h.Table.Update(Host("node.example.net"), r => r with { LastGood = h.Now });

        Hosts(Ask(h)).Should().BeEquivalentTo(["node.example.net", "other.example.net"]);
    }

    [Fact]
    public async Task Answers_are_counted_on_the_meter_as_hits_and_misses()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var collector = new MetricCollector<long>(meters, PeerManagementDiagnostics.MeterName, "peermanagement.answers.peers_subscribe");
        await using var h = NewHarness();
        h.MeterFactory = meters;
        AddGood(h, "good.example.org", "44.1.0.1");

        Ask(h);
        Ask(h);
        h.Table.Update(Host("good.example.org"), r => r with { LastGood = h.Now });
        Ask(h);
        h.Table.Forget(Host("good.example.org"), "gone");
        Ask(h);

        collector.GetMeasurementSnapshot().Select(m => (string)m.Tags["cache"]!).Should().Equal("miss", "hit", "hit", "miss");
    }

    [Fact]
    public async Task An_answer_written_a_second_time_writes_the_answer_current_then()
    {
        await using var h = NewHarness();
        AddGood(h, "good.example.org", "44.1.0.1");
        var node = h.Manager.AnswerPeersSubscribe(Asker);
        node.ToJsonString().Should().Be("""[["44.1.0.1","good.example.org",["s","t"]]]""");
        AddGood(h, "other.example.org", "45.1.0.1");

        var again = node.ToJsonString();

        again.Should().Contain("good.example.org").And.Contain("other.example.org",
            "its first text may have been reused by a later build, so it is taken afresh");
    }

    [Fact]
    public async Task An_answer_serialized_with_a_callers_own_options_is_the_same_text()
    {
        await using var h = NewHarness();
        AddGood(h, "good.example.org", "44.1.0.1");

        var element = System.Text.Json.JsonSerializer.SerializeToElement(h.Manager.AnswerPeersSubscribe(Asker));

        element.GetRawText().Should().Be("""[["44.1.0.1","good.example.org",["s","t"]]]""");
    }

    [Theory]
    [InlineData(300)]
    [InlineData(5_000)] // past AnswerBuckets.IndexedFrom: IPv4 buckets found by index
    public async Task Each_16_gets_at_most_two_places_in_a_small_table_and_in_a_large_one(int peers)
    {
        await using var h = NewHarness();
        for (var i = 0; i < peers; i++)
        {
            AddGood(h, $"p{i}.example.org", $"{44 + (i / 3 % 40)}.{i / 120}.{i % 3}.1");
        }

        var networks = Hosts(Ask(h)).Select(host => h.Table.Find(Host(host))!.Peer.IPAddress!.ToString().Split('.')[..2])
            .GroupBy(octets => string.Join('.', octets)).ToList();
        networks.Should().HaveCount((peers + 2) / 3).And.OnlyContain(g => g.Count() == 2 || (peers % 3 == 1 && g.Count() == 1));
    }

    [Fact]
    public async Task Hosts_that_presented_one_TLS_key_take_one_place_in_the_answer()
    {
        await using var h = NewHarness();
        await using var off = NewHarness(o => o.LimitAnswerPerOperator = false);
        foreach (var harness in (DiscoveryHarness[])[h, off])
        {
            AddGood(harness, "a.operator.example", "44.1.0.1", serverKeyId: 42);
            AddGood(harness, "b.operator.example", "44.2.0.1", serverKeyId: 42);
            AddGood(harness, "c.operator.example", "44.3.0.1", serverKeyId: 42);
            AddGood(harness, "other.example.org", "44.4.0.1", serverKeyId: 7);
            AddGood(harness, "plain.example.org", "44.5.0.1");
        }

        var hosts = Hosts(Ask(h)).ToList();
        hosts.Should().HaveCount(3).And.Contain(["other.example.org", "plain.example.org"]);
        hosts.Count(host => host.EndsWith(".operator.example", StringComparison.Ordinal)).Should().Be(1);
        Hosts(Ask(off)).Should().HaveCount(5, "with the rule off every good peer is listed");
    }

    [Fact]
    public async Task A_good_peer_rechecked_under_another_key_is_in_the_next_answer()
    {
        await using var h = NewHarness();
        AddGood(h, "a.operator.example", "44.1.0.1", serverKeyId: 42);
        AddGood(h, "b.operator.example", "44.2.0.1", serverKeyId: 42);
        Hosts(Ask(h)).Should().HaveCount(1);

        h.Table.RecordGood(Host("b.operator.example"), new PeerFeatures(), triedAt: h.Now, serverKeyId: 43);

        Hosts(Ask(h)).Should().BeEquivalentTo(["a.operator.example", "b.operator.example"]);
    }

    [Fact]
    public async Task A_check_over_TLS_records_who_operates_the_peer()
    {
        await using var h = NewHarness();
        h.AddKnownPeer("tls.example.org", p => p.At("44.6.0.1").PresentingKey("00000000000000FF" + new string('A', 48)));

        (await h.CheckAsync("tls.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good);

        h.Record("tls.example.org")!.ServerKeyId.Should().Be(0xFF);
    }

    [Fact]
    public async Task Each_entry_is_the_address_the_host_and_the_tokens_of_the_peers_real_name()
    {
        await using var h = NewHarness();
        PeerRecord[] peers =
        [
            new() { Host = Host("a.example.org"), IPAddress = IPAddress.Parse("44.1.0.1"), Ports = new PeerPorts(50001, 50002), Version = new ProtocolVersion(1, 4, 2), Pruning = 10_000 },
            new() { Host = Host("b.example.org"), IPAddress = IPAddress.Parse("2001:db8:1::7"), Ports = new PeerPorts(51001, 443), Version = new ProtocolVersion(1, 5) },
            new() { Host = Host("c.example.org"), IPAddress = IPAddress.Parse("::ffff:45.2.0.9"), Ports = new PeerPorts(null, 50002) },
            new() { Host = Host("d.example.org"), Ports = new PeerPorts(50001, null), Pruning = 1 },
            new() { Host = Host("46.3.200.17"), Ports = new PeerPorts(7, 65535), Version = new ProtocolVersion(9999, 0, 10) },
        ];
        foreach (var peer in peers)
        {
            h.Table.TryAdd(peer with { LastGood = h.Now }).Should().BeTrue();
        }

        var entries = System.Text.Json.Nodes.JsonNode.Parse(Ask(h))!.AsArray()
            .Select(e => string.Join(" ", e![0]!.GetValue<string>(), e[1]!.GetValue<string>(), string.Join(",", e[2]!.AsArray().Select(t => t!.GetValue<string>()))));

        entries.Should().BeEquivalentTo(peers.Select(p => string.Join(" ",
            p.IPAddress?.ToString() ?? p.Host.Value,
            p.Host.Value,
            string.Join(",", new PeerRealName(p.Host, p.Ports, p.Version, p.Pruning).ToTokens(h.Options.DefaultPorts)))));
    }

    private static DiscoveryHarness NewHarness(Action<PeerManagementOptions>? configure = null)
        => new(o =>
        {
            o.Identities.Clear();
            o.Identities.Add("node.example.net s t");
            configure?.Invoke(o);
        });

    private static PeerHost Host(string host) => PeerHost.Parse(host);

    private static void AddGood(DiscoveryHarness h, string host, string address, DateTimeOffset? lastGood = null, long serverKeyId = 0)
        => h.Table.TryAdd(new PeerRecord
        {
            Host = Host(host),
            ServerKeyId = serverKeyId,
            Ports = new PeerPorts(50001, 50002),
            LastGood = lastGood ?? h.Now,
            IPAddress = IPAddress.Parse(address),
        }).Should().BeTrue();

    private static string Ask(DiscoveryHarness h) => h.Manager.AnswerPeersSubscribe(Asker).ToJsonString();

    private static IEnumerable<string> Hosts(string answer)
        => System.Text.Json.Nodes.JsonNode.Parse(answer)!.AsArray().Select(e => e![1]!.GetValue<string>());

    private sealed class ChangingBlacklistSource : IBlacklistSource
    {
        public IReadOnlyList<string> Entries { get; set; } = [];

        public ValueTask<IReadOnlyList<string>> GetEntriesAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Entries);
    }
}
