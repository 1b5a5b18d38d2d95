using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PeerManagement.Tests.Connectivity;
using PeerManagement.Tests.Rpc;

namespace PeerManagement.Tests.Proxy;

public class Socks5ProxyConnectorTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly ProxyOptions _options = new() { TorProxyHost = "127.0.0.1" };
    private TimeProvider _time = TimeProvider.System;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_a_known_proxy_connecting_is_a_proxy_error()
    {
        var proxy = Proxy();

        var act = () => proxy.ConnectAsync(PeerHost.Parse("electrum.example.org"), 50001, Token).AsTask();

        await act.Should().ThrowAsync<ProxyException>().WithMessage("*No SOCKS5 proxy*");
    }

    [Fact]
    public async Task A_host_name_is_sent_to_the_proxy_by_name()
    {
        var requests = new List<byte[]>();
        await using var server = ScriptedSocksServer.Replying(0, requests);
        var proxy = await DetectedAsync(server.Port);

        await using var tunnel = await proxy.ConnectAsync(PeerHost.Parse("Electrum.Example.org"), 50002, Token);

        var name = "electrum.example.org"u8.ToArray();
        requests.Should().ContainSingle().Which.Should().Equal([5, 1, 0, 3, (byte)name.Length, .. name, 0xC3, 0x52]);
        (await EchoAsync(tunnel, "through")).Should().Be("through");
    }

    [Fact]
    public async Task An_onion_name_is_sent_to_the_proxy_by_name()
    {
        var requests = new List<byte[]>();
        await using var server = ScriptedSocksServer.Replying(0, requests);
        var proxy = await DetectedAsync(server.Port);
        const string onion = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion";

        await using var tunnel = await proxy.ConnectAsync(PeerHost.Parse(onion), 50001, Token);

        requests.Single()[3].Should().Be(3);
        Encoding.ASCII.GetString(requests.Single(), 5, onion.Length).Should().Be(onion);
    }

    [Theory]
    [InlineData("203.0.113.7", new byte[] { 1, 203, 0, 113, 7 })]
    [InlineData("2001:db8::1", new byte[] { 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 })]
    public async Task An_IP_literal_is_sent_as_an_address(string host, byte[] expected)
    {
        var requests = new List<byte[]>();
        await using var server = ScriptedSocksServer.Replying(0, requests);
        var proxy = await DetectedAsync(server.Port);

        await using var tunnel = await proxy.ConnectAsync(PeerHost.Parse(host), 80, Token);

        requests.Single().Skip(3).SkipLast(2).Should().Equal(expected);
    }

    [Theory]
    [InlineData(1, "general SOCKS server failure")]
    [InlineData(2, "connection not allowed by ruleset")]
    [InlineData(3, "network unreachable")]
    [InlineData(4, "host unreachable")]
    [InlineData(5, "connection refused")]
    [InlineData(6, "TTL expired")]
    [InlineData(7, "command not supported")]
    [InlineData(8, "address type not supported")]
    [InlineData(9, "unassigned reply code")]
    public async Task Each_failure_reply_becomes_a_proxy_error_naming_it(byte reply, string name)
    {
        await using var server = ScriptedSocksServer.Replying(reply);
        var proxy = await DetectedAsync(server.Port);

        var act = () => proxy.ConnectAsync(PeerHost.Parse("electrum.example.org"), 50001, Token).AsTask();

        var error = (await act.Should().ThrowAsync<ProxyException>().WithMessage($"*electrum.example.org:50001*{name}*")).Which;
        error.ReplyCode.Should().Be(reply);
    }

    [Fact]
    public async Task A_proxy_that_refuses_and_closes_after_the_reply_code_is_still_named()
    {
        await using var server = ScriptedSocksServer.ConnectReplying(5, 5);
        var proxy = await DetectedAsync(server.Port);

        var act = () => proxy.ConnectAsync(PeerHost.Parse("electrum.example.org"), 50001, Token).AsTask();

        (await act.Should().ThrowAsync<ProxyException>().WithMessage("*connection refused*")).Which.ReplyCode.Should().Be(5);
    }

    [Theory]
    [InlineData(new byte[] { 5, 0, 0, 9, 0, 0 }, "unknown address type 9")]
    [InlineData(new byte[] { 4, 0x5A, 0, 0, 0, 0, 0, 0 }, "version 4")]
    [InlineData(new byte[] { 5, 0, 0 }, "closed the connection in the middle")]
    [InlineData(new byte[] { }, "closed the connection in the middle")]
    public async Task A_garbled_connect_reply_is_a_proxy_error(byte[] reply, string message)
    {
        await using var server = ScriptedSocksServer.ConnectReplying(reply);
        var proxy = await DetectedAsync(server.Port);

        var act = () => proxy.ConnectAsync(PeerHost.Parse("electrum.example.org"), 50001, Token).AsTask();

        await act.Should().ThrowAsync<ProxyException>().WithMessage($"*{message}*");
    }

    [Theory]
    [InlineData(new byte[] { 5, 0xFF }, "accepts no connection without authentication")]
    [InlineData(new byte[] { 5, 2 }, "asks for a user name and password")]
    [InlineData(new byte[] { 5, 1 }, "method 1")]
    [InlineData(new byte[] { 0x48, 0x54, 0x54, 0x50 }, "version 72")]
    [InlineData(new byte[] { 5 }, "closed the connection in the middle")]
    public async Task A_garbled_greeting_reply_is_a_proxy_error(byte[] reply, string message)
    {
        await using var server = ScriptedSocksServer.Sending(reply);
        var proxy = Proxy();
        await ForceProxyAsync(proxy, server.Port);

        var act = () => proxy.ConnectAsync(PeerHost.Parse("electrum.example.org"), 50001, Token).AsTask();

        await act.Should().ThrowAsync<ProxyException>().WithMessage($"*{message}*");
    }

    [Fact]
    public async Task User_name_and_password_are_sent_when_the_proxy_asks_for_them()
    {
        var seen = new List<string>();
        await using var server = ScriptedSocksServer.WithCredentials("alice", "s3cret", seen);
        _options.ProxyUserName = "alice";
        _options.ProxyPassword = "s3cret";
        var proxy = await DetectedAsync(server.Port);

        await using var tunnel = await proxy.ConnectAsync(PeerHost.Parse("electrum.example.org"), 50001, Token);

        seen.Should().Equal("alice:s3cret", "alice:s3cret");
        (await EchoAsync(tunnel, "authenticated")).Should().Be("authenticated");
    }

    [Fact]
    public async Task A_wrong_password_is_a_clear_authentication_error()
    {
        await using var server = ScriptedSocksServer.WithCredentials("alice", "s3cret");
        _options.ProxyUserName = "alice";
        _options.ProxyPassword = "wrong";
        var proxy = Proxy();
        await ForceProxyAsync(proxy, server.Port);

        var act = () => proxy.ConnectAsync(PeerHost.Parse("electrum.example.org"), 50001, Token).AsTask();

        await act.Should().ThrowAsync<ProxyException>().WithMessage("*refused the user name and password*");
    }

    [Fact]
    public async Task Detection_finds_a_proxy_that_answers_the_SOCKS5_greeting()
    {
        await using var server = ScriptedSocksServer.Replying(0);
        _options.TorProxyPort = server.Port;
        var proxy = Proxy();

        var found = await proxy.DetectAsync(Token);

        found.Should().Be(new IPEndPoint(IPAddress.Loopback, server.Port));
        proxy.ProxyEndPoint.Should().Be(found);
        (await proxy.DetectAsync(Token)).Should().BeSameAs(found, "a known proxy is returned at once");
    }

    [Fact]
    public async Task An_open_port_that_echoes_is_not_a_proxy()
    {
        await using var echo = new LoopbackServer();
        _options.TorProxyPort = echo.Port;
        var proxy = Proxy();

        (await proxy.DetectAsync(Token)).Should().BeNull();
        proxy.ProxyEndPoint.Should().BeNull();
    }

    [Fact]
    public async Task An_open_port_that_stays_silent_is_not_a_proxy_once_the_probe_times_out()
    {
        var time = new FakeTimeProvider();
        _time = time;
        await using var silent = new LoopbackServer(script: LoopbackServer.SilentAsync);
        _options.TorProxyPort = silent.Port;
        var proxy = Proxy();

        var detect = proxy.DetectAsync(Token).AsTask();
        await silent.FirstAccepted.Task.WaitAsync(Bound, Token);
        time.Advance(_options.ProbeTimeout);

        (await detect.WaitAsync(Bound, Token)).Should().BeNull();
    }

    [Fact]
    public async Task Each_detection_probes_once_and_the_connector_never_looks_again_by_itself()
    {
        // Looking again is the manager's (ProxyWatcher); a connector with its own timer would probe twice per interval.
        var time = new FakeTimeProvider();
        _time = time;
        await using var refusing = ScriptedSocksServer.Sending(5, 0xFF);
        _options.TorProxyPort = refusing.Port;
        var proxy = Proxy();

        (await proxy.DetectAsync(Token)).Should().BeNull();
        time.Advance(_options.ProxyRetryInterval);
        (await proxy.DetectAsync(Token)).Should().BeNull();

        refusing.Clients.Should().HaveCount(2, "one probe per call, none between calls");
    }

    [Fact]
    public void Without_a_configured_port_the_Tor_and_SOCKS_default_ports_are_probed_in_order()
        => Socks5ProxyConnector.DefaultPorts.Should().Equal(9050, 9150, 1080);

    [Fact]
    public async Task Microsocks_tunnels_to_a_loopback_JSON_RPC_server_by_IP()
    {
        await using var socks = await Microsocks.StartAsync();
        await using var server = JsonRpcServer(IPAddress.Loopback);
        var proxy = await DetectedAsync(socks.Port);

        await using var tunnel = await proxy.ConnectAsync(PeerHost.Parse("127.0.0.1"), server.Port, Token);
        await using var session = Sessions().Create(tunnel, new JsonRpcSessionSettings());

        (await session.InvokeAsync("add", [20, 22], Token).WaitAsync(Bound, Token)).GetInt32().Should().Be(42);
    }

    [Fact]
    public async Task Microsocks_tunnels_to_a_loopback_JSON_RPC_server_by_name()
    {
        var (name, address) = LoopbackName();
        await using var socks = await Microsocks.StartAsync();
        await using var server = JsonRpcServer(address);
        var proxy = await DetectedAsync(socks.Port);

        await using var tunnel = await proxy.ConnectAsync(PeerHost.Parse(name), server.Port, Token);
        await using var session = Sessions().Create(tunnel, new JsonRpcSessionSettings());

        (await session.InvokeAsync("add", [1, 2], Token).WaitAsync(Bound, Token)).GetInt32().Should().Be(3);
    }

    [Fact]
    public async Task Microsocks_with_a_password_accepts_the_right_one()
    {
        await using var socks = await Microsocks.StartAsync("peer", "manager");
        await using var server = new LoopbackServer();
        _options.ProxyUserName = "peer";
        _options.ProxyPassword = "manager";
        var proxy = await DetectedAsync(socks.Port);

        await using var tunnel = await proxy.ConnectAsync(PeerHost.Parse("127.0.0.1"), server.Port, Token);

        (await EchoAsync(tunnel, "ok")).Should().Be("ok");
    }

    [Fact]
    public async Task Microsocks_with_a_password_refuses_a_wrong_one_with_a_clear_error()
    {
        await using var socks = await Microsocks.StartAsync("peer", "manager");
        _options.ProxyUserName = "peer";
        _options.ProxyPassword = "wrong";
        var proxy = Proxy();
        await ForceProxyAsync(proxy, socks.Port);

        var act = () => proxy.ConnectAsync(PeerHost.Parse("127.0.0.1"), 1, Token).AsTask();

        await act.Should().ThrowAsync<ProxyException>().WithMessage("*refused the user name and password*");
    }

    [Fact]
    public async Task Microsocks_reports_a_refused_destination()
    {
        await using var socks = await Microsocks.StartAsync();
        var proxy = await DetectedAsync(socks.Port);

        var act = () => proxy.ConnectAsync(PeerHost.Parse("127.0.0.1"), Microsocks.FreePort(), Token).AsTask();

        (await act.Should().ThrowAsync<ProxyException>()).Which.ReplyCode.Should().NotBeNull();
    }

    [Fact]
    public async Task Detection_finds_microsocks_and_rejects_an_echo_server()
    {
        await using var socks = await Microsocks.StartAsync();
        await using var echo = new LoopbackServer();

        _options.TorProxyPort = echo.Port;
        var rejecting = Proxy();
        (await rejecting.DetectAsync(Token)).Should().BeNull();

        _options.TorProxyPort = socks.Port;
        var finding = Proxy();
        (await finding.DetectAsync(Token)).Should().Be(new IPEndPoint(IPAddress.Loopback, socks.Port));
    }

    private static JsonRpcSessionFactory Sessions()
        => new(Options.Create(new JsonRpcOptions()), TimeProvider.System, NullLogger<JsonRpcSessionFactory>.Instance);

    /// <summary>A loopback server that runs a JSON-RPC session per connection.</summary>
    private static LoopbackServer JsonRpcServer(IPAddress address)
        => new(address, async (stream, ct) =>
        {
            await using var session = Sessions().Create(stream, new JsonRpcSessionSettings { RequestHandler = DelegateHandler.Echo() });
            await session.Completion.WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        });

    /// <summary>A valid peer host name that resolves to a loopback address here (from /etc/hosts).</summary>
    private static (string Name, IPAddress Address) LoopbackName()
    {
        if (File.Exists("/etc/hosts"))
        {
            foreach (var line in File.ReadLines("/etc/hosts"))
            {
                var fields = line.Split('#')[0].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 2 || !IPAddress.TryParse(fields[0], out var address) || !IPAddress.IsLoopback(address))
                {
                    continue;
                }

                foreach (var name in fields.Skip(1))
                {
                    if (PeerHost.TryParse(name, out var host) && host.Kind == HostKind.DnsName)
                    {
                        return (name, address);
                    }
                }
            }
        }

        Assert.Skip("No host name other than localhost maps to a loopback address in /etc/hosts; the by-name tunnel test needs one.");
        throw new InvalidOperationException();
    }

    private async Task<Socks5ProxyConnector> DetectedAsync(int port)
    {
        var proxy = Proxy();
        await ForceProxyAsync(proxy, port);
        return proxy;
    }

    /// <summary>Makes the connector know a proxy on the port, whether or not it would pass the probe.</summary>
    private async Task ForceProxyAsync(Socks5ProxyConnector proxy, int port)
    {
        _options.TorProxyPort = port;
        if (await proxy.DetectAsync(Token) is null)
        {
            proxy.SetProxy(new IPEndPoint(IPAddress.Loopback, port));
        }
    }

    private Socks5ProxyConnector Proxy() => new(Options.Create(_options), _time, NullLogger<Socks5ProxyConnector>.Instance);

    private static async Task<string> EchoAsync(Stream stream, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await stream.WriteAsync(bytes, Token);
        var buffer = new byte[bytes.Length];
        await stream.ReadExactlyAsync(buffer, Token).AsTask().WaitAsync(Bound, Token);
        return Encoding.UTF8.GetString(buffer);
    }
}
