using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.Redis.Tests.Fleet;

/// <summary>The one-announcement-per-network-per-pause rule of <c>server.add_peer</c> holds across the fleet.</summary>
public sealed class SharedAddPeerPauseTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_network_that_announced_to_one_instance_is_refused_by_another_within_the_pause()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var fleet = new FleetHarness(redis, TimeSpan.FromSeconds(1));
        var one = await fleet.AddInstanceAsync("one");
        var two = await fleet.AddInstanceAsync("two");

        (await AddPeerAsync(one, "44.5.6.7")).Should().BeTrue();
        (await AddPeerAsync(two, "44.5.6.8")).Should().BeFalse("44.5.6.0/24 announced to another instance of the fleet");
        (await AddPeerAsync(two, "44.5.7.8")).Should().BeTrue("another network is not paused");
        fleet.Logs.GetSnapshot().Should().Contain(r => r.Message.Contains("its network announced a peer recently"));
    }

    /// <summary>Announces the caller's own address, which needs no name resolution.</summary>
    private static async Task<bool> AddPeerAsync(FleetInstance instance, string address)
    {
        var features = new JsonObject
        {
            ["hosts"] = new JsonObject { [address] = new JsonObject { ["tcp_port"] = 50001, ["ssl_port"] = 50002 } },
            ["genesis_hash"] = FakeChainView.MainnetGenesis,
            ["protocol_max"] = "1.4.2",
        };
        var session = FakeJsonRpcSession.Incoming(new IPEndPoint(IPAddress.Parse(address), 40000));
        var call = new JsonRpcCall("server.add_peer", JsonSerializer.SerializeToElement(new JsonArray(features)), false, session);
        var answer = await instance.Manager.CreateRequestHandler().HandleAsync(call, Ct);
        return answer!.GetValue<bool>();
    }
}
