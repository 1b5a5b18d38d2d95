using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace PeerManagement.Tests.Rpc;

/// <summary>Remote parties that stop reading, flood, or build batches to amplify or queue work (SPEC §9).</summary>
public partial class JsonRpcSessionTests
{
    // Small socket buffers, so that a peer that does not read stalls our writes after a few hundred KiB.
    private const int SocketBufferBytes = 64 * 1024;
    private static readonly string QuarterMiB = new('x', 256 * 1024);

    [Fact]
    public async Task A_peer_that_stops_reading_cannot_hang_the_close()
    {
        var (near, far) = await ConnectedPairAsync();
        using var remote = far;
        var session = _kit.Factory.Create(new NetworkStream(near, ownsSocket: true), new JsonRpcSessionSettings { RequestHandler = new DelegateHandler(_ => QuarterMiB) });
        using var safety = new SessionSafety(session);
        var timers = _kit.Time.TimersCreated;

        // 2 MiB of answers asked for, none read.
        await far.SendAsync(Encoding.UTF8.GetBytes(Requests(8, "big")), Token);
        await _kit.Time.WaitForTimersAsync(timers + 1, Token).WaitAsync(Bound, Token);

        await AdvanceUntilDoneAsync(session.DisposeAsync().AsTask(), timers + 2, _kit.Options.CloseGrace);

        (await DrainUntilClosedAsync(far)).Should().BeTrue("the close ends the connection whatever the peer does");
    }

    [Fact]
    public async Task A_peer_that_floods_requests_during_a_check_and_never_reads_cannot_hang_the_close()
    {
        var (near, far) = await ConnectedPairAsync();
        using var remote = far;
        using var stopFlood = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var session = _kit.Factory.Create(new NetworkStream(near, ownsSocket: true), new JsonRpcSessionSettings());
        var check = session.InvokeAsync("server.version", [], Token);
        var timers = _kit.Time.TimersCreated;

        // We answer each request with "method not found", into a socket nobody reads.
        var flood = FloodAsync(far, stopFlood.Token);
        try
        {
            await _kit.Time.WaitForTimersAsync(timers + 1, Token).WaitAsync(Bound, Token);

            await AdvanceUntilDoneAsync(session.DisposeAsync().AsTask(), timers + 2, _kit.Options.CloseGrace);

            await FluentActions.Awaiting(() => check).Should().ThrowAsync<IOException>();
        }
        finally
        {
            await stopFlood.CancelAsync();
            far.Dispose();
            await flood.WaitAsync(Bound, Token);
        }
    }

    [Fact]
    public async Task A_peer_that_stops_reading_fails_the_session_at_the_write_deadline()
    {
        var (near, far) = await ConnectedPairAsync();
        using var remote = far;
        var session = _kit.Factory.Create(new NetworkStream(near, ownsSocket: true), new JsonRpcSessionSettings { RequestHandler = new DelegateHandler(_ => QuarterMiB) });
        try
        {
            var timers = _kit.Time.TimersCreated;
            await far.SendAsync(Encoding.UTF8.GetBytes(Requests(4, "big")), Token);
            await _kit.Time.WaitForTimersAsync(timers + 1, Token).WaitAsync(Bound, Token);
            session.Completion.IsCompleted.Should().BeFalse();

            _kit.Time.Advance(_kit.Options.WriteTimeout);

            await FluentActions.Awaiting(() => session.Completion.WaitAsync(Bound, Token)).Should().ThrowAsync<TimeoutException>();
            (await DrainUntilClosedAsync(far)).Should().BeTrue();
        }
        finally
        {
            await DisposeBoundedAsync(session);
        }
    }

    [Fact]
    public async Task A_peer_that_lets_answers_pile_up_is_closed_at_the_unsent_bound()
    {
        var (near, far) = await ConnectedPairAsync();
        using var remote = far;
        var session = (JsonRpcSession)_kit.Factory.Create(new NetworkStream(near, ownsSocket: true), new JsonRpcSessionSettings { RequestHandler = new DelegateHandler(_ => QuarterMiB) });
        try
        {
            // 16 MiB asked for at once: more than MaxUnsentBytes (4 MiB) would wait.
            await far.SendAsync(Encoding.UTF8.GetBytes(Requests(64, "big")), Token);

            (await FluentActions.Awaiting(() => session.Completion.WaitAsync(Bound, Token)).Should().ThrowAsync<IOException>())
                .WithMessage("*wait to be sent*");
        }
        finally
        {
            await DisposeBoundedAsync(session);
        }

        session.UnsentBytes.Should().Be(0, "the buffers of a closed session are given back");
    }

