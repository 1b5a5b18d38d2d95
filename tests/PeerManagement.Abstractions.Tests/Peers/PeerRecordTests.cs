namespace PeerManagement.Tests.Peers;

public class PeerRecordTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan StaleAfter = TimeSpan.FromHours(3);

    private static PeerRecord Record() => PeerRecord.FromRealName(PeerRealName.Parse("a.example.org s t", DefaultPorts.BitcoinMainnet), PeerSources.Seed);

    [Fact]
    public void A_peer_never_verified_is_never()
    {
        Record().GetStatus(Now, StaleAfter).Should().Be(PeerStatus.Never);
    }

    [Fact]
    public void A_peer_verified_within_the_stale_interval_is_good_and_then_stale()
    {
        var record = Record() with { LastGood = Now };

        record.GetStatus(Now + StaleAfter - TimeSpan.FromTicks(1), StaleAfter).Should().Be(PeerStatus.Good);
        record.GetStatus(Now + StaleAfter, StaleAfter).Should().Be(PeerStatus.Stale);
    }

    [Fact]
    public void Bad_wins_over_a_recent_success()
    {
        var record = Record() with { LastGood = Now, BadReason = "wrong genesis" };

        record.GetStatus(Now, StaleAfter).Should().Be(PeerStatus.Bad);
        record.IsBad.Should().BeTrue();
    }

    [Fact]
    public void Times_are_kept_in_utc_to_the_tick()
    {
        var local = new DateTimeOffset(2026, 11, 24, 14, 0, 0, 123, TimeSpan.FromHours(2)).AddTicks(7);

        var record = Record() with { LastGood = local, LastTry = local };

        record.LastGood.Should().Be(local);
        record.LastGood!.Value.Offset.Should().Be(TimeSpan.Zero);
        record.LastTry!.Value.UtcTicks.Should().Be(local.UtcTicks);
        (record with { LastGood = null }).LastGood.Should().BeNull();
        record.Should().Be(Record() with { LastGood = local.ToUniversalTime(), LastTry = local });
    }

    [Fact]
    public void A_record_shares_its_host_text_with_the_features_that_list_its_host()
    {
        var host = PeerHost.Parse("electrum.example.org");
        var first = Features("electrum.example.org");
        var second = Features("electrum.example.org");

        var record = new PeerRecord { Host = host, Features = first };
        var reversed = new PeerRecord { Features = second, Host = host };
        var updated = Record() with { Host = host } with { Features = Features("electrum.example.org") };

        foreach (var peer in new[] { record, reversed, updated })
        {
            ReferenceEquals(peer.Features!.Hosts.Keys.Single().Value, host.Value).Should().BeTrue("one copy of the host text per entry");
            peer.Features.Hosts.Keys.Single().Should().Be(host);
        }
    }

    private static PeerFeatures Features(string host)
    {
        using var document = System.Text.Json.JsonDocument.Parse("{\"hosts\": {\"" + host + "\": {\"tcp_port\": 50001}}}");
        return PeerFeatures.FromJson(document.RootElement);
    }
}
