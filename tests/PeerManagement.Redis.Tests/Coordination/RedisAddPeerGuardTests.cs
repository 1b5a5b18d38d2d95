using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.Redis.Tests.Coordination;

public sealed class RedisAddPeerGuardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_network_that_announced_through_one_instance_is_paused_on_every_other()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var one = await Connect(redis);
        await using var two = await Connect(redis);
        var time = new FakeTimeProvider();
        var first = new RedisAddPeerGuard(one, time);
        var second = new RedisAddPeerGuard(two, time);
        var pause = TimeSpan.FromMinutes(10);

        (await first.TryRecordAsync("203.0.113.0/24", pause, Ct)).Should().BeTrue();
        (await second.TryRecordAsync("203.0.113.0/24", pause, Ct)).Should().BeFalse("the fleet remembers the announcement");
        (await second.TryRecordAsync("198.51.100.0/24", pause, Ct)).Should().BeTrue("another network is not paused");
    }

    [Fact]
    public async Task The_pause_lapses_and_a_refused_announcement_starts_it_again()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var one = await Connect(redis);
        var guard = new RedisAddPeerGuard(one, new FakeTimeProvider());
        var pause = TimeSpan.FromMilliseconds(300);

        (await guard.TryRecordAsync("n", pause, Ct)).Should().BeTrue();
        (await guard.TryRecordAsync("n", pause, Ct)).Should().BeFalse();
        var ttl = await one.Database.KeyTimeToLiveAsync(one.Key("addpeer:n"));
        ttl.Should().BeGreaterThan(TimeSpan.FromMilliseconds(200), "the refused announcement restarted the pause");

        var deadline = Environment.TickCount64 + 10_000;
        while (await one.Database.KeyExistsAsync(one.Key("addpeer:n")) && Environment.TickCount64 < deadline)
        {
            await Task.Yield();
        }

        (await guard.TryRecordAsync("n", pause, Ct)).Should().BeTrue("the pause has lapsed");
    }

    private static async Task<RedisFleetConnection> Connect(RedisServer redis)
        => new(await redis.ConnectAsync(), ownsMultiplexer: true, new PeerManagementRedisOptions { KeyPrefix = "guard" }, null, null);
}
