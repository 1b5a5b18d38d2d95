namespace PeerManagement.Redis.Tests.Fleet;

/// <summary>Redis killed mid-run and started again on the same port (empty): the fleet keeps serving and loses nothing.</summary>
public sealed class FleetOutageTests
{
    private static readonly string[] Hosts = ["a.example.org", "b.example.org", "c.example.org"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Instances_keep_serving_while_Redis_is_down_and_after_it_returns_nothing_either_side_wrote_is_lost()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var fleet = new FleetHarness(redis, TimeSpan.FromSeconds(1));
        fleet.Seeds.AddRange(Hosts);
        var one = await fleet.AddInstanceAsync("one");
        var two = await fleet.AddInstanceAsync("two");
        for (var i = 0; i < Hosts.Length; i++)
        {
            fleet.AddPeer(Hosts[i], i);
        }

        fleet.AddPeer("g.example.org", 10);
        fleet.AddPeer("h.example.org", 11);
        await one.Manager.StartAsync(Ct);
        await two.Manager.StartAsync(Ct);
        await FleetHarness.WaitUntilAsync(() => fleet.Instances.All(i => Hosts.All(h => i.Status(h) == PeerStatus.Good)), "the fleet should converge");

        await redis.KillAsync();
        // Each side learns of a peer while Redis is down, and checks it alone.
        await one.Manager.AddPeerAsync("g.example.org s t", Ct);
        await two.Manager.AddPeerAsync("h.example.org s t", Ct);
        await FleetHarness.WaitUntilAsync(() => one.Status("g.example.org") == PeerStatus.Good && two.Status("h.example.org") == PeerStatus.Good, "each instance should go on checking alone");
        System.Text.Json.Nodes.JsonNode.Parse(one.Manager.AnswerPeersSubscribe(null).ToJsonString())!.AsArray().Should().HaveCount(Hosts.Length + 1, "the instance keeps answering from its own table");
        fleet.Logs.GetSnapshot().Count(r => r.Id.Id == 800).Should().BeGreaterThanOrEqualTo(1);

        await redis.RestartAsync();

        string[] all = [.. Hosts, "g.example.org", "h.example.org"];
        await FleetHarness.WaitUntilAsync(() => fleet.Instances.All(i => all.All(h => i.Status(h) == PeerStatus.Good)), "both instances should hold what either wrote");
        await using var client = await redis.ConnectAsync();
        var stored = await client.GetDatabase().HashKeysAsync(fleet.Prefix + ":peers");
        stored.Select(k => (string)k!).Should().BeEquivalentTo(all, "the emptied Redis is refilled by the re-sync");
        // Each outage is logged once as it starts and once as it ends: both instances saw one, and a command still in
        // flight when Redis came back may start (and end) another, but nothing is logged twice for one change.
        await FleetHarness.WaitUntilAsync(
            () => fleet.Logs.GetSnapshot().Count(r => r.Id.Id == 802) == fleet.Logs.GetSnapshot().Count(r => r.Id.Id is 800 or 801),
            "every outage logged as it started should be logged as it ended");
        fleet.Logs.GetSnapshot().Count(r => r.Id.Id == 802).Should().BeGreaterThanOrEqualTo(2, "each instance logs that Redis is back");
    }
}
