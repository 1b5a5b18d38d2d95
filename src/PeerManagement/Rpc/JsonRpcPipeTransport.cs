using System.IO.Pipelines;

namespace PeerManagement;

/// <summary>
/// A session's transport over a duplex pipe, read and written directly. Closing cancels a pending read and a
/// pending flush (a remote party that stops reading) and completes our side of the pipe.
/// </summary>
internal sealed class JsonRpcPipeTransport(IDuplexPipe pipe) : JsonRpcTransport
{
    // A pipe writer is not safe against a concurrent Complete: a write starts, and the writer completes, under it.
    private readonly Lock _gate = new();
    private bool _closed;

    /// <inheritdoc />
    public override PipeReader Input => pipe.Input;

    /// <inheritdoc />
    public override ValueTask SendAsync(ReadOnlyMemory<byte> bytes)
    {
        ValueTask<FlushResult> flush;
        lock (_gate)
        {
            if (_closed)
            {
                return ValueTask.FromException(new IOException("The pipe is closed."));
            }

            flush = pipe.Output.WriteAsync(bytes);
        }

        return flush.IsCompletedSuccessfully ? Check(flush.Result) : AwaitFlushAsync(flush);
    }

    /// <inheritdoc />
    public override void Close()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            pipe.Output.CancelPendingFlush();
            pipe.Output.Complete();
        }

        pipe.Input.CancelPendingRead();
    }

    private static ValueTask Check(FlushResult result)
        => result.IsCanceled ? ValueTask.FromException(new IOException("The pipe was closed during a write."))
            : result.IsCompleted ? ValueTask.FromException(new IOException("The remote party stopped reading the pipe."))
            : default;

    private static async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush)
        => await Check(await flush.ConfigureAwait(false)).ConfigureAwait(false);
}
