using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Nerdbank.Streams;
using StreamJsonRpc;

namespace PeerManagement.Benchmarks.Rpc;

/// <summary>
/// One request and its answer (<c>add [1, 2]</c>), client and server in the same process: our session over an
/// in-memory duplex pipe and over loopback TCP, and StreamJsonRpc (newline-delimited, System.Text.Json
/// formatter) over the same kind of in-memory pipe as the baseline. Both libraries are given the pipe itself.
/// </summary>
[MemoryDiagnoser]
public class JsonRpcRoundTripBenchmarks
{
    private static readonly JsonNode?[] Parameters = [JsonValue.Create(1), JsonValue.Create(2)];
    private static readonly object[] Arguments = [1, 2];

    private IJsonRpcSession _client = null!;
    private IJsonRpcSession _server = null!;
    private IJsonRpcSession _tcpClient = null!;
    private JsonRpcListener _listener = null!;
    private JsonRpc _rpcClient = null!;
    private JsonRpc _rpcServer = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var factory = new JsonRpcSessionFactory(Options.Create(new JsonRpcOptions()), TimeProvider.System, NullLogger<JsonRpcSessionFactory>.Instance);
        var handler = new AddHandler();

        var (a, b) = FullDuplexStream.CreatePipePair();
        _client = factory.Create(a, new JsonRpcSessionSettings());
        _server = factory.Create(b, new JsonRpcSessionSettings { RequestHandler = handler });

        _listener = new JsonRpcListener(new JsonRpcListenerOptions(), handler, factory);
        await _listener.StartAsync(CancellationToken.None);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(_listener.LocalEndPoint!);
        _tcpClient = factory.Create(new NetworkStream(socket, ownsSocket: true), new JsonRpcSessionSettings());

        var (c, d) = FullDuplexStream.CreatePipePair();
        _rpcServer = new JsonRpc(new NewLineDelimitedMessageHandler(d, new SystemTextJsonFormatter()));
        _rpcServer.AddLocalRpcMethod("add", new Func<int, int, int>((x, y) => x + y));
        _rpcServer.StartListening();
        _rpcClient = new JsonRpc(new NewLineDelimitedMessageHandler(c, new SystemTextJsonFormatter()));
        _rpcClient.StartListening();

        if (await Ours() != 3 || await OursOverLoopbackTcp() != 3 || await StreamJsonRpcInMemory() != 3)
        {
            throw new InvalidOperationException("A round trip gave a wrong answer.");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
        await _tcpClient.DisposeAsync();
        await _listener.DisposeAsync();
        _rpcClient.Dispose();
        _rpcServer.Dispose();
    }

    [Benchmark(Baseline = true, Description = "StreamJsonRpc, in-memory pipe")]
    public Task<int> StreamJsonRpcInMemory() => _rpcClient.InvokeWithCancellationAsync<int>("add", Arguments, CancellationToken.None);

    [Benchmark(Description = "PeerManagement, in-memory pipe")]
    public async Task<int> Ours() => (await _client.InvokeAsync("add", Parameters, CancellationToken.None)).GetInt32();

    [Benchmark(Description = "PeerManagement, loopback TCP")]
    public async Task<int> OursOverLoopbackTcp() => (await _tcpClient.InvokeAsync("add", Parameters, CancellationToken.None)).GetInt32();

    private sealed class AddHandler : IJsonRpcRequestHandler
    {
        public ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
            => ValueTask.FromResult<JsonNode?>(JsonValue.Create(call.Parameters[0].GetInt32() + call.Parameters[1].GetInt32()));
    }
}
