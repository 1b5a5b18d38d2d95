using System.Net;
using Microsoft.Extensions.Logging;

namespace PeerManagement.Tests.Discovery;

/// <summary>The per-network entry cap of the table (<see cref="PeerManagementOptions.MaxPeersPerNetwork"/>).</summary>
public class NetworkEntryCapTests
{
    private const string Lister = "lister.example.org";

    private static PeerRealName Name(string text) => PeerRealName.Parse(text, DefaultPorts.BitcoinMainnet);

    private static int EntriesIn(DiscoveryHarness h, string network)
        => h.Table.GetRecords().Count(r => (r.IPAddress ?? r.Host.Address)?.ToString().StartsWith(network, StringComparison.Ordinal) == true);

    private static int Note(DiscoveryHarness h, params string[] hosts)
        => h.Manager.NotePeers([.. hosts.Select(host => Name(host + " s t"))], Lister, checkPorts: false, capped: false);

    // A harness without identities of its own, with the entry cap and the good-peer cap per network given.
    private static DiscoveryHarness Capped(int entries, int good, Action<PeerManagementOptions>? configure = null)
        => new(o =>
        {
            o.Identities.Clear();
            o.MaxPeersPerNetwork = entries;
            o.MaxGoodPeersPerNetwork = good;
            configure?.Invoke(o);
        });

    private static void MarkGood(DiscoveryHarness h, string host, TimeSpan? ago = null)
        => h.Table.Update(PeerHost.Parse(host), r => r with { LastGood = h.Now - (ago ?? TimeSpan.Zero), LastTry = h.Now - (ago ?? TimeSpan.Zero) });

    [Fact]
    public async Task A_flood_of_names_in_one_16_never_holds_more_than_the_cap_once_their_checks_reach_them()
    {
        await using var h = Capped(entries: 4, good: 2);
        var names = Enumerable.Range(0, 30).Select(i => $"flood{i}.example.org").ToArray();
        for (var i = 0; i < names.Length; i++)
        {
            h.AddPeer(names[i], p => p.At($"44.9.{i}.1"));
        }

        Note(h, names).Should().Be(30, "a name's network is not known before its check reaches it");
        foreach (var name in names)
        {
            await h.CheckAsync(name);
            EntriesIn(h, "44.9.").Should().BeLessThanOrEqualTo(4);
        }

        h.Table.Count.Should().Be(4, "every newcomer over the cap was forgotten or made room: the flood leaves 4 entries");
        h.Status("flood0.example.org").Should().Be(PeerStatus.Good, "the first two good peers are never evicted for a newcomer");
        h.Status("flood1.example.org").Should().Be(PeerStatus.Good);
        h.Table.GetRecords().Count(r => r.IsBad).Should().Be(2, "the bad ones (over the good cap) made room for the next newcomers");
        h.LogsWithId(137).Should().NotBeEmpty();
    }

    [Fact]
    public async Task A_network_of_good_peers_refuses_a_strangers_newcomer_and_says_so_once_an_hour_not_per_candidate()
    {
        await using var h = Capped(entries: 3, good: 3);
        Note(h, "44.9.0.1", "44.9.0.2", "44.9.0.3").Should().Be(3);
        foreach (var host in (string[])["44.9.0.1", "44.9.0.2", "44.9.0.3"])
        {
            MarkGood(h, host);
        }

        Note(h, "44.9.1.1", "44.9.1.2", "44.9.1.3", "44.9.1.4", "44.9.1.5").Should().Be(0, "a good peer is never evicted for an unverified newcomer");
        Note(h, "45.9.1.1").Should().Be(1, "another /16 has room");

        h.Table.GetRecords().Where(r => r.Host.Value.StartsWith("44.9.0.", StringComparison.Ordinal)).Should().HaveCount(3).And.OnlyContain(r => r.LastGood != null);
        h.LogsWithId(139).Should().HaveCount(5).And.OnlyContain(r => r.Level == LogLevel.Debug);
        h.LogsWithId(138).Should().ContainSingle().Which.Message.Should().Contain("44.9.0.0/16");

        h.Time.Advance(TimeSpan.FromMinutes(61));
        Note(h, "44.9.1.6").Should().Be(0);
        h.LogsWithId(138).Should().HaveCount(2, "an hour later the refusal is told again");
    }

    [Fact]
    public async Task Room_is_made_by_forgetting_the_bad_entry_first_then_the_one_verified_longest_ago_never_one_waiting_for_its_check()
    {
        await using var h = Capped(entries: 4, good: 4);
        Note(h, "44.9.0.1", "44.9.0.2", "44.9.0.3", "44.9.0.4").Should().Be(4);
        MarkGood(h, "44.9.0.1");
        MarkGood(h, "44.9.0.2", TimeSpan.FromHours(5));
        MarkGood(h, "44.9.0.3", TimeSpan.FromHours(4));
        h.Table.Update(PeerHost.Parse("44.9.0.4"), r => r with { LastGood = h.Now - TimeSpan.FromHours(1), BadReason = "wrong genesis" });

        Note(h, "44.9.1.1").Should().Be(1);
        h.Record("44.9.0.4").Should().BeNull("a bad entry goes before any other");
        Note(h, "44.9.1.2").Should().Be(1);
        h.Record("44.9.0.2").Should().BeNull("of the stale ones, it was verified longest ago");
        h.Record("44.9.0.3").Should().NotBeNull();
        Note(h, "44.9.1.3").Should().Be(1);
        h.Record("44.9.0.3").Should().BeNull();

        Note(h, "44.9.1.4").Should().Be(0, "what is left is good or waits for its first check");
        h.Table.Update(PeerHost.Parse("44.9.1.2"), r => r with { TryCount = 1, LastTry = h.Now });
        Note(h, "44.9.1.5").Should().Be(1, "a peer whose check failed may make room");
        h.Record("44.9.1.2").Should().BeNull();

        h.Due("44.9.0.2").Should().BeNull("an evicted peer is not checked any more");
        h.Status("44.9.0.1").Should().Be(PeerStatus.Good);
        EntriesIn(h, "44.9.").Should().Be(4);
    }

