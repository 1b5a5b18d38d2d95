using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement.Simulation;

/// <summary>
/// The in-memory network: host names resolve to addresses, a connection to a host reaches the server at that
/// address, and every request is answered by that server with the caller's address as the source. Counts the
/// requests each address sends.
/// </summary>
internal sealed class SimulatedNetwork : IHostNameResolver, IJsonRpcSessionFactory
{
    private readonly Dictionary<string, IPAddress> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<IPAddress, SimulatedServer> _servers = [];
    private readonly Dictionary<IPAddress, long> _sent = [];

    public void Listen(SimulatedServer server) => _servers[server.Address] = server;

    public void Name(string host, IPAddress address) => _names[host] = address;

    public long SentBy(IPAddress address) => _sent.GetValueOrDefault(address);

    public IPeerConnector ConnectorFor(IPAddress self) => new Connector(this, self);

    public ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
        => ValueTask.FromResult<IReadOnlyList<IPAddress>>(_names.TryGetValue(host, out var address) ? [address] : []);

    public IJsonRpcSession Create(Stream stream, JsonRpcSessionSettings settings)
    {
        var route = (Route)stream;
        return new Session(this, route, settings);
    }

    /// <summary>A request from <paramref name="caller"/> to <paramref name="host"/>, as a client of that server would send it.</summary>
    public async Task<JsonElement> CallAsync(IPAddress caller, string host, string method, JsonNode? parameters, CancellationToken cancellationToken)
    {
        var route = Open(caller, host);
        await using var session = new Session(this, route, new JsonRpcSessionSettings());
        return await session.InvokeAsync(method, parameters is JsonArray array ? [.. array] : [], cancellationToken).ConfigureAwait(false);
    }

    private Route Open(IPAddress caller, string host)
    {
        var address = PeerHost.TryParse(host, out var parsed) && parsed.Address is { } literal ? literal
            : _names.TryGetValue(host, out var named) ? named
            : throw new PeerConnectionException($"{host} does not resolve");
        if (!_servers.TryGetValue(address, out var server) || !server.IsUp)
        {
            throw new PeerConnectionException($"nothing listens at {host}");
        }

        return new Route(server, host, caller, address);
    }

    private sealed class Connector(SimulatedNetwork network, IPAddress self) : IPeerConnector
    {
        public ValueTask<PeerConnection> ConnectAsync(PeerEndpoint endpoint, bool useProxy, CancellationToken cancellationToken)
        {
            var route = network.Open(self, endpoint.Host.Value);
            return ValueTask.FromResult(new PeerConnection(route, route.Address, viaProxy: false) { ServerKey = route.Server.ServerKeyFor(route.Host) });
        }
    }

    private sealed class Route(SimulatedServer server, string host, IPAddress caller, IPAddress address) : MemoryStream
    {
        public SimulatedServer Server { get; } = server;

        public string Host { get; } = host;

        public IPAddress Caller { get; } = caller;

        public IPAddress Address { get; } = address;
    }

    private sealed class Session(SimulatedNetwork network, Route route, JsonRpcSessionSettings settings) : IJsonRpcSession
    {
        // What the server's listener would hand its handler: the caller's address and per-session state.
        private readonly Incoming _incoming = new(new IPEndPoint(route.Caller, 50000));

        public EndPoint? RemoteEndPoint => settings.RemoteEndPoint ?? new IPEndPoint(route.Address, 50001);

        public Task Completion => Task.CompletedTask;

        public async Task<JsonElement> InvokeAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
        {
            // A request is a message on the network: it arrives later, after the caller has moved on.
            await Task.Yield();
            network._sent[route.Caller] = network._sent.GetValueOrDefault(route.Caller) + 1;
            if (!route.Server.IsUp)
            {
                throw new JsonRpcException(JsonRpcErrorCodes.InternalError, "the connection was closed");
            }

            route.Server.RequestsAnswered++;
            var array = JsonSerializer.SerializeToElement(new JsonArray([.. parameters.Select(p => p?.DeepClone())]));
            return await route.Server.AnswerAsync(route.Host, method, array, _incoming, cancellationToken).ConfigureAwait(false);
        }

        public ValueTask NotifyAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Incoming(EndPoint remote) : IJsonRpcSession
    {
        public EndPoint? RemoteEndPoint { get; } = remote;

        public Task Completion => Task.CompletedTask;

        public Task<JsonElement> InvokeAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
            => throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, "the simulated caller answers no requests");

        public ValueTask NotifyAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
