using System.IO.Pipelines;
using System.Text;
using Nerdbank.Streams;

namespace PeerManagement.Tests.Rpc;

/// <summary>Sessions run over a duplex pipe itself, with no stream in between.</summary>
public partial class JsonRpcSessionTests
{
    [Fact]
    public async Task Sessions_over_a_duplex_pipe_answer_requests_and_batches_both_ways()
    {
        var (a, b) = FullDuplexStream.CreatePipePair();
        await using var client = _kit.Factory.Create(a, new JsonRpcSessionSettings { RequestHandler = DelegateHandler.Echo() });
        await using var server = _kit.Factory.Create(b, new JsonRpcSessionSettings { RequestHandler = DelegateHandler.Echo() });

        (await client.InvokeAsync("add", [1, 2], Token).WaitAsync(Bound, Token)).GetInt32().Should().Be(3);
        (await server.InvokeAsync("add", [3, 4], Token).WaitAsync(Bound, Token)).GetInt32().Should().Be(7);
        var batch = client.InvokeBatchAsync([new JsonRpcRequest("add", [5, 6]), new JsonRpcRequest("echo", ["x"])], Token);
        var results = await Task.WhenAll(batch).WaitAsync(Bound, Token);
        results[0].GetInt32().Should().Be(11);
        results[1][0].GetString().Should().Be("x");
    }

    [Fact]
    public async Task Disposing_a_pipe_session_fails_its_pending_requests_and_ends_the_remote_partys_input()
    {
        var (a, b) = FullDuplexStream.CreatePipePair();
        var session = _kit.Factory.Create(a, new JsonRpcSessionSettings());
        var pending = session.InvokeAsync("x", [], Token);

        await session.DisposeAsync().AsTask().WaitAsync(Bound, Token);

        await FluentActions.Awaiting(() => pending.WaitAsync(Bound, Token)).Should().ThrowAsync<IOException>();
        (await ReadToEndAsync(b.Input)).Should().Contain("\"method\":\"x\"", "what was sent before the close arrives, then the end");
    }

    [Fact]
    public async Task A_remote_party_that_closes_its_pipe_ends_the_session()
    {
        var (a, b) = FullDuplexStream.CreatePipePair();
        await using var session = _kit.Factory.Create(a, new JsonRpcSessionSettings());
        var pending = session.InvokeAsync("x", [], Token);

        await b.Output.CompleteAsync();

        await session.Completion.WaitAsync(Bound, Token);
        await FluentActions.Awaiting(() => pending.WaitAsync(Bound, Token)).Should().ThrowAsync<IOException>();
    }

    [Fact]
    public async Task A_peer_that_stops_reading_a_pipe_fails_the_session_at_the_write_deadline()
    {
        // A pipe that holds 1 KiB: the peer never reads, so our quarter-MiB answer stalls.
        var toSession = new Pipe();
        var fromSession = new Pipe(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512));
        var session = _kit.Factory.Create(new Duplex(toSession.Reader, fromSession.Writer), new JsonRpcSessionSettings { RequestHandler = new DelegateHandler(_ => QuarterMiB) });
        try
        {
            var timers = _kit.Time.TimersCreated;
            await toSession.Writer.WriteAsync(Encoding.UTF8.GetBytes(Requests(1, "big")), Token);
            await _kit.Time.WaitForTimersAsync(timers + 1, Token).WaitAsync(Bound, Token);
            session.Completion.IsCompleted.Should().BeFalse();

            _kit.Time.Advance(_kit.Options.WriteTimeout);

            await FluentActions.Awaiting(() => session.Completion.WaitAsync(Bound, Token)).Should().ThrowAsync<TimeoutException>();
            await FluentActions.Awaiting(() => ReadToEndAsync(fromSession.Reader)).Should().NotThrowAsync("the session completed its side of the pipe");
        }
        finally
        {
            await DisposeBoundedAsync(session);
        }
    }

    private static async Task<string> ReadToEndAsync(PipeReader reader)
    {
        var text = new StringBuilder();
        while (true)
        {
            var result = await reader.ReadAsync(Token).AsTask().WaitAsync(Bound, Token);
            foreach (var segment in result.Buffer)
            {
                text.Append(Encoding.UTF8.GetString(segment.Span));
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return text.ToString();
            }
        }
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
