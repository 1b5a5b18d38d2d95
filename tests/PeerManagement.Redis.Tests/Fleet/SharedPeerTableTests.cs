namespace PeerManagement.Redis.Tests.Fleet;

/// <summary>Three instances in one process share one Redis: one table, one check per peer per interval.</summary>
public sealed class SharedPeerTableTests
{
    private static readonly string[] Hosts = ["a.example.org", "b.example.org", "c.example.org", "d.example.org", "e.example.org", "f.example.org"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_peer_is_checked_by_one_instance_per_interval_across_the_fleet()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var fleet = await StartFleetAsync(redis, instances: 3);

        await WaitUntilEveryInstanceSeesAllGoodAsync(fleet);
        foreach (var host in Hosts)
        {
            fleet.ChecksOf(host).Sum().Should().Be(1, $"{host} is checked once by the fleet, not once per instance");
        }

        // The next interval: after the leases lapse (Redis's real clock), the re-check is due on the fake clock.
        await fleet.WaitForLeasesToLapseAsync();
        var options = fleet.Options();
        fleet.Time.Advance(options.StaleAfter - (2 * options.Wakeup));
        await FleetHarness.WaitUntilAsync(() => Hosts.All(h => fleet.ChecksOf(h).Sum() >= 2), "every peer should be re-checked");
        await FleetHarness.WaitUntilAsync(
            () => Hosts.All(h => fleet.Instances.All(i => i.Record(h)?.LastGood == fleet.Time.GetUtcNow())),
            "every instance should see the re-check");
        foreach (var host in Hosts)
        {
            fleet.ChecksOf(host).Sum().Should().Be(2, $"{host} is re-checked once by the fleet");
        }
    }

    [Fact]
    public async Task The_three_instances_answer_server_peers_subscribe_alike()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var fleet = await StartFleetAsync(redis, instances: 3);

        await WaitUntilEveryInstanceSeesAllGoodAsync(fleet);

        var answers = fleet.Instances.Select(i => Canonical(i.Manager.AnswerPeersSubscribe(null))).ToList();
        answers[0].Should().HaveCount(Hosts.Length);
        answers[1].Should().Equal(answers[0]);
        answers[2].Should().Equal(answers[0]);
    }

    [Fact]
    public async Task The_leases_of_an_instance_that_died_lapse_and_another_instance_checks_its_peers()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var fleet = new FleetHarness(redis, TimeSpan.FromSeconds(1));
        fleet.Seeds.AddRange(Hosts);
        // An instance takes every lease, then dies before checking anything.
        var dead = await fleet.AddInstanceAsync("dead");
        foreach (var host in Hosts)
        {
            (await new RedisCheckLease(dead.Connection).TryAcquireAsync(PeerHost.Parse(host), Ct)).Should().BeTrue();
        }

        fleet.Instances.Clear();
        for (var i = 0; i < Hosts.Length; i++)
        {
            fleet.AddPeer(Hosts[i], i);
        }

        var survivor = await fleet.AddInstanceAsync("survivor");
        await survivor.Manager.StartAsync(Ct);
        await FleetHarness.WaitUntilAsync(() => survivor.Network.Attempts.Count == 0 && Hosts.All(h => survivor.Manager.Scheduler.GetDue(PeerHost.Parse(h)) > fleet.Time.GetUtcNow()), "the survivor should defer the leased peers");

        await fleet.WaitForLeasesToLapseAsync();
        fleet.Time.Advance(fleet.Options().Wakeup);
        await FleetHarness.WaitUntilAsync(() => Hosts.All(h => survivor.Status(h) == PeerStatus.Good), "the survivor should take the lapsed leases over");
        foreach (var host in Hosts)
        {
            fleet.ChecksOf(host).Should().Equal([1]);
        }

        await dead.Manager.DisposeAsync();
    }

    private static async Task<FleetHarness> StartFleetAsync(RedisServer redis, int instances)
    {
        var fleet = new FleetHarness(redis, TimeSpan.FromSeconds(1));
        fleet.Seeds.AddRange(Hosts);
        for (var i = 0; i < instances; i++)
        {
            await fleet.AddInstanceAsync($"instance-{i + 1}");
        }

        for (var i = 0; i < Hosts.Length; i++)
        {
            fleet.AddPeer(Hosts[i], i);
        }

        foreach (var instance in fleet.Instances)
        {
            await instance.Manager.StartAsync(Ct);
        }

        return fleet;
    }

    private static Task WaitUntilEveryInstanceSeesAllGoodAsync(FleetHarness fleet)
        => FleetHarness.WaitUntilAsync(
            () => fleet.Instances.All(i => Hosts.All(h => i.Status(h) == PeerStatus.Good)),
            "every instance should see every peer good");

    private static List<string> Canonical(System.Text.Json.Nodes.JsonNode answer)
        => [.. System.Text.Json.Nodes.JsonNode.Parse(answer.ToJsonString())!.AsArray().Select(n => n!.ToJsonString()).Order(StringComparer.Ordinal)];
}
