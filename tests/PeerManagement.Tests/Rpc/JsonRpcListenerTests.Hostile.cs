using System.Net;
using System.Net.Sockets;
using System.Text;
using PeerManagement.TestUtilities.Time;

namespace PeerManagement.Tests.Rpc;

/// <summary>Many connections from one source, keep-alive junk, and clients that stop reading (SPEC §9).</summary>
public partial class JsonRpcListenerTests
{
    private static readonly IPAddress OtherLoopback = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task Many_connections_from_one_address_cannot_keep_a_client_from_another_address_out()
    {
        // The per-address cap is raised so that one address can fill the listener: the newcomer must still get in.
        await using var listener = await StartAsync(new JsonRpcListenerOptions { MaxSessions = 20, MaxSessionsPerAddress = 20, MaxSessionsPerNetwork = 100 });
        var hostile = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var client = new TcpClient(AddressFamily.InterNetwork);
                await client.ConnectAsync(listener.LocalEndPoint!, Token);
                hostile.Add(client);
            }

            await WaitForSessionsAsync(listener, 20);
            for (var i = 0; i < 12; i++)
            {
                using var client = new TcpClient(new IPEndPoint(OtherLoopback, 0));
                await client.ConnectAsync(listener.LocalEndPoint!, Token);
                await using var session = Sessions().Create(client.GetStream(), new JsonRpcSessionSettings());

                var answer = await session.InvokeAsync("whoami", [], Token).WaitAsync(Bound, Token);

                answer.GetString().Should().StartWith("127.0.0.2:");
            }
        }
        finally
        {
            hostile.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task One_address_gets_at_most_its_share_of_sessions_and_others_are_still_served()
    {
        var options = new JsonRpcListenerOptions();
        await using var listener = await StartAsync(options);
        var clients = new List<TcpClient>();
        try
        {
            for (var i = 0; i < options.MaxSessionsPerAddress; i++)
            {
                var client = new TcpClient(AddressFamily.InterNetwork);
                await client.ConnectAsync(listener.LocalEndPoint!, Token);
                clients.Add(client);
            }

            await WaitForSessionsAsync(listener, options.MaxSessionsPerAddress);
            using var extra = new TcpClient(AddressFamily.InterNetwork);
            await extra.ConnectAsync(listener.LocalEndPoint!, Token);

            (await ReadOrClosedAsync(extra.GetStream())).Should().Be(0, "the address holds its share");
            listener.SessionCount.Should().Be(options.MaxSessionsPerAddress);
            using var other = new TcpClient(new IPEndPoint(OtherLoopback, 0));
            await other.ConnectAsync(listener.LocalEndPoint!, Token);
            await using var session = Sessions().Create(other.GetStream(), new JsonRpcSessionSettings());
            (await session.InvokeAsync("add", [1, 2], Token).WaitAsync(Bound, Token)).GetInt32().Should().Be(3);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Empty_objects_do_not_keep_a_session_alive_past_the_idle_timeout()
    {
        var time = new WatchedTimeProvider();
        _time = time;
        await using var listener = await StartAsync(new JsonRpcListenerOptions { IdleTimeout = TimeSpan.FromMinutes(10) });
        using var client = new TcpClient();
        await client.ConnectAsync(listener.LocalEndPoint!, Token);
        var stream = client.GetStream();
        await time.WaitForTimersAsync(1, Token).WaitAsync(Bound, Token);

        for (var minute = 0; minute < 9; minute += 3)
        {
            time.Advance(TimeSpan.FromMinutes(3));
            await stream.WriteAsync("{}\n   \n"u8.ToArray(), Token);
            (await ReadLineAsync(stream)).Should().Contain("-32600");
        }

        time.Advance(TimeSpan.FromMinutes(1));

        (await ReadOrClosedAsync(stream)).Should().Be(0, "junk is no activity");
        await WaitForSessionsAsync(listener, 0);
    }

    [Fact]
    public async Task Stopping_is_bounded_while_a_client_stops_reading()
    {
        var time = new WatchedTimeProvider();
        _time = time;
        var listener = await StartAsync(new JsonRpcListenerOptions());
        try
        {
            using var client = new TcpClient { ReceiveBufferSize = 64 * 1024 };
            await client.ConnectAsync(listener.LocalEndPoint!, Token);
            var requests = string.Concat(Enumerable.Range(0, 16).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"big"}""" + "\n"));
            await client.GetStream().WriteAsync(Encoding.UTF8.GetBytes(requests), Token);

            // The idle timer, then the deadline of a write that stalls.
            await time.WaitForTimersAsync(2, Token).WaitAsync(Bound, Token);
            var stop = listener.StopAsync(Token);
            await Task.WhenAny(stop, time.WaitForTimersAsync(3, Token)).WaitAsync(Bound, Token);
            time.Advance(_rpcOptions.CloseGrace);

            await stop.WaitAsync(Bound, Token);
            listener.SessionCount.Should().Be(0);
        }
        finally
        {
            using var giveUp = new CancellationTokenSource(Bound);
            await FluentActions.Awaiting(() => listener.StopAsync(giveUp.Token)).Should().NotThrowAsync();
        }
    }
}