    [Fact]
    public async Task A_batch_over_the_limit_is_refused_whole_with_one_error_and_not_handled()
    {
        var handled = 0;
        var (session, peer) = _kit.CreateWithRawPeer(new DelegateHandler(_ => Interlocked.Increment(ref handled)));
        await using (session)
        await using (peer)
        {
            var calls = Enumerable.Range(0, _kit.Options.MaxBatchCalls + 1).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"m"}""");
            await peer.SendAsync("[" + string.Join(",", calls) + "]\n");
            await peer.SendAsync("""{"jsonrpc":"2.0","id":"after","method":"m"}""" + "\n");

            var answer = await peer.ReadMessageAsync();

            answer.Should().BeOfType<JsonObject>("one error, not one per call");
            answer["id"].Should().BeNull();
            answer["error"]!["code"]!.GetValue<int>().Should().Be(JsonRpcErrorCodes.InvalidRequest);
            answer["error"]!["message"]!.GetValue<string>().Should().Be("Batch too large");
            (await peer.ReadMessageAsync())["id"]!.GetValue<string>().Should().Be("after", "the session goes on");
            handled.Should().Be(1);
        }
    }

    [Fact]
    public async Task A_megabyte_of_junk_items_gets_one_small_error_instead_of_forty_megabytes()
    {
        var (session, peer) = _kit.CreateWithRawPeer(DelegateHandler.Echo());
        await using (session)
        await using (peer)
        {
            await peer.SendAsync("[" + string.Join(",", Enumerable.Repeat("1", 500_000)) + "]\n");
            await peer.SendAsync("[" + string.Join(",", Enumerable.Repeat("1", _kit.Options.MaxBatchCalls)) + "]\n");

            var tooLarge = await peer.ReadLineAsync();
            var junk = await peer.ReadLineAsync();

            tooLarge!.Length.Should().BeLessThan(200);
            JsonNode.Parse(junk!).Should().BeOfType<JsonObject>("errors larger than the batch become one error");
            junk!.Length.Should().BeLessThan(2 * _kit.Options.MaxBatchCalls);
        }
    }

    [Fact]
    public async Task A_hostile_session_cannot_hold_more_calls_or_bytes_than_its_bounds_and_frees_them_when_it_goes()
    {
        var running = 0;
        var full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler(async (_, ct) =>
        {
            if (Interlocked.Increment(ref running) == _kit.Options.MaxCallsInFlight)
            {
                full.TrySetResult();
            }

            await Task.Delay(Timeout.Infinite, ct);
            return null;
        });
        CountingStream? counting = null;
        var (session, peer) = _kit.CreateWithRawPeer(handler, s => counting = new CountingStream(s));
        var rpc = (JsonRpcSession)session;
        var batch = "[" + string.Join(",", Enumerable.Range(0, 100).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"slow"}""")) + "]\n";
        await using (peer)
        {
            // 20 batches of 100 slow calls: the session may take only MaxCallsInFlight of them at once.
            var send = peer.SendAsync(string.Concat(Enumerable.Repeat(batch, 20)));
            await full.Task.WaitAsync(Bound, Token);

            rpc.CallsInFlight.Should().Be(_kit.Options.MaxCallsInFlight);
            rpc.BytesInFlight.Should().BeLessThanOrEqualTo(_kit.Options.MaxBytesInFlight);
            counting!.BytesRead.Should().BeLessThan(4 * batch.Length, "reading stops while the session is at its bound");

            await session.DisposeAsync().AsTask().WaitAsync(Bound, Token);
            rpc.CallsInFlight.Should().Be(0, "the handlers are cancelled when the session goes");
            rpc.BytesInFlight.Should().Be(0);

            // The rest of the flood can no longer be written: observe that failure here, not in a later test.
            await peer.DisposeAsync();
            await send.WaitAsync(Bound, Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            send.IsCompleted.Should().BeTrue();
        }
    }

    /// <summary>Disposes a session, failing the test instead of hanging when the close is not bounded.</summary>
    private static async Task DisposeBoundedAsync(IJsonRpcSession session)
        => await session.DisposeAsync().AsTask().WaitAsync(Bound, Token);

    private static string Requests(int count, string method)
        => string.Concat(Enumerable.Range(0, count).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"{{method}}"}""" + "\n"));

    /// <summary>Advances the fake clock by <paramref name="step"/> once <paramref name="timers"/> timers exist, unless the task ends first.</summary>
    private async Task AdvanceUntilDoneAsync(Task task, int timers, TimeSpan step)
    {
        await Task.WhenAny(task, _kit.Time.WaitForTimersAsync(timers, Token)).WaitAsync(Bound, Token);
        if (!task.IsCompleted)
        {
            _kit.Time.Advance(step);
        }

        await task.WaitAsync(Bound, Token);
    }

    private static async Task<(Socket Near, Socket Far)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var near = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = SocketBufferBytes, SendBufferSize = SocketBufferBytes };
        var accept = listener.AcceptAsync(Token).AsTask();
        await near.ConnectAsync(listener.LocalEndPoint!, Token);
        var far = await accept.WaitAsync(Bound, Token);
        far.ReceiveBufferSize = SocketBufferBytes;
        far.SendBufferSize = SocketBufferBytes;
        return (near, far);
    }

    /// <summary>Sends requests until the socket is closed or the flood is stopped.</summary>
    private static async Task FloodAsync(Socket socket, CancellationToken cancellationToken)
    {
        var chunk = Encoding.UTF8.GetBytes(Requests(1000, "x"));
        try
        {
            while (true)
            {
                await socket.SendAsync(chunk, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The session closed the connection, or the test is over.
        }
    }

    /// <summary>Reads what the session sent until it closes the connection; <see langword="true"/> when it did.</summary>
    private static async Task<bool> DrainUntilClosedAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, Token).AsTask().WaitAsync(Bound, Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Starts a session's close when a test leaves early, without waiting on it.</summary>
    private sealed class SessionSafety(IJsonRpcSession session) : IDisposable
    {
        public void Dispose() => _ = session.DisposeAsync().AsTask();
    }
}
