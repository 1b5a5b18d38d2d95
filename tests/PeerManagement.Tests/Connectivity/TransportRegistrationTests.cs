using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PeerManagement.Tests.Connectivity;

public class TransportRegistrationTests
{
    [Fact]
    public void AddPeerManagement_registers_the_default_transport()
    {
        using var provider = new ServiceCollection().AddLogging().AddPeerManagement().Services.BuildServiceProvider();

        provider.GetRequiredService<IJsonRpcSessionFactory>().Should().BeOfType<JsonRpcSessionFactory>();
        provider.GetRequiredService<IPeerConnector>().Should().BeOfType<TcpPeerConnector>();
        provider.GetRequiredService<IProxyConnector>().Should().BeOfType<Socks5ProxyConnector>();
        provider.GetRequiredService<IHostNameResolver>().Should().NotBeNull();
    }

    [Fact]
    public void The_defaults_can_be_replaced_through_the_builder()
    {
        using var provider = new ServiceCollection().AddLogging().AddPeerManagement()
            .UseProxyConnector<NoProxy>()
            .ConfigureConnector(o => o.ConnectTimeout = TimeSpan.FromSeconds(5))
            .Services.BuildServiceProvider();

        provider.GetRequiredService<IProxyConnector>().Should().BeOfType<NoProxy>();
        provider.GetRequiredService<IOptions<PeerConnectorOptions>>().Value.ConnectTimeout.Should().Be(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Invalid_connector_settings_stop_the_start_naming_the_setting()
    {
        using var provider = new ServiceCollection().AddLogging().AddPeerManagement()
            .ConfigureConnector(o => o.CertificatePins.Add("not-a-hash"))
            .Services.BuildServiceProvider();

        var act = () => provider.GetRequiredService<IOptions<PeerConnectorOptions>>().Value;

        act.Should().Throw<OptionsValidationException>().WithMessage("*CertificatePins='not-a-hash'*");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void The_connector_reaches_non_public_addresses_only_when_non_public_peers_are_allowed(bool allowNonPublicPeers, bool expected)
    {
        using var provider = new ServiceCollection().AddLogging().AddPeerManagement(o => o.AllowNonPublicPeers = allowNonPublicPeers)
            .Services.BuildServiceProvider();

        provider.GetRequiredService<IOptions<PeerConnectorOptions>>().Value.AllowNonPublicAddresses.Should().Be(expected);
    }

    [Fact]
    public void Allowing_non_public_peers_opens_the_connector_even_when_it_is_configured_first()
    {
        var services = new ServiceCollection().AddLogging();
        services.Configure<PeerConnectorOptions>(o => o.AllowNonPublicAddresses = false);
        using var provider = services.AddPeerManagement(o => o.AllowNonPublicPeers = true).Services.BuildServiceProvider();

        provider.GetRequiredService<IOptions<PeerConnectorOptions>>().Value.AllowNonPublicAddresses.Should().BeTrue();
    }

    private sealed class NoProxy : IProxyConnector
    {
        public System.Net.EndPoint? ProxyEndPoint => null;

        public ValueTask<System.Net.EndPoint?> DetectAsync(CancellationToken cancellationToken) => ValueTask.FromResult<System.Net.EndPoint?>(null);

        public ValueTask<Stream> ConnectAsync(PeerHost host, int port, CancellationToken cancellationToken) => throw new ProxyException("No proxy.");
    }
}
