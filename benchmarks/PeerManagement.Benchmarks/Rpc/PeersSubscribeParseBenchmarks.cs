using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Nerdbank.Streams;

namespace PeerManagement.Benchmarks.Rpc;

/// <summary>
/// Reading a 10,000-entry <c>server.peers.subscribe</c> answer (about 0.77 MB on one line): through a session
/// (framing, UTF-8 check, parse, match by id; the result parsed in place or copied out as a JsonElement) against <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/>
/// of the same bytes as the baseline. Throughput = <see cref="AnswerBytes"/> / mean time.
/// </summary>
[MemoryDiagnoser]
public class PeersSubscribeParseBenchmarks
{
    // One large segment: the fake peer's side should not count towards the session's allocations.
    private readonly Pipe _toSession = new(new PipeOptions(pauseWriterThreshold: 0, minimumSegmentSize: 1024 * 1024));
    private readonly Pipe _fromSession = new(new PipeOptions(pauseWriterThreshold: 0));
    private byte[] _prefix = null!;
    private byte[] _suffix = null!;
    private byte[] _whole = null!;
    private IJsonRpcSession _session = null!;
    private Task _drain = null!;
    private long _nextId;

    /// <summary>The size of one answer line in bytes.</summary>
    public static int AnswerBytes { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        var result = new StringBuilder("[");
        for (var i = 0; i < 10_000; i++)
        {
            result.Append(i == 0 ? "" : ",")
                .Append($"[\"203.0.{i / 256 % 256}.{i % 256}\",\"electrum-peer-{i:D5}.example.org\",[\"v1.4\",\"s50002\",\"t50001\"]]");
        }

        result.Append(']');
        _prefix = Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"id\":");
        _suffix = Encoding.UTF8.GetBytes(",\"result\":" + result + "}\n");
        _whole = [.. _prefix, .. "1"u8, .. _suffix];
        AnswerBytes = _whole.Length;
        Console.WriteLine($"// answer line: {AnswerBytes} bytes");

        var factory = new JsonRpcSessionFactory(Options.Create(new JsonRpcOptions()), TimeProvider.System, NullLogger<JsonRpcSessionFactory>.Instance);
        _session = factory.Create(new DuplexPipe(_toSession.Reader, _fromSession.Writer).AsStream(), new JsonRpcSessionSettings());
        _drain = DrainAsync(_fromSession.Reader);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _session.DisposeAsync();
        await _fromSession.Writer.CompleteAsync();
        await _drain;
    }

    [Benchmark(Baseline = true, Description = "JsonDocument.Parse")]
    public int JsonDocumentParse()
    {
        using var document = JsonDocument.Parse(_whole);
        return document.RootElement.GetProperty("result").GetArrayLength();
    }

    [Benchmark(Description = "Session, result parsed in place")]
    public async Task<int> SessionParsedInPlace()
    {
        var call = _session.InvokeAsync("server.peers.subscribe", [], static r => r.GetArrayLength(), CancellationToken.None);
        await AnswerAsync();
        return await call;
    }

    [Benchmark(Description = "Session, result handed out as JsonElement")]
    public async Task<int> Session()
    {
        var call = _session.InvokeAsync("server.peers.subscribe", [], CancellationToken.None);
        await AnswerAsync();
        return (await call).GetArrayLength();
    }

    private async ValueTask AnswerAsync()
    {
        var id = ++_nextId;
        var writer = _toSession.Writer;
        writer.Write(_prefix);
        Utf8Formatter.TryFormat(id, writer.GetSpan(20), out var written);
        writer.Advance(written);
        writer.Write(_suffix);
        await writer.FlushAsync();
    }

    private static async Task DrainAsync(PipeReader reader)
    {
        while (true)
        {
            var read = await reader.ReadAsync();
            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return;
            }
        }
    }
}
