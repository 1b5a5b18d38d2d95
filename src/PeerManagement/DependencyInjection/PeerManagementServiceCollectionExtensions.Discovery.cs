using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>Registers discovery: the <see cref="PeerManager"/>, the default verifier, resolver and blacklist sources.</summary>
public static partial class PeerManagementServiceCollectionExtensions
{
    /// <summary>Sets our view of the chain, which peers are verified against (required by discovery).</summary>
    /// <typeparam name="TChainView">The chain view type, created by the container.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder UseChainView<TChainView>(this IPeerManagementBuilder builder)
        where TChainView : class, IChainView
        => Replace(builder, ServiceDescriptor.Singleton<IChainView, TChainView>());

    /// <summary>Sets our view of the chain, which peers are verified against (required by discovery).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="chain">The chain view.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder UseChainView(this IPeerManagementBuilder builder, IChainView chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return Replace(builder, ServiceDescriptor.Singleton(chain));
    }

    /// <summary>Replaces the peer verifier (the Electrum protocol by default).</summary>
    /// <typeparam name="TVerifier">The verifier type, created by the container.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder UseVerifier<TVerifier>(this IPeerManagementBuilder builder)
        where TVerifier : class, IPeerVerifier
        => Replace(builder, ServiceDescriptor.Singleton<IPeerVerifier, TVerifier>());

    /// <summary>Replaces the host name resolver used to check <c>server.add_peer</c> announcements.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="resolver">The resolver.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder UseHostNameResolver(this IPeerManagementBuilder builder, IHostNameResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        return Replace(builder, ServiceDescriptor.Singleton(resolver));
    }

    /// <summary>Adds blacklist entries given in code (hosts, <c>*.domain.tld</c>, IP addresses, CIDR ranges; optional <c> until &lt;time&gt;</c>).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="entries">The entries.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder AddBlacklist(this IPeerManagementBuilder builder, params IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(entries);
        builder.Services.AddSingleton<IBlacklistSource>(new StaticBlacklistSource(entries));
        return builder;
    }

    /// <summary>Adds a blacklist file, read again on every refresh (a JSON array of strings, or one entry per line).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="path">The file's path.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    public static IPeerManagementBuilder AddBlacklistFile(this IPeerManagementBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IBlacklistSource>(new FileBlacklistSource(path));
        return builder;
    }

    /// <summary>Adds a blacklist source.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="source">The source.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder AddBlacklistSource(this IPeerManagementBuilder builder, IBlacklistSource source)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(source);
        builder.Services.AddSingleton(source);
        return builder;
    }

    static partial void AddDiscovery(IServiceCollection services)
    {
        services.TryAddSingleton<IPeerVerifier, ElectrumPeerVerifier>();
        services.TryAddSingleton<BlacklistUrlSourceHolder>();
        services.TryAddSingleton<IBanStore, InMemoryBanStore>();
        services.TryAddSingleton<IAddressFamilyProbe, SocketAddressFamilyProbe>();
        services.TryAddSingleton(sp => new PeerManager(
            sp.GetRequiredService<PeerTable>(),
            sp.GetRequiredService<IOptions<PeerManagementOptions>>(),
            sp.GetRequiredService<IPeerConnector>(),
            sp.GetRequiredService<IJsonRpcSessionFactory>(),
            // Without the host's chain view the manager still exists (admin adds reach the table) but never starts.
            sp.GetService<IChainView>() ?? MissingChainView.Instance,
            sp.GetRequiredService<IPeerStore>(),
            BlacklistSources(sp),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<IChainView>() is null ? null : sp.GetRequiredService<IPeerVerifier>(),
            sp.GetService<IProxyConnector>(),
            sp.GetRequiredService<IHostNameResolver>(),
            random: null,
            sp.GetService<IMeterFactory>(),
            sp.GetRequiredService<IOptions<ProxyOptions>>(),
            sp.GetRequiredService<IBanStore>(),
            sp.GetRequiredService<IAddressFamilyProbe>(),
            sp.GetService<PeerFleetCoordination>()));
        services.AddSingleton<IHostedService, PeerManagerHostedService>();
    }

    private static IEnumerable<IBlacklistSource> BlacklistSources(IServiceProvider sp)
    {
        var sources = sp.GetServices<IBlacklistSource>().ToList();
        if (sp.GetRequiredService<BlacklistUrlSourceHolder>().Source is { } url)
        {
            sources.Add(url);
        }

        return sources;
    }

    /// <summary>
    /// The source for <see cref="PeerManagementOptions.BlacklistUrl"/>: a registered <see cref="HttpClient"/> when
    /// the host has one, else one of our own (disposed with the container).
    /// </summary>
    private sealed class BlacklistUrlSourceHolder : IDisposable
    {
        private readonly HttpClient? _owned;

        public BlacklistUrlSourceHolder(IOptions<PeerManagementOptions> options, IServiceProvider services)
        {
            if (options.Value.BlacklistUrl is not { } url)
            {
                return;
            }

            var client = services.GetService<HttpClient>();
            if (client is null)
            {
                // Recycle pooled connections so DNS changes of the list's host are seen.
                _owned = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { Timeout = TimeSpan.FromSeconds(30) };
                client = _owned;
            }

            Source = new UrlBlacklistSource(client, url);
        }

        public UrlBlacklistSource? Source { get; }

        public void Dispose() => _owned?.Dispose();
    }
}
