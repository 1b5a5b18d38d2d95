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
