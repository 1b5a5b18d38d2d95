using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.Tests.Discovery;

/// <summary>
/// Several <see cref="PeerManager"/>s talking to each other in memory: a connection to a node's host reaches that
/// node's request handler (as its listener would), with the caller's address as the source; chain requests are
/// answered from one shared <see cref="FakeChainView"/>.
/// </summary>
internal sealed class InMemoryNodeNetwork(FakeChainView chain) : IJsonRpcSessionFactory
{
    private readonly ConcurrentDictionary<PeerHost, (PeerManager Manager, IPAddress Address)> _nodes = new();

    public void Register(PeerHost host, IPAddress address, PeerManager manager) => _nodes[host] = (manager, address);

    public IPeerConnector ConnectorFor(IPAddress self) => new Connector(this, self);

    public IJsonRpcSession Create(Stream stream, JsonRpcSessionSettings settings)
    {
        var route = (RouteStream)stream;
        return new NodeSession(route.Target, route.Caller, chain, settings);
    }

    private sealed class Connector(InMemoryNodeNetwork network, IPAddress self) : IPeerConnector
    {
        public ValueTask<PeerConnection> ConnectAsync(PeerEndpoint endpoint, bool useProxy, CancellationToken cancellationToken)
        {
            if (!network._nodes.TryGetValue(endpoint.Host, out var node))
            {
                throw new PeerConnectionException($"nothing listens at {endpoint}");
            }

            return ValueTask.FromResult(new PeerConnection(new RouteStream(node.Manager, self), node.Address, viaProxy: false));
        }
    }

    private sealed class NodeSession(PeerManager target, IPAddress caller, FakeChainView chain, JsonRpcSessionSettings settings) : IJsonRpcSession
    {
        // What the target's listener would see: one incoming session per connection, from the caller's address.
        private readonly FakeJsonRpcSession _incoming = FakeJsonRpcSession.Incoming(new IPEndPoint(caller, 50000));
        private readonly IJsonRpcRequestHandler _handler = target.CreateRequestHandler();

        public EndPoint? RemoteEndPoint => settings.RemoteEndPoint;


        public Task Completion => Task.CompletedTask;

        public async Task<JsonElement> InvokeAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
        {
            await Task.Yield();
            var array = new JsonArray([.. parameters.Select(p => p?.DeepClone())]);
            JsonNode? result = method switch
            {
                "blockchain.headers.subscribe" => new JsonObject { ["height"] = chain.TipHeight },
                "blockchain.block.header" => FakeChainView.HeaderAt(array[0]!.GetValue<int>()),
                _ => await _handler.HandleAsync(new JsonRpcCall(method, JsonSerializer.SerializeToElement(array), false, _incoming), cancellationToken),
            };
            return JsonSerializer.SerializeToElement(result);
        }

        public ValueTask NotifyAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class RouteStream(PeerManager target, IPAddress caller) : MemoryStream
    {
        public PeerManager Target { get; } = target;

        public IPAddress Caller { get; } = caller;
    }
}
