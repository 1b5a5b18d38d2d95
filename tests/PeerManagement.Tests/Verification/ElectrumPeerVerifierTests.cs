using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using PeerManagement.Tests.Rpc;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.Tests.Verification;

public class ElectrumPeerVerifierTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly JsonRpcTestKit _kit = new();

    private static CancellationToken Token => JsonRpcTestKit.Token;

    [Fact]
    public async Task A_long_peer_list_is_read_in_place_through_the_typed_call()
    {
        var chain = new FakeChainView();
        var builder = ScriptedElectrumPeerBuilder.For("peer.example.org", chain);
        for (var i = 0; i < 2000; i++)
        {
            builder.Reporting($"electrum-{i:D4}.example.net", "v1.4", "s50002", "t50001");
        }

        // A real session pair, so that the answer (well over the in-place threshold) takes the session's zero-copy path.
        var peer = builder.Build();
        var (client, server) = _kit.CreatePair(new DelegateHandler(call => ((ScriptedAnswer.Result)peer.Answers[call.Method]).Compute(call.Parameters)));
        await using (client)
        await using (server)
        {
            var session = new TypedCallRecorder(client);
            var verifier = new ElectrumPeerVerifier(chain, Options.Create(new PeerManagementOptions()));
            var context = new PeerVerificationContext(new PeerRecord { Host = PeerHost.Parse("peer.example.org") }, session, IPAddress.Parse("203.0.113.5"));

            var result = await verifier.VerifyAsync(context, Token).AsTask().WaitAsync(Bound, Token);

            result.Outcome.Should().Be(PeerCheckOutcome.Good, result.Reason);
            result.ReportedPeers.Should().HaveCount(2000);
            result.ReportedPeers[1999].Host.Value.Should().Be("electrum-1999.example.net");
            session.TypedCalls.Should().Contain("server.peers.subscribe");
        }
    }

    /// <summary>Passes every call on, noting the methods called through the typed (parse-in-place) call.</summary>
    private sealed class TypedCallRecorder(IJsonRpcSession inner) : IJsonRpcSession
    {
        private readonly ConcurrentQueue<string> _typed = new();

        public IReadOnlyList<string> TypedCalls => [.. _typed];

        public EndPoint? RemoteEndPoint => inner.RemoteEndPoint;

        public Task Completion => inner.Completion;

        public Task<JsonElement> InvokeAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
            => inner.InvokeAsync(method, parameters, cancellationToken);

        public Task<T> InvokeAsync<T>(string method, IReadOnlyList<JsonNode?> parameters, Func<JsonElement, T> parseResult, CancellationToken cancellationToken)
        {
            _typed.Enqueue(method);
            return inner.InvokeAsync(method, parameters, parseResult, cancellationToken);
        }

        public ValueTask NotifyAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
            => inner.NotifyAsync(method, parameters, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