    [Fact]
    public async Task Seeds_and_own_identities_are_never_refused_or_evicted_by_the_cap()
    {
        await using var h = Capped(entries: 1, good: 1, o => { o.Identities.Add("44.9.0.8 s t"); o.SeedPeers.Add("44.9.0.9 s t"); });
        Note(h, "44.9.0.1").Should().Be(1);
        MarkGood(h, "44.9.0.1");

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        h.Record("44.9.0.8").Should().NotBeNull("our own identity enters a full network");
        h.Record("44.9.0.9").Should().NotBeNull("so does a seed");
        h.Table.Update(PeerHost.Parse("44.9.0.9"), r => r with { BadReason = "wrong genesis", LastTry = h.Now });

        Note(h, "44.9.0.2").Should().Be(0, "a bad seed does not make room, nor does a good peer");
        h.Record("44.9.0.9").Should().NotBeNull();
        h.Record("44.9.0.8").Should().NotBeNull();
    }

    [Fact]
    public async Task An_admin_add_is_neither_refused_nor_forgotten_at_its_first_check_while_a_strangers_name_is()
    {
        await using var h = Capped(entries: 1, good: 1);
        Note(h, "44.9.0.1").Should().Be(1);
        MarkGood(h, "44.9.0.1");
        h.AddPeer("admin.example.org", p => p.At("44.9.0.3"));
        h.AddPeer("stranger.example.org", p => p.At("44.9.0.4"));

        (await h.Manager.AddPeerAsync("44.9.0.2 s t", DiscoveryHarness.Token)).Should().Be(PeerNoteResult.Added);
        (await h.Manager.AddPeerAsync("admin.example.org s t", DiscoveryHarness.Token)).Should().Be(PeerNoteResult.Added);
        Note(h, "stranger.example.org").Should().Be(1);
        await h.CheckAsync("stranger.example.org");
        await h.CheckAsync("admin.example.org");

        h.Record("admin.example.org").Should().NotBeNull();
        h.Record("stranger.example.org").Should().BeNull("its check found its network full of peers that may not make room");
        h.Status("44.9.0.1").Should().Be(PeerStatus.Good);
    }

    [Fact]
    public async Task Private_networks_are_not_capped_while_a_public_one_is()
    {
        await using var h = Capped(entries: 1, good: 1, o => { o.AllowNonPublicPeers = true; });

        Note(h, "44.9.0.1", "44.9.0.2", "44.9.0.3").Should().Be(1, "the first waits for its check, the others may not displace it");
        Note(h, "10.9.0.1", "10.9.0.2", "10.9.0.3").Should().Be(3, "a private network is the operator's own");
        EntriesIn(h, "44.9.").Should().Be(1);
        EntriesIn(h, "10.9.").Should().Be(3);
    }

    [Fact]
    public async Task The_cap_is_off_at_zero()
    {
        await using var on = new DiscoveryHarness(o => { o.Identities.Clear(); o.MaxPeersPerNetwork = 2; o.MaxGoodPeersPerNetwork = 0; });
        await using var off = new DiscoveryHarness(o => { o.Identities.Clear(); o.MaxPeersPerNetwork = 0; });
        string[] hosts = ["44.9.0.1", "44.9.0.2", "44.9.0.3", "44.9.0.4"];
        foreach (var host in hosts)
        {
            Note(on, host);
            Note(off, host);
            MarkGood(on, host);
            MarkGood(off, host);
        }

        EntriesIn(on, "44.9.").Should().Be(2);
        EntriesIn(off, "44.9.").Should().Be(4);
    }

    [Fact]
    public async Task A_flood_from_many_16s_fills_no_network_past_its_cap_and_the_table_no_further_than_MaxPeers()
    {
        await using var h = Capped(entries: 3, good: 3, o => { o.MaxPeers = 20; });
        var flood = Enumerable.Range(0, 10).SelectMany(n => Enumerable.Range(1, 10).Select(i => $"{44 + n}.9.0.{i}")).ToArray();

        var added = Note(h, flood);
        foreach (var record in h.Table.GetRecords())
        {
            MarkGood(h, record.Host.Value);
        }

        Note(h, [.. flood.Select(f => f.Replace(".9.0.", ".9.1.", StringComparison.Ordinal))]);

        h.Table.Count.Should().Be(20);
        added.Should().BeGreaterThanOrEqualTo(20);
        for (var n = 0; n < 10; n++)
        {
            EntriesIn(h, $"{44 + n}.9.").Should().BeLessThanOrEqualTo(3);
        }

        h.LogsWithId(142).Should().NotBeEmpty("past the first networks the table itself is full");
    }
}
