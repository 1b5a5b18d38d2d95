using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace PeerManagement;

public static partial class PeerManagementServiceCollectionExtensions
{
    /// <summary>Replaces the connector that opens connections to peers.</summary>
    /// <typeparam name="TConnector">The connector type, created by the container.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder UsePeerConnector<TConnector>(this IPeerManagementBuilder builder)
        where TConnector : class, IPeerConnector
        => Replace(builder, ServiceDescriptor.Singleton<IPeerConnector, TConnector>());

    /// <summary>Replaces the proxy connector (SOCKS5 by default).</summary>
    /// <typeparam name="TProxyConnector">The proxy connector type, created by the container.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder UseProxyConnector<TProxyConnector>(this IPeerManagementBuilder builder)
        where TProxyConnector : class, IProxyConnector
        => Replace(builder, ServiceDescriptor.Singleton<IProxyConnector, TProxyConnector>());

    /// <summary>Replaces the JSON-RPC session factory.</summary>
    /// <typeparam name="TFactory">The factory type, created by the container.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder UseJsonRpcSessionFactory<TFactory>(this IPeerManagementBuilder builder)
        where TFactory : class, IJsonRpcSessionFactory
        => Replace(builder, ServiceDescriptor.Singleton<IJsonRpcSessionFactory, TFactory>());

    /// <summary>
    /// Changes the settings of the default connector (timeouts, local address, TLS pins). Its connect timeouts are
    /// the only ones applied to opening a connection to a peer.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the settings.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder ConfigureConnector(this IPeerManagementBuilder builder, Action<PeerConnectorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Changes the settings of the SOCKS5 proxy (host, port, credentials, probe timeouts, re-detection interval),
    /// after <c>TOR_PROXY_HOST</c> and <c>TOR_PROXY_PORT</c> have been applied.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the settings.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder ConfigureProxy(this IPeerManagementBuilder builder, Action<ProxyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Changes the settings of the JSON-RPC sessions (message bound, default request timeout, write timeout, close
    /// grace and the bounds on queued work).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the settings.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IPeerManagementBuilder ConfigureJsonRpc(this IPeerManagementBuilder builder, Action<JsonRpcOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    static partial void AddTransport(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProxyOptions>, ProxyOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProxyOptions>, ProxyOptionsRules>());
        services.AddOptions<ProxyOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JsonRpcOptions>, JsonRpcOptionsValidator>());
        services.AddOptions<JsonRpcOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PeerConnectorOptions>, PeerConnectorOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<PeerConnectorOptions>, PeerConnectorOptionsSetup>());
        services.AddOptions<PeerConnectorOptions>().ValidateOnStart();
        services.TryAddSingleton<IJsonRpcSessionFactory, JsonRpcSessionFactory>();
        services.TryAddSingleton<IHostNameResolver, OperatingSystemHostNameResolver>();
        services.TryAddSingleton<IProxyConnector, Socks5ProxyConnector>();
        services.TryAddSingleton<IPeerConnector, TcpPeerConnector>();
    }
}
