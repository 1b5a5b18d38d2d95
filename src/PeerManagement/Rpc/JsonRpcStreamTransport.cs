using System.IO.Pipelines;

namespace PeerManagement;

/// <summary>A session's transport over a stream, read through a pipe reader with a 16 KB buffer.</summary>
internal sealed class JsonRpcStreamTransport(Stream stream) : JsonRpcTransport
{
    private const int ReadBufferSize = 16 * 1024;

    /// <inheritdoc />
    public override PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, minimumReadSize: 1024, leaveOpen: true));

    /// <inheritdoc />
    public override ValueTask SendAsync(ReadOnlyMemory<byte> bytes)
    {
        var write = stream.WriteAsync(bytes);
        if (!write.IsCompletedSuccessfully)
        {
            return WriteThenFlushAsync(write);
        }

        write.GetAwaiter().GetResult();
        var flush = stream.FlushAsync();
        return flush.IsCompletedSuccessfully ? default : new ValueTask(flush);
    }

    /// <inheritdoc />
    public override void Close()
    {
        try
        {
            stream.Dispose();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            // Closing a broken stream; the session is closed either way.
        }
    }

    private async ValueTask WriteThenFlushAsync(ValueTask write)
    {
        await write.ConfigureAwait(false);
        await stream.FlushAsync().ConfigureAwait(false);
    }
}
