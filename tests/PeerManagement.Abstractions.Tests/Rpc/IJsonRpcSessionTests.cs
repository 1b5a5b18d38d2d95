using System.Net;
using PeerManagement.TestUtilities.Electrum;
using PeerManagement.TestUtilities.Rpc;

namespace PeerManagement.Tests.Rpc;

/// <summary>The contract's default implementations, through a session that implements only the required members.</summary>
public class IJsonRpcSessionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_typed_call_parses_the_result_of_a_plain_call_by_default()
    {
        var peer = ScriptedElectrumPeerBuilder.For("peer.example.org", new FakeChainView()).AnsweringJson("count", "[1,2,3]").Build();
        await using IJsonRpcSession session = Session(peer);

        var count = await session.InvokeAsync("count", [7], result => result.GetArrayLength(), Token).WaitAsync(Bound, Token);

        count.Should().Be(3);
        peer.Calls.Should().ContainSingle(c => c.Method == "count").Which.Parameters.GetRawText().Should().Be("[7]");
    }

    [Fact]
    public async Task What_the_parser_throws_by_default_is_what_the_caller_gets()
    {
        var peer = ScriptedElectrumPeerBuilder.For("peer.example.org", new FakeChainView()).AnsweringJson("height", "\"x\"").Build();
        await using IJsonRpcSession session = Session(peer);

        var act = () => session.InvokeAsync<int>("height", [], _ => throw new FormatException("not a height"), Token).WaitAsync(Bound, Token);

        await act.Should().ThrowAsync<FormatException>().WithMessage("not a height");
    }

    [Fact]
    public async Task A_typed_call_fails_by_default_like_the_plain_call_it_is_made_of()
    {
        var peer = ScriptedElectrumPeerBuilder.For("peer.example.org", new FakeChainView()).Failing("height", JsonRpcErrorCodes.InvalidParams, "bad").Build();
        await using IJsonRpcSession session = Session(peer);
        var parsed = false;

        var act = () => session.InvokeAsync("height", [], _ => parsed = true, Token).WaitAsync(Bound, Token);

        (await act.Should().ThrowAsync<JsonRpcException>()).Which.Code.Should().Be(JsonRpcErrorCodes.InvalidParams);
        parsed.Should().BeFalse();
    }

    [Fact]
    public async Task A_batch_is_sent_by_default_as_separate_calls_each_result_on_its_own_task_in_order()
    {
        var peer = ScriptedElectrumPeerBuilder.For("peer.example.org", new FakeChainView())
            .AnsweringJson("a", "1")
            .Failing("b", JsonRpcErrorCodes.MethodNotFound, "no b")
            .AnsweringJson("c", "3")
            .Build();
        await using IJsonRpcSession session = Session(peer);

        var tasks = session.InvokeBatchAsync([new JsonRpcRequest("a", []), new JsonRpcRequest("b", []), new JsonRpcRequest("c", ["x"])], Token);

        tasks.Should().HaveCount(3);
        (await tasks[0].WaitAsync(Bound, Token)).GetInt32().Should().Be(1);
        (await FluentActions.Awaiting(() => tasks[1].WaitAsync(Bound, Token)).Should().ThrowAsync<JsonRpcException>()).Which.Code.Should().Be(JsonRpcErrorCodes.MethodNotFound);
        (await tasks[2].WaitAsync(Bound, Token)).GetInt32().Should().Be(3);
        peer.Calls.Select(c => c.Method).Should().Equal("a", "b", "c");
    }

    [Fact]
    public void An_empty_batch_or_a_request_without_a_method_is_refused_before_anything_is_sent()
    {
        var peer = ScriptedElectrumPeerBuilder.For("peer.example.org", new FakeChainView()).Build();
        IJsonRpcSession session = Session(peer);

        FluentActions.Invoking(() => session.InvokeBatchAsync([], Token)).Should().Throw<ArgumentException>().WithParameterName("requests");
        FluentActions.Invoking(() => session.InvokeBatchAsync([new JsonRpcRequest("server.version", []), new JsonRpcRequest("", [])], Token))
            .Should().Throw<ArgumentException>().WithParameterName("requests");
        FluentActions.Invoking(() => session.InvokeBatchAsync(null!, Token)).Should().Throw<ArgumentNullException>();
        peer.Calls.Should().BeEmpty();
    }

    [Fact]
    public void Two_callers_asking_for_the_same_type_of_state_get_the_same_instance()
    {
        IJsonRpcSession session = FakeJsonRpcSession.Incoming(new IPEndPoint(IPAddress.Loopback, 1));

        var first = session.GetOrAddState(() => new Tally());
        var second = session.GetOrAddState(() => new Tally());

        second.Should().BeSameAs(first);
        session.GetOrAddState(() => new OtherTally()).Should().NotBeNull();
    }

    [Fact]
    public void Each_session_keeps_its_own_state()
    {
        IJsonRpcSession one = FakeJsonRpcSession.Incoming(new IPEndPoint(IPAddress.Loopback, 1));
        IJsonRpcSession two = FakeJsonRpcSession.Incoming(new IPEndPoint(IPAddress.Loopback, 1));

        two.GetOrAddState(() => new Tally()).Should().NotBeSameAs(one.GetOrAddState(() => new Tally()));
    }

    [Fact]
    public async Task Concurrent_first_uses_of_the_state_create_one_instance()
        => await SessionStateContract.FirstUsesAtOnceCreateOneInstanceAsync(FakeJsonRpcSession.Incoming(new IPEndPoint(IPAddress.Loopback, 1)), Token);

    [Fact]
    public void A_state_factory_that_returns_null_is_refused()
    {
        IJsonRpcSession session = FakeJsonRpcSession.Incoming(null);

        FluentActions.Invoking(() => session.GetOrAddState<Tally>(() => null!)).Should().Throw<InvalidOperationException>();
        FluentActions.Invoking(() => session.GetOrAddState<Tally>(null!)).Should().Throw<ArgumentNullException>();
    }

    private static FakeJsonRpcSession Session(ScriptedElectrumPeer peer)
        => new(peer, new JsonRpcSessionSettings(), TimeProvider.System);

    private sealed class Tally
    {
    }

    private sealed class OtherTally
    {
    }
}
