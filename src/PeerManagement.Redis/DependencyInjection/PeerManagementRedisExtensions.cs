using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace PeerManagement.Redis;

/// <summary>Makes an instance one of a fleet that shares its peer table, add_peer guard and rate limit on Redis.</summary>
public static class PeerManagementRedisExtensions
{
    /// <summary>
    /// Shares the peer table (check leases, versioned records), the <c>server.add_peer</c> pause and the rate limit
    /// with every instance that uses the same Redis and <see cref="PeerManagementRedisOptions.KeyPrefix"/>, over a
    /// connection opened from <paramref name="configuration"/>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configuration">The StackExchange.Redis configuration string, e.g. <c>localhost:6379</c>.</param>
    /// <param name="configure">Changes the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder UseRedis(this IPeerManagementBuilder builder, string configuration, Action<PeerManagementRedisOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return UseRedis(builder, options =>
        {
            options.Configuration = configuration;
            configure?.Invoke(options);
        });
    }

    /// <summary>
    /// As <see cref="UseRedis(IPeerManagementBuilder, string, Action{PeerManagementRedisOptions}?)"/>, over the
    /// <see cref="IConnectionMultiplexer"/> registered in the container unless
    /// <see cref="PeerManagementRedisOptions.Configuration"/> is set.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder UseRedis(this IPeerManagementBuilder builder, Action<PeerManagementRedisOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<PeerManagementRedisOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PeerManagementRedisOptions>, PeerManagementRedisOptionsValidator>());
        services.TryAddSingleton(static sp =>
        {
            var settings = sp.GetRequiredService<IOptions<PeerManagementRedisOptions>>().Value;
            var owned = settings.Configuration is not null;
            var multiplexer = owned ? RedisFleetConnection.Connect(settings) : sp.GetRequiredService<IConnectionMultiplexer>();
            return new RedisFleetConnection(multiplexer, owned, settings, sp.GetService<ILoggerFactory>(), sp.GetService<IMeterFactory>());
        });
        services.TryAddSingleton(static sp =>
        {
            var connection = sp.GetRequiredService<RedisFleetConnection>();
            return new PeerFleetCoordination
            {
                CheckLease = new RedisCheckLease(connection),
                Records = new RedisRecordExchange(connection),
                AddPeerGuard = new RedisAddPeerGuard(connection, sp.GetRequiredService<TimeProvider>()),
            };
        });

        // The fleet-wide limiter replaces the local one wherever it plugs in (JSON-RPC and ASP.NET Core).
        services.RemoveAll<PartitionedRateLimiter<NetworkPrefix>>();
        services.AddSingleton<PartitionedRateLimiter<NetworkPrefix>>(static sp => new RedisPartitionedRateLimiter<NetworkPrefix>(
            sp.GetRequiredService<RedisFleetConnection>(),
            ownsConnection: false,
            sp.GetRequiredService<IOptions<RateLimitingOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<IMeterFactory>(),
            clockMicros: null));
        return builder;
    }
}
