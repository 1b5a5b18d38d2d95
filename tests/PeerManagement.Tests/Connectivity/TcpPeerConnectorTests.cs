using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.Tests.Connectivity;

public class TcpPeerConnectorTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    // The loopback servers of these tests are non-public; the tests about that rule turn it back off.
    private readonly PeerConnectorOptions _options = new() { AllowNonPublicAddresses = true };
    private TimeProvider _time = TimeProvider.System;
    private IHostNameResolver _resolver = new FakeResolver();
    private IProxyConnector _proxy = FakeProxy.Unknown();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Connects_over_TCP_to_an_IPv4_literal_and_reports_the_address()
    {
        await using var server = new LoopbackServer();

        await using var connection = await Connector().ConnectAsync(Endpoint("127.0.0.1", server.Port), useProxy: false, Token);

        connection.RemoteAddress.Should().Be(IPAddress.Loopback);
        connection.ViaProxy.Should().BeFalse();
        (await EchoAsync(connection.Stream, "hello")).Should().Be("hello");
    }

    [Fact]
    public async Task Connects_over_TCP_to_an_IPv6_literal()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Skip("IPv6 is not available on this machine.");
        }

        LoopbackServer server;
        try
        {
            server = new LoopbackServer(IPAddress.IPv6Loopback);
        }
        catch (SocketException ex)
        {
            Assert.Skip($"::1 cannot be bound on this machine: {ex.Message}");
            throw;
        }

        await using (server)
        {
            await using var connection = await Connector().ConnectAsync(Endpoint("::1", server.Port), useProxy: false, Token);

            connection.RemoteAddress.Should().Be(IPAddress.IPv6Loopback);
            (await EchoAsync(connection.Stream, "six")).Should().Be("six");
        }
    }

    [Fact]
    public async Task A_host_name_is_resolved_and_its_IPv4_addresses_are_tried_before_IPv6()
    {
        await using var server = new LoopbackServer();
        var resolver = new FakeResolver(IPAddress.IPv6Loopback, IPAddress.Loopback);
        _resolver = resolver;

        await using var connection = await Connector().ConnectAsync(Endpoint("electrum.example.org", server.Port), useProxy: false, Token);

        resolver.Asked.Should().Equal("electrum.example.org");
        connection.RemoteAddress.Should().Be(IPAddress.Loopback);
    }

    [Fact]
    public async Task The_next_address_is_tried_when_one_refuses()
    {
        await using var server = new LoopbackServer();
        _resolver = new FakeResolver(IPAddress.Parse("127.0.0.2"), IPAddress.Loopback);

        await using var connection = await Connector().ConnectAsync(Endpoint("electrum.example.org", server.Port), useProxy: false, Token);

        connection.RemoteAddress.Should().Be(IPAddress.Loopback);
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_is_a_connection_error()
    {
        var act = () => Connector().ConnectAsync(Endpoint("nowhere.example.org", 50001), useProxy: false, Token).AsTask();

        await act.Should().ThrowAsync<PeerConnectionException>().WithMessage("*does not resolve*");
    }

    [Fact]
    public async Task A_refused_connection_is_a_connection_error_naming_the_endpoint()
    {
        var port = FreePort();

        var act = () => Connector().ConnectAsync(Endpoint("127.0.0.1", port), useProxy: false, Token).AsTask();

        (await act.Should().ThrowAsync<PeerConnectionException>().WithMessage($"*127.0.0.1:{port}*"))
            .Which.InnerException.Should().BeOfType<SocketException>();
    }

    [Fact]
    public async Task Connections_are_made_from_the_configured_local_address()
    {
        await using var server = new LoopbackServer();
        _options.LocalAddress = "127.0.0.1";

        await using var connection = await Connector().ConnectAsync(Endpoint("127.0.0.1", server.Port), useProxy: false, Token);
        await EchoAsync(connection.Stream, "x");

        server.Clients.Should().ContainSingle().Which.Address.Should().Be(IPAddress.Loopback);
    }

    [Fact]
    public async Task A_peer_of_another_address_family_than_the_local_address_cannot_be_reached_directly()
    {
        _options.LocalAddress = "::1";

        var act = () => Connector().ConnectAsync(Endpoint("127.0.0.1", 50001), useProxy: false, Token).AsTask();

        await act.Should().ThrowAsync<PeerConnectionException>().WithMessage("*address family*");
    }

    [Fact]
    public async Task TLS_accepts_a_self_signed_certificate_by_default()
    {
        using var certificate = TestCertificates.Create();
        await using var server = new LoopbackServer(certificate: certificate);

        await using var connection = await Connector().ConnectAsync(Endpoint("127.0.0.1", server.Port, PeerTransport.Ssl), useProxy: false, Token);

        connection.Stream.Should().BeOfType<System.Net.Security.SslStream>();
        (await EchoAsync(connection.Stream, "secret")).Should().Be("secret");
    }

    [Fact]
    public async Task A_TLS_connection_reports_the_public_key_the_peer_presented_and_plain_TCP_none()
    {
        using var certificate = TestCertificates.Create();
        await using var tls = new LoopbackServer(certificate: certificate);
        await using var plain = new LoopbackServer();

        await using var overTls = await Connector().ConnectAsync(Endpoint("127.0.0.1", tls.Port, PeerTransport.Ssl), useProxy: false, Token);
        await using var overTcp = await Connector().ConnectAsync(Endpoint("127.0.0.1", plain.Port, PeerTransport.Tcp), useProxy: false, Token);

        overTls.ServerKey.Should().Be(CertificatePins.GetPublicKeySha256(certificate));
        overTcp.ServerKey.Should().BeNull();
    }

    [Fact]
    public async Task TLS_with_a_pin_accepts_the_pinned_certificate()
    {
        using var certificate = TestCertificates.Create();
        await using var server = new LoopbackServer(certificate: certificate);
        _options.CertificatePins.Add(CertificatePins.GetCertificateSha256(certificate).ToLowerInvariant());

        await using var connection = await Connector().ConnectAsync(Endpoint("127.0.0.1", server.Port, PeerTransport.Ssl), useProxy: false, Token);

        (await EchoAsync(connection.Stream, "ok")).Should().Be("ok");
    }

    [Fact]
    public async Task TLS_with_a_public_key_pin_accepts_a_certificate_with_that_key()
    {
        using var certificate = TestCertificates.Create();
        await using var server = new LoopbackServer(certificate: certificate);
        var spki = CertificatePins.GetPublicKeySha256(certificate);
        _options.HostCertificatePins["127.0.0.1"] = string.Join(':', spki.Chunk(2).Select(c => new string(c)));

        await using var connection = await Connector().ConnectAsync(Endpoint("127.0.0.1", server.Port, PeerTransport.Ssl), useProxy: false, Token);

        (await EchoAsync(connection.Stream, "ok")).Should().Be("ok");
    }

    [Fact]
    public async Task TLS_with_a_pin_rejects_another_certificate()
    {
        using var certificate = TestCertificates.Create();
        using var other = TestCertificates.Create();
        await using var server = new LoopbackServer(certificate: certificate);
        _options.CertificatePins.Add(CertificatePins.GetCertificateSha256(other));

        var act = () => Connector().ConnectAsync(Endpoint("127.0.0.1", server.Port, PeerTransport.Ssl), useProxy: false, Token).AsTask();

        await act.Should().ThrowAsync<PeerConnectionException>()
            .WithMessage($"*{CertificatePins.GetCertificateSha256(certificate)}*matches none of its pins*");
    }

    [Fact]
    public async Task A_host_pin_wins_over_the_global_pins()
    {
        using var certificate = TestCertificates.Create();
        using var other = TestCertificates.Create();
        await using var server = new LoopbackServer(certificate: certificate);
        _options.CertificatePins.Add(CertificatePins.GetCertificateSha256(certificate));
        _options.HostCertificatePins["127.0.0.1"] = CertificatePins.GetCertificateSha256(other);

        var act = () => Connector().ConnectAsync(Endpoint("127.0.0.1", server.Port, PeerTransport.Ssl), useProxy: false, Token).AsTask();

        await act.Should().ThrowAsync<PeerConnectionException>().WithMessage("*pins*");
    }

    [Fact]
    public async Task A_server_that_never_starts_TLS_is_cut_off_by_the_connect_timeout()
    {
        var time = new FakeTimeProvider();
        _time = time;
        await using var server = new LoopbackServer(script: LoopbackServer.SilentAsync);

        var connect = Connector().ConnectAsync(Endpoint("127.0.0.1", server.Port, PeerTransport.Ssl), useProxy: false, Token).AsTask();
        await server.FirstAccepted.Task.WaitAsync(Bound, Token);
        time.Advance(_options.ConnectTimeout);

        (await connect.Awaiting(t => t.WaitAsync(Bound, Token)).Should().ThrowAsync<PeerConnectionException>().WithMessage("*timed out after 30 s*"))
            .Which.InnerException.Should().BeOfType<TimeoutException>();
    }

    [Fact]
    public async Task Cancelling_is_a_cancellation_not_a_connection_error()
    {
        var time = new FakeTimeProvider();
        _time = time;
        await using var server = new LoopbackServer(script: LoopbackServer.SilentAsync);
        using var cts = new CancellationTokenSource();

        var connect = Connector().ConnectAsync(Endpoint("127.0.0.1", server.Port, PeerTransport.Ssl), useProxy: false, cts.Token).AsTask();
        await server.FirstAccepted.Task.WaitAsync(Bound, Token);
        await cts.CancelAsync();

        await connect.Awaiting(t => t.WaitAsync(Bound, Token)).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task An_onion_peer_is_never_reached_directly()
    {
        var act = () => Connector().ConnectAsync(Endpoint("abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion", 50001), useProxy: false, Token).AsTask();

        await act.Should().ThrowAsync<PeerConnectionException>().WithMessage("*onion*proxy*");
    }

    [Fact]
    public async Task Through_the_proxy_the_tunnel_is_used_and_no_address_is_recorded()
    {
        await using var server = new LoopbackServer();
        var asked = new List<(PeerHost, int)>();
        _proxy = new FakeProxy(async (host, port, ct) =>
        {
            asked.Add((host, port));
            var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, server.Port, ct);
            return client.GetStream();
        });

        await using var connection = await Connector().ConnectAsync(Endpoint("electrum.example.org", 50001), useProxy: true, Token);

        asked.Should().Equal((PeerHost.Parse("electrum.example.org"), 50001));
        connection.ViaProxy.Should().BeTrue();
        connection.RemoteAddress.Should().BeNull();
        (await EchoAsync(connection.Stream, "tor")).Should().Be("tor");
    }

    [Fact]
    public async Task TLS_runs_inside_the_proxy_tunnel()
    {
        using var certificate = TestCertificates.Create();
        await using var server = new LoopbackServer(certificate: certificate);
        _proxy = new FakeProxy(async (_, _, ct) =>
        {
            var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, server.Port, ct);
            return client.GetStream();
        });

        await using var connection = await Connector().ConnectAsync(Endpoint("abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion", 50002, PeerTransport.Ssl), useProxy: true, Token);

        (await EchoAsync(connection.Stream, "onion")).Should().Be("onion");
    }

    [Fact]
    public async Task A_proxy_failure_is_a_connection_error_with_the_proxy_error_inside()
    {
        var act = () => Connector().ConnectAsync(Endpoint("electrum.example.org", 50001), useProxy: true, Token).AsTask();

        (await act.Should().ThrowAsync<PeerConnectionException>()).Which.InnerException.Should().BeOfType<ProxyException>();
    }

    [Fact]
    public async Task A_public_looking_name_that_resolves_to_loopback_is_not_connected_to()
    {
        await using var server = new LoopbackServer();
        _options.AllowNonPublicAddresses = false;
        _resolver = new FakeResolver(IPAddress.Loopback);

        var act = () => Connector().ConnectAsync(Endpoint("electrum.example.org", server.Port), useProxy: false, Token).AsTask();

        await act.Should().ThrowAsync<PeerConnectionException>()
            .WithMessage("*electrum.example.org resolves only to non-public addresses: 127.0.0.1;*not allowed*");
        server.Clients.Should().BeEmpty();
    }

    [Fact]
    public async Task An_IPv4_mapped_answer_is_judged_as_the_IPv4_address_it_is()
    {
        await using var server = new LoopbackServer();
        _options.AllowNonPublicAddresses = false;
        _resolver = new FakeResolver(IPAddress.Loopback.MapToIPv6());

        var act = () => Connector().ConnectAsync(Endpoint("electrum.example.org", server.Port), useProxy: false, Token).AsTask();

        await act.Should().ThrowAsync<PeerConnectionException>().WithMessage("*resolves only to non-public addresses: 127.0.0.1;*");
        server.Clients.Should().BeEmpty();
    }

    [Fact]
    public async Task With_non_public_addresses_allowed_a_name_that_resolves_to_loopback_is_connected_to()
    {
        await using var server = new LoopbackServer();
        _resolver = new FakeResolver(IPAddress.Loopback);

        await using var connection = await Connector().ConnectAsync(Endpoint("electrum.example.org", server.Port), useProxy: false, Token);

        (await EchoAsync(connection.Stream, "lab")).Should().Be("lab");
        server.Clients.Should().ContainSingle();
    }

    [Fact]
    public async Task An_unspecified_address_is_never_connected_to_even_with_non_public_addresses_allowed()
    {
        // On Linux a connect to 0.0.0.0 reaches the machine itself.
        await using var server = new LoopbackServer();
        _resolver = new FakeResolver(IPAddress.Any);

        var act = () => Connector().ConnectAsync(Endpoint("electrum.example.org", server.Port), useProxy: false, Token).AsTask();

        await act.Should().ThrowAsync<PeerConnectionException>().WithMessage("*resolves only to addresses that cannot be peers*0.0.0.0*");
        server.Clients.Should().BeEmpty();
    }

    [Fact]
    public async Task Addresses_that_cannot_be_peers_are_skipped_and_the_others_tried()
    {
        await using var server = new LoopbackServer();
        _resolver = new FakeResolver(IPAddress.Any, IPAddress.Parse("224.0.0.1"), IPAddress.Loopback);

        await using var connection = await Connector().ConnectAsync(Endpoint("electrum.example.org", server.Port), useProxy: false, Token);

        connection.RemoteAddress.Should().Be(IPAddress.Loopback);
        (await EchoAsync(connection.Stream, "x")).Should().Be("x");
        server.Clients.Should().ContainSingle();
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("intranet", false)]
    [InlineData("127.0.0.1", true)]
    public async Task A_non_public_endpoint_is_refused_without_resolving_or_connecting(string host, bool useProxy)
    {
        await using var server = new LoopbackServer();
        _options.AllowNonPublicAddresses = false;
        var resolver = new FakeResolver(IPAddress.Loopback);
        _resolver = resolver;
        var proxyAsked = false;
        _proxy = new FakeProxy((_, _, _) =>
        {
            proxyAsked = true;
            throw new ProxyException("The proxy was asked.");
        });

        var act = () => Connector().ConnectAsync(Endpoint(host, server.Port), useProxy, Token).AsTask();

        await act.Should().ThrowAsync<PeerConnectionException>().WithMessage($"*is refused: {host} is *not*public*non-public peers are not allowed*");
        resolver.Asked.Should().BeEmpty();
        proxyAsked.Should().BeFalse();
        server.Clients.Should().BeEmpty();
    }

    [Fact]
    public void Non_public_addresses_are_refused_by_default()
    {
        new PeerConnectorOptions().AllowNonPublicAddresses.Should().BeFalse();
    }

    [Theory]
    [InlineData("not-an-ip", null, "LocalAddress='not-an-ip'")]
    [InlineData(null, "abc", "CertificatePins='abc'")]
    public void Invalid_settings_are_reported_by_name(string? localAddress, string? pin, string message)
    {
        var options = new PeerConnectorOptions { LocalAddress = localAddress };
        if (pin is not null)
        {
            options.CertificatePins.Add(pin);
        }

        var result = new PeerConnectorOptionsValidator().Validate(null, options);

        result.Failed.Should().BeTrue();
        result.FailureMessage.Should().Contain(message);
    }

    private static PeerEndpoint Endpoint(string host, int port, PeerTransport transport = PeerTransport.Tcp)
        => new(PeerHost.Parse(host), port, transport);

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task<string> EchoAsync(Stream stream, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await stream.WriteAsync(bytes, Token);
        await stream.FlushAsync(Token);
        var buffer = new byte[bytes.Length];
        await stream.ReadExactlyAsync(buffer, Token).AsTask().WaitAsync(Bound, Token);
        return Encoding.UTF8.GetString(buffer);
    }

    private TcpPeerConnector Connector() => new(Options.Create(_options), _resolver, _proxy, _time);
}
