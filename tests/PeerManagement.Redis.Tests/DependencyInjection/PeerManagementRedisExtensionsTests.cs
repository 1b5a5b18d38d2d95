using System.Threading.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace PeerManagement.Redis.Tests.DependencyInjection;

public sealed class PeerManagementRedisExtensionsTests
{
    [Fact]
    public async Task UseRedis_puts_the_fleet_wide_limiter_where_the_local_one_was_and_gives_the_manager_the_fleet()
    {
        await using var redis = await RedisServer.StartAsync();
        var services = new ServiceCollection();
        services.AddPeerManagement().UseRedis(redis.Configuration, o => o.KeyPrefix = "di");
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<PartitionedRateLimiter<NetworkPrefix>>().Should().BeOfType<RedisPartitionedRateLimiter<NetworkPrefix>>();
        var fleet = provider.GetRequiredService<PeerFleetCoordination>();
        fleet.CheckLease.Should().BeOfType<RedisCheckLease>();
        fleet.Records.Should().BeOfType<RedisRecordExchange>();
        fleet.AddPeerGuard.Should().BeOfType<RedisAddPeerGuard>();
        provider.GetRequiredService<PeerManager>().Should().NotBeNull();

        var limiter = provider.GetRequiredService<PartitionedRateLimiter<NetworkPrefix>>();
        using var lease = limiter.AttemptAcquire(NetworkPrefix.Of(System.Net.IPAddress.Parse("203.0.113.7"), 32, 64));
        lease.IsAcquired.Should().BeTrue();
        await using var client = await redis.ConnectAsync();
        (await client.GetServers()[0].KeysAsync(pattern: "di:rl:*").CountAsync(TestContext.Current.CancellationToken)).Should().Be(1, "the decision was taken in Redis");
    }

    [Fact]
    public async Task UseRedis_without_a_configuration_uses_the_connection_in_the_container()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await redis.ConnectAsync();
        var services = new ServiceCollection();
        services.AddSingleton<IConnectionMultiplexer>(connection);
        services.AddPeerManagement().UseRedis(o => o.KeyPrefix = "shared");
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<RedisFleetConnection>().Multiplexer.Should().BeSameAs(connection);
    }

    [Fact]
    public void An_invalid_key_prefix_or_lease_is_reported_when_the_options_are_read()
    {
        var services = new ServiceCollection();
        services.AddPeerManagement().UseRedis("127.0.0.1:1", o =>
        {
            o.KeyPrefix = "two words";
            o.LeaseLength = TimeSpan.Zero;
        });
        using var provider = services.BuildServiceProvider();

        var read = () => provider.GetRequiredService<IOptions<PeerManagementRedisOptions>>().Value;

        read.Should().Throw<OptionsValidationException>().Which.Failures.Should().HaveCount(2);
    }
}
