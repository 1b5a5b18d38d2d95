using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>Registers PeerManagement in a service collection.</summary>
public static partial class PeerManagementServiceCollectionExtensions
{
    /// <summary>
    /// Registers the peer table, options (bound from the environment, then <paramref name="configure"/>,
    /// validated at start) and the default implementation of every plug-in interface. Idempotent: a second call
    /// only adds its <paramref name="configure"/>. Defaults are registered with <c>TryAdd</c>, so a service
    /// registered before this call wins; to replace one afterwards use the builder's <c>Use*</c> methods (or
    /// register it again: the last registration wins).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes the options after the environment has been applied.</param>
    /// <returns>A builder to replace the defaults.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder AddPeerManagement(this IServiceCollection services, Action<PeerManagementOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(d => d.ServiceType == typeof(PeerManagementMarker)))
        {
            AddCore(services);
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return new PeerManagementBuilder(services);
    }

    /// <summary>Replaces the peer store (e.g. by a database-backed one).</summary>
    /// <typeparam name="TStore">The store type, created by the container.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder UseStore<TStore>(this IPeerManagementBuilder builder)
        where TStore : class, IPeerStore
        => Replace(builder, ServiceDescriptor.Singleton<IPeerStore, TStore>());

    /// <summary>Replaces the peer store by an instance.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="store">The store.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder UseStore(this IPeerManagementBuilder builder, IPeerStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Replace(builder, ServiceDescriptor.Singleton(store));
    }

    private static void AddCore(IServiceCollection services)
    {
        services.AddSingleton<PeerManagementMarker>();
        services.TryAddSingleton(TimeProvider.System);

        // Environment first, so the code delegate (registered after) has the last word.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<PeerManagementOptions>, EnvironmentConfigureOptions>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<ProxyOptions>, EnvironmentConfigureOptions>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<RateLimitingOptions>, EnvironmentConfigureOptions>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PeerManagementOptions>, PeerManagementOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PeerManagementOptions>, PeerManagementOptionsRules>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RateLimitingOptions>, RateLimitingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RateLimitingOptions>, PeerManagementOptionsRules>());
        services.AddOptions<PeerManagementOptions>().ValidateOnStart();
        services.AddOptions<RateLimitingOptions>().ValidateOnStart();

        // The table is the first service that reads a setting: every invalid setting is reported there at once.
        services.TryAddSingleton<SettingsCheck>();
        services.TryAddSingleton(sp =>
        {
            sp.GetRequiredService<SettingsCheck>().ThrowIfInvalid();
            return new PeerTable(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<PeerManagementOptions>>().Value.StaleAfter);
        });
        services.TryAddSingleton<IPeerStore, InMemoryPeerStore>();

        // Each capability registers its defaults in its own file of this partial class.
        AddTransport(services);
        AddRateLimiting(services);
        AddStorage(services);
        AddDiscovery(services);
    }

    static partial void AddTransport(IServiceCollection services);

    static partial void AddRateLimiting(IServiceCollection services);

    static partial void AddStorage(IServiceCollection services);

    static partial void AddDiscovery(IServiceCollection services);

    /// <summary>Marks a collection that already has the core registrations.</summary>
    private sealed class PeerManagementMarker;

    /// <summary>What every <c>Use…</c> method does: replaces a service's registration, after the defaults or not.</summary>
    private static IPeerManagementBuilder Replace(IPeerManagementBuilder builder, ServiceDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(descriptor);
        return builder;
    }
}
