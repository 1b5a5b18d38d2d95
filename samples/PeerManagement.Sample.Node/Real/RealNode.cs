using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using PeerManagement.AspNetCore;
using PeerManagement.Redis;
using PeerManagement.Sample.Node.Chain;

namespace PeerManagement.Sample.Node.Real;

/// <summary>
/// One node that joins a network: the Generic Host (environment variables, console logging),
/// <c>AddPeerManagement</c> with the file store, a TCP listener with rate limiting when <c>--listen</c> is given,
/// and one plain line per peer status change until Ctrl+C.
/// </summary>
public static class RealNode
{
    private const string LabNetworkName = "sample-lab";

    /// <summary>Runs the node until <paramref name="cancellationToken"/> fires; the store is saved at stop.</summary>
    /// <param name="settings">The node's settings.</param>
    /// <param name="output">Where status lines go.</param>
    /// <param name="cancellationToken">Stops the node.</param>
    /// <returns>The exit code (0).</returns>
    public static async Task<int> RunAsync(RealNodeSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        var (genesis, ports) = settings.Network switch
        {
            "bitcoin" => ("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f", DefaultPorts.BitcoinMainnet),
            "testnet" => ("000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943", DefaultPorts.BitcoinTestnet),
            _ => (string.Empty, DefaultPorts.BitcoinMainnet),
        };
        var isLab = settings.Network == "lab";
        // A taken port is the operator's mistake, not a crash: say which one, before anything starts.
        ThrowIfTaken("--http", settings.Http);
        ThrowIfTaken("--listen", settings.Listen is { Port: not 0 } fixedPort ? fixedPort : null);
        if (settings.Listen is { Port: 0 } anyPort)
        {
            // Our identity names the port, so it is chosen before the host is built.
            settings = settings with { Listen = new IPEndPoint(anyPort.Address, FreePort(anyPort.Address)) };
        }

        // With --http the node is a web application (the admin endpoints of PeerManagement.AspNetCore); otherwise a
        // plain generic host.
        IHostApplicationBuilder builder = settings.Http is { } http ? CreateWebBuilder(http) : Host.CreateApplicationBuilder();
        // Defaults below every other source, so `Logging__LogLevel__...` environment variables still win: the library's
        // lines (peers accepted, checks failed, add_peer refused) at Information, the framework's request chatter not.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:PeerManagement"] = "Information",
            },
        });
        var peers = builder.Services.AddPeerManagement(options =>
            {
                options.DefaultTcpPort = ports.Tcp;
                options.DefaultSslPort = ports.Ssl;
                foreach (var seed in settings.Seeds)
                {
                    options.SeedPeers.Add(seed);
                }

                if (settings.Listen is { } listen)
                {
                    options.Identities.Add($"{settings.PublicHost ?? listen.Address.ToString()} {(settings.ListenTls ? 's' : 't')}{listen.Port}");
                }

                options.AllowNonPublicPeers = settings.AllowPrivate;
                if (isLab)
                {
                    options.AllowNonPublicPeers = true;
                    options.Wakeup = TimeSpan.FromSeconds(1);
                    options.StaleAfter = TimeSpan.FromSeconds(10);
                }
            })
            .UseFileStore(Path.Combine(settings.DataDirectory, "peers.json"));
        if (settings.Redis is { } redis)
        {
            peers.UseRedis(redis, o => o.KeyPrefix = "sample-" + settings.Network);
        }
        if (settings.Proxy is { } proxy)
        {
            peers.ConfigureProxy(o =>
            {
                o.TorProxyHost = proxy.Host;
                o.TorProxyPort = proxy.Port;
            });
        }

        if (settings.Listen is { } local && isLab)
        {
            peers.ConfigureConnector(o => o.LocalAddress = local.Address.ToString());
        }

        if (isLab)
        {
            peers.UseChainView(new SyntheticChain(LabNetworkName, 1000));
        }
        else
        {
            var server = settings.ChainServer ?? settings.Seeds.FirstOrDefault()
                ?? throw new FormatException("--seed (or --chain-server) is needed: the node reads the chain from a server it trusts.");
            var name = PeerRealName.Parse(server, ports);
            var endpoint = name.Ports.TcpPort is { } tcp
                ? new PeerEndpoint(name.Host, tcp, PeerTransport.Tcp)
                : new PeerEndpoint(name.Host, name.Ports.SslPort ?? ports.Ssl, PeerTransport.Ssl);
            builder.Services.AddSingleton<IChainView>(sp => new TrustedServerChainView(
                genesis, endpoint, TrustedServerConnector(sp), sp.GetRequiredService<IJsonRpcSessionFactory>()));
        }

        using var host = builder is WebApplicationBuilder web ? BuildWebApplication(web) : ((HostApplicationBuilder)builder).Build();
        InvalidSettingsException.ThrowIfAny(host.Services);
        var manager = host.Services.GetRequiredService<PeerManager>();
        manager.StatusChanged += (_, change) =>
        {
            var from = change.OldStatus?.ToString().ToLowerInvariant() ?? "new";
            var to = change.NewStatus?.ToString().ToLowerInvariant() ?? "forgotten";
            var reason = change.Reason is null ? string.Empty : $" ({change.Reason})";
            Write(output, $"{change.Time:HH:mm:ss} {change.Host.Value} {from}→{to}{reason}");
        };

        JsonRpcListener? listener = null;
        if (settings.Listen is { } endPoint)
        {
            var handler = manager.CreateRequestHandler(new ChainRequestHandler(host.Services.GetRequiredService<IChainView>()))
                .WithRateLimiting(host.Services);
            listener = new JsonRpcListener(
                new JsonRpcListenerOptions
                {
                    EndPoint = endPoint,
                    Certificate = settings.ListenTls ? SelfSignedCertificate(settings.PublicHost ?? endPoint.Address.ToString()) : null,
                },
                handler,
                host.Services.GetRequiredService<IJsonRpcSessionFactory>(),
                host.Services.GetRequiredService<TimeProvider>(),
                host.Services.GetRequiredService<ILogger<JsonRpcListener>>());
            // Banned addresses are refused, and a kick or a ban closes their sessions.
            manager.GuardListener(listener);
            await listener.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            var admin = settings.Http is null ? string.Empty : $", admin endpoints on http://{settings.Http}/peers, the console on http://{settings.Http}/peers/ui, metrics on http://{settings.Http}/metrics";
            Write(output, $"Joined {settings.Network}{(listener is null ? string.Empty : $", listening on {listener.LocalEndPoint}")}{admin}; Ctrl+C stops.");
            // Until Ctrl+C, or until the host is asked to stop (its console lifetime does so on SIGTERM).
            using var running = CancellationTokenSource.CreateLinkedTokenSource(
                cancellationToken, host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
            try
            {
                await Task.Delay(Timeout.Infinite, running.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }

            var info = manager.GetInfo();
            Write(output, $"Stopping: good {info.Good}, stale {info.Stale}, never {info.Never}, bad {info.Bad}.");
        }
        finally
        {
            if (listener is not null)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }

            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return 0;
    }

    // Electrum servers are mostly self-signed and peers do not validate certificates (they may pin them), so a
    // fresh self-signed certificate per run is enough for the sample.
    /// <summary>
    /// The operator names the chain server, so it may be on the local network (one's own server on 127.0.0.1);
    /// peers learned from strangers still meet the public-address rule of the shared connector.
    /// </summary>
    private static TcpPeerConnector TrustedServerConnector(IServiceProvider services) => new(
        Microsoft.Extensions.Options.Options.Create(new PeerConnectorOptions { AllowNonPublicAddresses = true }),
        services.GetRequiredService<IHostNameResolver>(),
        services.GetRequiredService<IProxyConnector>(),
        services.GetRequiredService<TimeProvider>(),
        services.GetService<ILogger<TcpPeerConnector>>());

    private static void ThrowIfTaken(string option, IPEndPoint? endPoint)
    {
        if (endPoint is null)
        {
            return;
        }

        try
        {
            using var probe = new System.Net.Sockets.Socket(endPoint.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            probe.Bind(endPoint);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new InvalidSettingsException([$"{option} {endPoint}: {ex.Message}."]);
        }
    }

    private static int FreePort(IPAddress address)
    {
        using var probe = new System.Net.Sockets.Socket(address.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static X509Certificate2 SelfSignedCertificate(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }

    private static WebApplicationBuilder CreateWebBuilder(IPEndPoint http)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(http));
        builder.Services.AddPeerManagementRateLimiting();

        // /metrics in Prometheus format: the library's meter (peer counts, checks, rate-limit decisions).
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(PeerManagementDiagnostics.MeterName)
            .AddPrometheusExporter());

        // Kick and ban from the console only when the console is on loopback: whoever reaches it is on this
        // machine. A real host puts these behind its own authentication instead (docs/console.md).
        if (IPAddress.IsLoopback(http.Address))
        {
            builder.Services.AddAuthorization(o => o.AddPolicy(LocalOperatorPolicy, p => p.RequireAssertion(
                c => c.Resource is HttpContext context && context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote))));
            builder.Services.ConfigurePeerManagementConsole(o =>
            {
                o.EnableOperatorActions = true;
                o.OperatorPolicy = LocalOperatorPolicy;
            });
        }

        return builder;
    }

    private const string LocalOperatorPolicy = "local-operator";

    private static WebApplication BuildWebApplication(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        app.UsePeerManagement();
        app.MapPeerManagementEndpoints("/peers");
        app.MapPeerManagementDashboard("/peers/ui");
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    private static void Write(TextWriter output, string line)
    {
        // Status changes arrive from the manager's checks, on any thread.
        lock (output)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
