using System.Buffers;
using System.IO.Pipelines;

namespace PeerManagement;

/// <summary>
/// The framing: one message per line (<c>\n</c>, with <c>\r\n</c> and white space accepted), read from a
/// <see cref="PipeReader"/> with a hard bound on the line length. Each search covers only the bytes not searched
/// before, so a long line costs O(its length), not O(length²); a line is handed over while it is still in the read
/// buffer, without a copy.
/// </summary>
internal sealed class JsonRpcLineReader(PipeReader reader, int maxMessageBytes)
{
    private readonly PipeReader _reader = reader;

    /// <summary>
    /// Reads lines until the remote party ends the stream, handing each (without its <c>\n</c>) to
    /// <paramref name="onLine"/>, which must be done with it when its task completes.
    /// </summary>
    /// <param name="onLine">Handles one line.</param>
    /// <param name="onTooLong">Tells the remote party, before the session closes, that a line was over the bound.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <exception cref="JsonRpcProtocolException">A line is longer than the bound.</exception>
    /// <exception cref="IOException">The stream failed, or ended in the middle of a message.</exception>
    public async Task ReadLinesAsync(
        Func<ReadOnlySequence<byte>, CancellationToken, ValueTask> onLine,
        Func<ValueTask> onTooLong,
        CancellationToken cancellationToken)
    {
        long scanned = 0;
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                // The transport was closed under the read.
                throw new OperationCanceledException("The JSON-RPC transport was closed.", cancellationToken);
            }

            var buffer = result.Buffer;
            while (true)
            {
                // Only the bytes not yet searched are searched again: a long line costs O(length), not O(length²).
                var eol = buffer.Slice(scanned).PositionOf((byte)'\n');
                if (eol is null)
                {
                    scanned = buffer.Length;
                    break;
                }

                var line = buffer.Slice(0, eol.Value);
                buffer = buffer.Slice(buffer.GetPosition(1, eol.Value));
                scanned = 0;
                if (line.Length > maxMessageBytes)
                {
                    throw await TooLongAsync(onTooLong).ConfigureAwait(false);
                }

                await onLine(line, cancellationToken).ConfigureAwait(false);
            }

            if (buffer.Length > maxMessageBytes)
            {
                throw await TooLongAsync(onTooLong).ConfigureAwait(false);
            }

            if (result.IsCompleted)
            {
                if (!IsWhiteSpace(buffer))
                {
                    throw new IOException("The remote party closed the connection in the middle of a message.");
                }

                return;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Gives the read buffers back; after the read loop has ended.</summary>
    public ValueTask CompleteAsync() => _reader.CompleteAsync();

    /// <summary>Whether the bytes are only spaces, tabs and line ends.</summary>
    public static bool IsWhiteSpace(ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private async ValueTask<JsonRpcProtocolException> TooLongAsync(Func<ValueTask> onTooLong)
    {
        var error = new JsonRpcProtocolException($"A message is longer than the limit of {maxMessageBytes} bytes; the session is closed.");
        await onTooLong().ConfigureAwait(false);
        return error;
    }
}
