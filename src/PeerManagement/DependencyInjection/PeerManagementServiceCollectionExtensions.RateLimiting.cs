using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PeerManagement;

public static partial class PeerManagementServiceCollectionExtensions
{
    /// <summary>Changes the rate-limiting options after the environment (<c>MAX_TOKENS</c>, ...) has been applied.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder ConfigureRateLimiting(this IPeerManagementBuilder builder, Action<RateLimitingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Replaces the limiter of incoming requests, keyed by the caller's network (see
    /// <see cref="RateLimitingJsonRpcRequestHandler.KeyOf"/>); the default is a
    /// <see cref="PeerPartitionedRateLimiter{TKey}"/> that counts its decisions on the host's meters.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="limiter">The limiter; the container does not dispose it.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder UseRateLimiter(this IPeerManagementBuilder builder, PartitionedRateLimiter<NetworkPrefix> limiter)
    {
        ArgumentNullException.ThrowIfNull(limiter);
        return Replace(builder, ServiceDescriptor.Singleton(limiter));
    }

    /// <summary>
    /// Wraps a JSON-RPC request handler in the registered per-network limiter
    /// (<see cref="RateLimitingJsonRpcRequestHandler"/>), or returns it unchanged when rate limiting is off
    /// (<c>ENABLE_RATE_LIMIT=false</c>).
    /// </summary>
    /// <param name="handler">The handler of incoming calls.</param>
    /// <param name="services">A provider with <c>AddPeerManagement()</c> registered.</param>
    /// <returns>The handler to give the listener.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The provider lacks the PeerManagement registrations.</exception>
    public static IJsonRpcRequestHandler WithRateLimiting(this IJsonRpcRequestHandler handler, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(services);
        if (!services.GetRequiredService<IOptions<RateLimitingOptions>>().Value.Enabled)
        {
            return handler;
        }

        return new RateLimitingJsonRpcRequestHandler(
            handler,
            services.GetRequiredService<PartitionedRateLimiter<NetworkPrefix>>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetService<ILoggerFactory>()?.CreateLogger<RateLimitingJsonRpcRequestHandler>(),
            RateLimitingJsonRpcRequestHandler.DefaultCloseAfterRejections);
    }

    static partial void AddRateLimiting(IServiceCollection services)
    {
        services.TryAddSingleton(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<RateLimitingOptions>>().Value;
            if (sp.GetService<ILoggerFactory>() is { } loggers)
            {
                Log.RateLimitingSettings(loggers.CreateLogger("PeerManagement.RateLimiting"), options.Enabled, options.MaxTokens, options.Window, options.DelayAfter, options.Delay.TotalMilliseconds, options.MaxPartitions);
            }

            // The limiter counts its own decisions, on the host's meters when it has them.
            return new PeerPartitionedRateLimiter<NetworkPrefix>(options, sp.GetRequiredService<TimeProvider>(), meterFactory: sp.GetService<IMeterFactory>());
        });
        services.TryAddSingleton<PartitionedRateLimiter<NetworkPrefix>>(static sp => sp.GetRequiredService<PeerPartitionedRateLimiter<NetworkPrefix>>());
    }
}
