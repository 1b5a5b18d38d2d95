using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.Tests.Integration;

/// <summary>The wiring a host needs: the manager's handler (with the host's own methods behind it) on a listener, and the real connector.</summary>
public sealed class HostWiringTests
{
    [Fact]
    public async Task A_host_serves_the_peer_methods_and_its_own_methods_through_one_listener()
    {
        var token = TestContext.Current.CancellationToken;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddPeerManagement(options =>
            {
                options.Identities.Add("127.0.0.1 t50001");
                options.AllowNonPublicPeers = true;
            })
            .UseChainView(new FakeChainView())
            .UseProxyConnector<FakeProxyConnector>(); // no SOCKS probes of the machine's ports
        using var host = builder.Build();

        var manager = host.Services.GetRequiredService<PeerManager>();
        await using var listener = new JsonRpcListener(
            new JsonRpcListenerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) },
            manager.CreateRequestHandler(next: new TipMethod(host.Services.GetRequiredService<IChainView>())),
            host.Services.GetRequiredService<IJsonRpcSessionFactory>(),
            host.Services.GetRequiredService<TimeProvider>());
        await listener.StartAsync(token);
        await host.StartAsync(token); // starts the PeerManager (a hosted service)
        try
        {
            // A client over the host's own real connector and session factory.
            var connector = host.Services.GetRequiredService<IPeerConnector>();
            connector.Should().BeOfType<TcpPeerConnector>();
            var endpoint = new PeerEndpoint(PeerHost.Parse("127.0.0.1"), listener.LocalEndPoint!.Port, PeerTransport.Tcp);
            var connection = await connector.ConnectAsync(endpoint, useProxy: false, token);
            await using var session = host.Services.GetRequiredService<IJsonRpcSessionFactory>().Create(connection.Stream, new JsonRpcSessionSettings());

            var features = await session.InvokeAsync("server.features", [], token);
            var tip = await session.InvokeAsync("blockchain.headers.subscribe", [], token);

            features.GetProperty("genesis_hash").GetString().Should().Be(FakeChainView.MainnetGenesis);
            features.GetProperty("hosts").TryGetProperty("127.0.0.1", out _).Should().BeTrue();
            tip.GetProperty("height").GetInt32().Should().Be(800_000);
        }
        finally
        {
            await host.StopAsync(token);
            await listener.StopAsync(token);
        }
    }

    private sealed class TipMethod(IChainView chain) : IJsonRpcRequestHandler
    {
        public async ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
            => call.Method == "blockchain.headers.subscribe"
                ? new JsonObject { ["height"] = await chain.GetTipHeightAsync(cancellationToken) }
                : throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, $"unknown method {call.Method}");
    }
}
