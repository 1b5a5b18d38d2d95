using PeerManagement.TestUtilities.Time;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PeerManagement.Tests.Connectivity;

namespace PeerManagement.Tests.Rpc;

public partial class JsonRpcListenerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly JsonRpcOptions _rpcOptions = new();
    private TimeProvider _time = TimeProvider.System;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>Answers <c>whoami</c> with the remote address the session reports.</summary>
    private static DelegateHandler WhoAmI() => new(call => call.Method switch
    {
        "whoami" => call.Session.RemoteEndPoint?.ToString(),
        "add" => call.Parameters[0].GetInt32() + call.Parameters[1].GetInt32(),
        "big" => new string('x', 1024 * 1024),
        _ => throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, "Method not found"),
    });

    [Fact]
    public async Task Two_hundred_concurrent_sessions_each_see_their_own_remote_address()
    {
        // All from 127.0.0.1: the per-address and per-network caps are raised for this test.
        await using var listener = await StartAsync(new JsonRpcListenerOptions { MaxSessionsPerAddress = 200, MaxSessionsPerNetwork = 200 });

        var clients = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
        {
            var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
            await client.ConnectAsync(listener.LocalEndPoint!, Token);
            var session = Sessions().Create(client.GetStream(), new JsonRpcSessionSettings());
            return (Local: client.Client.LocalEndPoint!.ToString(), Session: session);
        })).WaitAsync(Bound, Token);
        try
        {
            var answers = await Task.WhenAll(clients.Select(c => c.Session.InvokeAsync("whoami", [], Token))).WaitAsync(Bound, Token);

            answers.Select(a => a.GetString()).Should().Equal(clients.Select(c => c.Local));
            listener.SessionCount.Should().Be(200);
        }
        finally
        {
            foreach (var (_, session) in clients)
            {
                await session.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_TLS_listener_serves_a_client_of_the_connector()
    {
        using var certificate = TestCertificates.Create();
        await using var listener = await StartAsync(new JsonRpcListenerOptions { Certificate = certificate });
        listener.Transport.Should().Be(PeerTransport.Ssl);
        var connectorOptions = new PeerConnectorOptions { AllowNonPublicAddresses = true }; // the listener is on loopback
        connectorOptions.CertificatePins.Add(CertificatePins.GetCertificateSha256(certificate));
        var connector = new TcpPeerConnector(Options.Create(connectorOptions), new FakeResolver(), FakeProxy.Unknown(), TimeProvider.System);

        await using var connection = await connector.ConnectAsync(new PeerEndpoint(PeerHost.Parse("127.0.0.1"), listener.LocalEndPoint!.Port, PeerTransport.Ssl), false, Token);
        await using var session = Sessions().Create(connection.Stream, new JsonRpcSessionSettings());

        (await session.InvokeAsync("add", [40, 2], Token).WaitAsync(Bound, Token)).GetInt32().Should().Be(42);
    }

    [Fact]
    public async Task A_listener_on_IPv6_loopback_serves_IPv6_clients()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Skip("IPv6 is not available on this machine.");
        }

        JsonRpcListener listener;
        try
        {
            listener = await StartAsync(new JsonRpcListenerOptions { EndPoint = new IPEndPoint(IPAddress.IPv6Loopback, 0) });
        }
        catch (SocketException ex)
        {
            Assert.Skip($"::1 cannot be bound on this machine: {ex.Message}");
            throw;
        }

        await using (listener)
        {
            using var client = new TcpClient(AddressFamily.InterNetworkV6);
            await client.ConnectAsync(listener.LocalEndPoint!, Token);
            await using var session = Sessions().Create(client.GetStream(), new JsonRpcSessionSettings());

            (await session.InvokeAsync("whoami", [], Token).WaitAsync(Bound, Token)).GetString().Should().Be(client.Client.LocalEndPoint!.ToString());
        }
    }

    [Fact]
    public async Task A_dual_mode_listener_reached_over_IPv4_reports_an_IPv4_address()
    {
        var recorded = new RecordingSessionFactory(Sessions());
        JsonRpcListener listener;
        try
        {
            // IPv4 loopback written IPv4-mapped: an IPv6 socket that takes IPv4 callers, as on "::", but loopback only.
            listener = new JsonRpcListener(new JsonRpcListenerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback.MapToIPv6(), 0) }, WhoAmI(), recorded, _time, NullLogger<JsonRpcListener>.Instance);
            await listener.StartAsync(Token);
        }
        catch (SocketException ex)
        {
            Assert.Skip($"No dual-mode socket on this machine: {ex.Message}");
            throw;
        }

        await using (listener)
        {
            using var client = new TcpClient(AddressFamily.InterNetwork);
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, listener.LocalEndPoint!.Port), Token);
            await using var session = Sessions().Create(client.GetStream(), new JsonRpcSessionSettings());

            var local = client.Client.LocalEndPoint!.ToString();
            (await session.InvokeAsync("whoami", [], Token).WaitAsync(Bound, Token)).GetString().Should().Be(local).And.StartWith("127.0.0.1:");
            recorded.RemoteEndPoints.Should().ContainSingle().Which!.ToString().Should().Be(local, "the listener hands any session factory the normal form");
        }
    }

    [Fact]
    public async Task A_connection_beyond_the_session_limit_is_closed_at_once()
    {
        await using var listener = await StartAsync(new JsonRpcListenerOptions { MaxSessions = 2 });
        var open = new List<IJsonRpcSession>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var client = new TcpClient();
                await client.ConnectAsync(listener.LocalEndPoint!, Token);
                var session = Sessions().Create(client.GetStream(), new JsonRpcSessionSettings());
                open.Add(session);
                await session.InvokeAsync("add", [1, 1], Token).WaitAsync(Bound, Token);
            }

            using var third = new TcpClient();
            await third.ConnectAsync(listener.LocalEndPoint!, Token);
            var read = await ReadOrClosedAsync(third.GetStream());

            read.Should().Be(0, "the listener closed the connection over the limit");
            listener.SessionCount.Should().Be(2);
        }
        finally
        {
            foreach (var session in open)
            {
                await session.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_closed_session_frees_its_place()
    {
        await using var listener = await StartAsync(new JsonRpcListenerOptions { MaxSessions = 1 });
        for (var i = 0; i < 3; i++)
        {
            var client = new TcpClient();
            await client.ConnectAsync(listener.LocalEndPoint!, Token);
            await using var session = Sessions().Create(client.GetStream(), new JsonRpcSessionSettings());
            (await session.InvokeAsync("add", [i, 1], Token).WaitAsync(Bound, Token)).GetInt32().Should().Be(i + 1);
            await session.DisposeAsync();
            await WaitForSessionsAsync(listener, 0);
        }
    }

    [Fact]
    public async Task Stopping_closes_every_session_and_the_port()
    {
        var listener = await StartAsync(new JsonRpcListenerOptions());
        var endPoint = listener.LocalEndPoint!;
        using var client = new TcpClient();
        await client.ConnectAsync(endPoint, Token);
        await using var session = Sessions().Create(client.GetStream(), new JsonRpcSessionSettings());
        await session.InvokeAsync("add", [1, 1], Token).WaitAsync(Bound, Token);

        await listener.StopAsync(Token).WaitAsync(Bound, Token);

        await session.Completion.WaitAsync(Bound, Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        session.Completion.IsCompleted.Should().BeTrue();
        listener.SessionCount.Should().Be(0);
        using var late = new TcpClient();
        await FluentActions.Awaiting(() => late.ConnectAsync(endPoint, Token).AsTask()).Should().ThrowAsync<SocketException>();
        await listener.DisposeAsync();
        await FluentActions.Awaiting(() => listener.StartAsync(Token)).Should().ThrowAsync<InvalidOperationException>();
    }

    [Fact]
    public async Task A_client_that_never_completes_the_TLS_handshake_is_dropped_after_the_handshake_timeout()
    {
        var time = new WatchedTimeProvider();
        _time = time;
        using var certificate = TestCertificates.Create();
        await using var listener = await StartAsync(new JsonRpcListenerOptions { Certificate = certificate });
        var timers = time.TimersCreated;
        using var client = new TcpClient();
        await client.ConnectAsync(listener.LocalEndPoint!, Token);
        await WaitForSessionsAsync(listener, 1);

        // The handshake's deadline is armed on the listener's side a moment after the accept: wait for its timer.
        await time.WaitForTimersAsync(timers + 1, Token).WaitAsync(Bound, Token);
        var read = ReadOrClosedAsync(client.GetStream());
        time.Advance(new JsonRpcListenerOptions().HandshakeTimeout);

        (await read.WaitAsync(Bound, Token)).Should().Be(0);
        await WaitForSessionsAsync(listener, 0);
    }

    [Fact]
    public async Task An_idle_session_is_closed_after_the_idle_timeout()
    {
        var time = new FakeTimeProvider();
        _time = time;
        await using var listener = await StartAsync(new JsonRpcListenerOptions { IdleTimeout = TimeSpan.FromMinutes(10) });
        using var client = new TcpClient();
        await client.ConnectAsync(listener.LocalEndPoint!, Token);
        var stream = client.GetStream();
        await WaitForSessionsAsync(listener, 1);
        await stream.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[1,1]}\n"u8.ToArray(), Token);
        await ReadLineAsync(stream);

        time.Advance(TimeSpan.FromMinutes(9));
        await stream.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"add\",\"params\":[1,1]}\n"u8.ToArray(), Token);
        await ReadLineAsync(stream);
        time.Advance(TimeSpan.FromMinutes(9));
        listener.SessionCount.Should().Be(1, "a message restarts the idle clock");
        time.Advance(TimeSpan.FromMinutes(1));

        (await ReadOrClosedAsync(stream)).Should().Be(0);
        await WaitForSessionsAsync(listener, 0);
    }

    [Fact]
    public async Task A_client_sending_an_endless_line_loses_its_session_and_the_listener_serves_others()
    {
        await using var listener = await StartAsync(new JsonRpcListenerOptions());
        using var hostile = new TcpClient();
        await hostile.ConnectAsync(listener.LocalEndPoint!, Token);
        var junk = new byte[64 * 1024];
        junk.AsSpan().Fill((byte)'[');
        var stream = hostile.GetStream();
        try
        {
            for (var sent = 0; sent < 2 * 1024 * 1024; sent += junk.Length)
            {
                await stream.WriteAsync(junk, Token);
            }
        }
        catch (IOException)
        {
            // The listener closed the connection while we wrote: expected.
        }

        var answer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(answer, Token).WaitAsync(Bound, Token);
        }
        catch (IOException)
        {
            // Reset by the listener.
        }

        if (answer.Length > 0)
        {
            Encoding.UTF8.GetString(answer.ToArray()).Should().Contain("-32700");
        }

        await WaitForSessionsAsync(listener, 0);
        using var good = new TcpClient();
        await good.ConnectAsync(listener.LocalEndPoint!, Token);
        await using var session = Sessions().Create(good.GetStream(), new JsonRpcSessionSettings());
        (await session.InvokeAsync("add", [2, 2], Token).WaitAsync(Bound, Token)).GetInt32().Should().Be(4);
    }

    [Fact]
    public async Task The_listener_answers_requests_its_handler_does_not_know_with_method_not_found()
    {
        await using var listener = await StartAsync(new JsonRpcListenerOptions());
        using var client = new TcpClient();
        await client.ConnectAsync(listener.LocalEndPoint!, Token);
        await using var session = Sessions().Create(client.GetStream(), new JsonRpcSessionSettings());

        var act = () => session.InvokeAsync("server.donation_address", [], Token).WaitAsync(Bound, Token);

        (await act.Should().ThrowAsync<JsonRpcException>()).Which.Code.Should().Be(JsonRpcErrorCodes.MethodNotFound);
    }

    [Fact]
    public void Settings_out_of_range_are_refused()
    {
        var act = () => new JsonRpcListener(new JsonRpcListenerOptions { MaxSessions = 0 }, WhoAmI(), Sessions());

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("MaxSessions");
    }

    private async Task<JsonRpcListener> StartAsync(JsonRpcListenerOptions options)
    {
        var listener = new JsonRpcListener(options, WhoAmI(), Sessions(), _time, NullLogger<JsonRpcListener>.Instance);
        await listener.StartAsync(Token);
        return listener;
    }

    /// <summary>A session factory of the host's own (not the library's), noting the end points it is given.</summary>
    private sealed class RecordingSessionFactory(IJsonRpcSessionFactory inner) : IJsonRpcSessionFactory
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<EndPoint?> _remoteEndPoints = new();

        public IReadOnlyList<EndPoint?> RemoteEndPoints => [.. _remoteEndPoints];

        public IJsonRpcSession Create(Stream stream, JsonRpcSessionSettings settings)
        {
            _remoteEndPoints.Enqueue(settings.RemoteEndPoint);
            return inner.Create(stream, settings);
        }
    }

    private JsonRpcSessionFactory Sessions() => new(Options.Create(_rpcOptions), _time, NullLogger<JsonRpcSessionFactory>.Instance);

    private static async Task<int> ReadOrClosedAsync(Stream stream)
    {
        try
        {
            return await stream.ReadAsync(new byte[1], Token).AsTask().WaitAsync(Bound, Token);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static async Task<string> ReadLineAsync(Stream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one, Token).AsTask().WaitAsync(Bound, Token) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString();
    }

    // Woken by the listener each time its count changes; the bound is only a deadline.
    private static async Task WaitForSessionsAsync(JsonRpcListener listener, int count)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (listener.SessionCount == count)
            {
                reached.TrySetResult();
            }
        }

        listener.SessionCountChanged += Check;
        try
        {
            Check();
            await reached.Task.WaitAsync(Bound, Token);
        }
        finally
        {
            listener.SessionCountChanged -= Check;
        }
    }
}
