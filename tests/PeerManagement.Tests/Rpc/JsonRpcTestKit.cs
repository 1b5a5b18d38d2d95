using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Nerdbank.Streams;
using PeerManagement.TestUtilities.Time;

namespace PeerManagement.Tests.Rpc;

/// <summary>Builds sessions over in-memory duplex pipes, with a fake clock.</summary>
internal sealed class JsonRpcTestKit
{
    public WatchedTimeProvider Time { get; } = new();

    public JsonRpcOptions Options { get; } = new();

    public JsonRpcSessionFactory Factory => new(Microsoft.Extensions.Options.Options.Create(Options), Time, NullLogger<JsonRpcSessionFactory>.Instance);

    public static CancellationToken Token => TestContext.Current.CancellationToken;

    public (IJsonRpcSession Client, IJsonRpcSession Server) CreatePair(IJsonRpcRequestHandler? serverHandler, IJsonRpcRequestHandler? clientHandler = null)
    {
        var (a, b) = FullDuplexStream.CreatePipePair();
        var client = Factory.Create(a.AsStream(), new JsonRpcSessionSettings { RequestHandler = clientHandler });
        var server = Factory.Create(b.AsStream(), new JsonRpcSessionSettings { RequestHandler = serverHandler, RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, 1234) });
        return (client, server);
    }

    /// <summary>A session whose other end is a raw stream the test writes and reads bytes on.</summary>
    public (IJsonRpcSession Session, RawPeer Peer) CreateWithRawPeer(IJsonRpcRequestHandler? handler = null, Func<Stream, Stream>? wrap = null)
    {
        var (a, b) = FullDuplexStream.CreatePipePair();
        Stream stream = a.AsStream();
        var session = Factory.Create(wrap is null ? stream : wrap(stream), new JsonRpcSessionSettings { RequestHandler = handler });
        return (session, new RawPeer(b.AsStream()));
    }
}

/// <summary>The far end of a session, spoken to byte by byte.</summary>
internal sealed class RawPeer(Stream stream) : IAsyncDisposable
{
    private readonly StreamReader _reader = new(stream, new UTF8Encoding(false), false, 1024, leaveOpen: true);

    public Stream Stream { get; } = stream;

    public async Task SendAsync(string text)
    {
        await Stream.WriteAsync(Encoding.UTF8.GetBytes(text), JsonRpcTestKit.Token);
        await Stream.FlushAsync(JsonRpcTestKit.Token);
    }

    public async Task SendAsync(byte[] bytes)
    {
        await Stream.WriteAsync(bytes, JsonRpcTestKit.Token);
        await Stream.FlushAsync(JsonRpcTestKit.Token);
    }

    public async Task<string?> ReadLineAsync()
        => await _reader.ReadLineAsync(JsonRpcTestKit.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10), JsonRpcTestKit.Token);

    public async Task<JsonNode> ReadMessageAsync()
        => JsonNode.Parse(await ReadLineAsync() ?? throw new EndOfStreamException("The session closed the stream."))!;

    /// <summary>Reads until the session closes its end; returns what came before.</summary>
    public async Task<string> ReadToEndAsync()
        => await _reader.ReadToEndAsync(JsonRpcTestKit.Token).WaitAsync(TimeSpan.FromSeconds(10), JsonRpcTestKit.Token);

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await Stream.DisposeAsync();
    }
}

/// <summary>A request handler made of a delegate.</summary>
internal sealed class DelegateHandler(Func<JsonRpcCall, CancellationToken, ValueTask<JsonNode?>> handle) : IJsonRpcRequestHandler
{
    public DelegateHandler(Func<JsonRpcCall, JsonNode?> handle)
        : this((call, _) => ValueTask.FromResult(handle(call)))
    {
    }

    public ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken) => handle(call, cancellationToken);

    /// <summary>Answers <c>echo</c> with its parameters and <c>add</c> with the sum of two numbers.</summary>
    public static DelegateHandler Echo() => new(call => call.Method switch
    {
        "echo" => JsonNode.Parse(call.Parameters.GetRawText()),
        "add" => call.Parameters[0].GetInt32() + call.Parameters[1].GetInt32(),
        _ => throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, "Method not found"),
    });
}

/// <summary>Counts the bytes read through a stream.</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    private long _read;

    public long BytesRead => Interlocked.Read(ref _read);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => Count(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => inner.WriteAsync(buffer, offset, count, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();

    private int Count(int n)
    {
        Interlocked.Add(ref _read, n);
        return n;
    }
}
