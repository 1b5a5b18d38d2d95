using PeerManagement.TestUtilities.Rpc;

namespace PeerManagement.Tests.Rpc;

/// <summary>The session's own implementations of the contract's typed state and batch checks.</summary>
public partial class JsonRpcSessionTests
{
    [Fact]
    public async Task Two_handlers_asking_for_the_same_type_of_state_get_the_same_instance()
    {
        var (client, server) = _kit.CreatePair(null);
        await using (client)
        await using (server)
        {
            var first = server.GetOrAddState(() => new Counter());
            var second = server.GetOrAddState(() => new Counter());

            second.Should().BeSameAs(first);
            client.GetOrAddState(() => new Counter()).Should().NotBeSameAs(first, "each session keeps its own state");
        }
    }

    [Fact]
    public async Task Concurrent_first_uses_of_the_state_create_one_instance()
    {
        var (client, server) = _kit.CreatePair(null);
        await using (client)
        await using (server)
        {
            await SessionStateContract.FirstUsesAtOnceCreateOneInstanceAsync(server, Token);
        }
    }

    [Fact]
    public async Task An_empty_batch_or_a_request_without_a_method_is_refused_before_anything_is_sent()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            FluentActions.Invoking(() => session.InvokeBatchAsync([], Token)).Should().Throw<ArgumentException>().WithParameterName("requests");
            FluentActions.Invoking(() => session.InvokeBatchAsync([new JsonRpcRequest("server.version", []), new JsonRpcRequest("", [])], Token))
                .Should().Throw<ArgumentException>().WithParameterName("requests");

            // The next line the peer reads is the notification sent after the refusals: nothing went out before it.
            await session.NotifyAsync("after", [], Token);
            (await peer.ReadMessageAsync())["method"]!.GetValue<string>().Should().Be("after");
        }
    }

    private sealed class Counter
    {
        public int Value;
    }
}
