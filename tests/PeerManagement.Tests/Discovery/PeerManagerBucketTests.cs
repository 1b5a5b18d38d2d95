using System.Net;

namespace PeerManagement.Tests.Discovery;

public class PeerManagerBucketTests
{
    [Fact]
    public async Task Fifty_peers_of_one_ipv4_address_checked_at_once_give_exactly_one_good()
    {
        await using var h = new DiscoveryHarness(o => o.Identities.Clear());
        for (var i = 0; i < 50; i++)
        {
            var host = $"sybil{i}.example.org";
            h.AddPeer(host, p => p.At("44.2.2.2"));
            h.Options.SeedPeers.Add(host + " s t");
        }

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        await DiscoveryHarness.WaitUntilAsync(() => h.Table.GetRecords().All(r => r.LastTry is not null) && h.Manager.Scheduler.RunningCount == 0);

        var records = h.Table.GetRecords();
        records.Count(r => r.LastGood is not null).Should().Be(1);
        records.Where(r => r.IsBad).Should().HaveCount(49).And.OnlyContain(r => r.BadReason == "too many peers in bucket 44.2.2.2");
        h.Manager.ActiveBucketLocks.Should().Be(0);
    }

    [Fact]
    public async Task With_one_good_peer_per_address_off_every_name_of_one_address_becomes_good()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.Identities.Clear();
            o.OneGoodPeerPerAddress = false;
            o.MaxGoodPeersPerNetwork = 0; // one address is also one /16
        });
        for (var i = 0; i < 10; i++)
        {
            var host = $"sybil{i}.example.org";
            h.AddPeer(host, p => p.At("44.2.2.2"));
            h.Options.SeedPeers.Add(host + " s t");
        }

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        await DiscoveryHarness.WaitUntilAsync(() => h.Table.GetRecords().All(r => r.LastTry is not null) && h.Manager.Scheduler.RunningCount == 0);

        h.Table.GetRecords().Should().HaveCount(10).And.OnlyContain(r => r.LastGood != null && !r.IsBad);
    }

    [Fact]
    public async Task Fifty_peers_of_one_ipv6_64_checked_at_once_give_exactly_one_good()
    {
        await using var h = new DiscoveryHarness(o => o.Identities.Clear());
        for (var i = 0; i < 50; i++)
        {
            var host = $"2a01:4f8:1:2::{i + 1:x}";
            h.AddPeer(host);
            h.Options.SeedPeers.Add($"[{host}] s t".Replace("[", string.Empty, StringComparison.Ordinal).Replace("]", string.Empty, StringComparison.Ordinal));
        }

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        await DiscoveryHarness.WaitUntilAsync(() => h.Table.Count == 50 && h.Table.GetRecords().All(r => r.LastTry is not null) && h.Manager.Scheduler.RunningCount == 0);

        var records = h.Table.GetRecords();
        records.Count(r => r.LastGood is not null).Should().Be(1);
        records.Count(r => r.BadReason == "too many peers in bucket 2a01:4f8:1:2::/64").Should().Be(49);
    }

    [Fact]
    public async Task A_peer_rechecked_is_not_refused_because_of_itself()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("a.example.org");

        (await h.CheckAsync("a.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good);
        (await h.CheckAsync("a.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good);
    }

    [Fact]
    public async Task A_stale_peer_in_the_bucket_does_not_block_a_new_one()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer("old.example.org", p => p.At("44.4.4.4").Unreachable(), r => r with { LastGood = h.Now - TimeSpan.FromHours(4), IPAddress = IPAddress.Parse("44.4.4.4") });
        h.AddKnownPeer("new.example.org", p => p.At("44.4.4.4"));

        (await h.CheckAsync("new.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good);
    }

    [Fact]
    public async Task Onion_peers_are_refused_once_over_half_of_at_least_two_hundred_recent_good_peers()
    {
        await using var h = new DiscoveryHarness();
        h.KnowProxy();
        AddGood(h, clearnet: 100, onion: 101);
        var candidate = DiscoveryHarness.Onion(5000);
        h.AddKnownPeer(candidate);

        (await h.CheckAsync(candidate)).Outcome.Should().Be(PeerCheckOutcome.Bad);

        h.Record(candidate)!.BadReason.Should().Be("too many onion peers already");
    }

    [Fact]
    public async Task Onion_peers_are_accepted_while_the_half_is_below_one_hundred()
    {
        await using var h = new DiscoveryHarness();
        h.KnowProxy();
        AddGood(h, clearnet: 10, onion: 150);
        var candidate = DiscoveryHarness.Onion(5000);
        h.AddKnownPeer(candidate);

        (await h.CheckAsync(candidate)).Outcome.Should().Be(PeerCheckOutcome.Good, "150 of 160 is over half, but half is 80: up to 100 is fine");
    }

    [Fact]
    public async Task A_public_16_holds_at_most_MaxGoodPeersPerNetwork_good_peers_and_the_newcomers_are_the_ones_refused()
    {
        await using var h = new DiscoveryHarness(o => o.MaxGoodPeersPerNetwork = 3);
        for (var i = 0; i < 5; i++)
        {
            h.AddKnownPeer($"n{i}.example.org", p => p.At($"44.2.{i}.1"));
        }

        for (var i = 0; i < 5; i++)
        {
            await h.CheckAsync($"n{i}.example.org");
        }

        Enumerable.Range(0, 5).Select(i => h.Record($"n{i}.example.org")!.IsBad).Should().Equal(false, false, false, true, true);
        h.Record("n4.example.org")!.BadReason.Should().Be("too many good peers in network 44.2.0.0/16");

        // A good peer's recheck does not count itself, so the three keep their places.
        (await h.CheckAsync("n0.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good);
    }

    [Fact]
    public async Task Hosts_presenting_one_TLS_key_hold_at_most_MaxGoodPeersPerOperator_good_places()
    {
        const string Key = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";
        await using var h = new DiscoveryHarness(o => o.MaxGoodPeersPerOperator = 2);
        for (var i = 0; i < 4; i++)
        {
            h.AddKnownPeer($"n{i}.example.org", p => p.At($"{44 + i}.2.0.1").PresentingKey(Key));
        }

        h.AddKnownPeer("other.example.org", p => p.At("49.2.0.1").PresentingKey("F" + Key[1..]));
        h.AddKnownPeer("plain.example.org", p => p.At("50.2.0.1"));
        foreach (var host in (string[])["n0", "n1", "n2", "n3", "other", "plain"])
        {
            await h.CheckAsync(host + ".example.org");
        }

        Enumerable.Range(0, 4).Select(i => h.Record($"n{i}.example.org")!.IsBad).Should().Equal(false, false, true, true);
        h.Record("n3.example.org")!.BadReason.Should().Be("too many good peers of one operator (TLS key)");
        h.Record("other.example.org")!.IsBad.Should().BeFalse("another key is another operator");
        h.Record("plain.example.org")!.IsBad.Should().BeFalse("a peer without TLS has no key to count");
        (await h.CheckAsync("n0.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good, "a recheck does not count itself");
    }

    [Fact]
    public async Task The_network_cap_counts_only_good_peers_of_the_same_16()
    {
        await using var h = new DiscoveryHarness(o => o.MaxGoodPeersPerNetwork = 1);
        h.AddKnownPeer("stale.example.org", p => p.At("44.3.0.1").Unreachable(), r => r with { LastGood = h.Now - TimeSpan.FromHours(4), IPAddress = IPAddress.Parse("44.3.0.1") });
        h.AddKnownPeer("next.example.org", p => p.At("44.4.0.1"));
        h.AddKnownPeer("new.example.org", p => p.At("44.3.9.9"));

        (await h.CheckAsync("next.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good, "44.4.0.0/16 is another network");
        (await h.CheckAsync("new.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good, "the only other peer of 44.3.0.0/16 is stale");
    }

    [Fact]
    public async Task With_the_network_cap_off_or_on_a_private_network_every_address_of_one_16_can_be_good()
    {
        await using var off = new DiscoveryHarness(o => o.MaxGoodPeersPerNetwork = 0);
        await using var lan = new DiscoveryHarness(o => { o.MaxGoodPeersPerNetwork = 1; o.AllowNonPublicPeers = true; });
        for (var i = 0; i < 4; i++)
        {
            off.AddKnownPeer($"n{i}.example.org", p => p.At($"44.2.{i}.1"));
            lan.AddKnownPeer($"n{i}.example.org", p => p.At($"10.2.{i}.1"));
        }

        for (var i = 0; i < 4; i++)
        {
            (await off.CheckAsync($"n{i}.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good);
            (await lan.CheckAsync($"n{i}.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good, "a private network is the operator's own");
        }
    }

    private static void AddGood(DiscoveryHarness h, int clearnet, int onion)
    {
        for (var i = 0; i < clearnet; i++)
        {
            h.Table.TryAdd(new PeerRecord { Host = PeerHost.Parse($"good{i}.example.org"), LastGood = h.Now, IPAddress = IPAddress.Parse($"44.50.{i / 250}.{(i % 250) + 1}") });
        }

        for (var i = 0; i < onion; i++)
        {
            h.Table.TryAdd(new PeerRecord { Host = PeerHost.Parse(DiscoveryHarness.Onion(i)), LastGood = h.Now });
        }
    }
}
