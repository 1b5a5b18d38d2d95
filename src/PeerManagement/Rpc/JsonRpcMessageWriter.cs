using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PeerManagement;

/// <summary>
/// Writes the messages of one session, one per line, with a bound on the bytes waiting to be sent and a deadline
/// on every write. Messages are serialised at once into a queue; one writer at a time sends the queue while others
/// append to it, so a remote party that stops reading holds at most <c>maxUnsentBytes</c> of ours and, after the
/// write timeout, fails the session (whose close ends the stalled write).
/// </summary>
internal sealed class JsonRpcMessageWriter
{
    private const int InitialBufferSize = 4096;

    // A buffer grown by one large message is dropped after sending, so an idle session keeps only a small one.
    private const int RetainedBufferSize = 64 * 1024;

    // Text is written as UTF-8, not as \u escapes: the stream is not HTML, and escapes would triple non-Latin text.
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly JsonRpcTransport _transport;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _writeTimeout;
    private readonly int _maxUnsentBytes;
    private readonly Action<Exception> _fail;
    private readonly Lock _gate = new();
    private readonly Utf8JsonWriter _json;
    private ArrayBufferWriter<byte> _queued = new(InitialBufferSize);
    private ArrayBufferWriter<byte> _sending = new(InitialBufferSize);
    private TaskCompletionSource? _nextRound;
    private TaskCompletionSource? _drained;
    private Exception? _closed;
    private bool _flushing;

    /// <param name="transport">The transport.</param>
    /// <param name="timeProvider">The clock of the write deadline.</param>
    /// <param name="writeTimeout">How long one write to the transport may take.</param>
    /// <param name="maxUnsentBytes">How many bytes may wait to be sent (one message always may).</param>
    /// <param name="fail">Fails the session (and closes its transport) on a write error, an overrun or the deadline.</param>
    public JsonRpcMessageWriter(JsonRpcTransport transport, TimeProvider timeProvider, TimeSpan writeTimeout, int maxUnsentBytes, Action<Exception> fail)
    {
        _transport = transport;
        _timeProvider = timeProvider;
        _writeTimeout = writeTimeout;
        _maxUnsentBytes = maxUnsentBytes;
        _fail = fail;
        _json = new Utf8JsonWriter(_queued, WriterOptions);
    }

    /// <summary>The bytes serialised but not yet handed to the transport or being sent (for tests).</summary>
    internal long UnsentBytes
    {
        get
        {
            lock (_gate)
            {
                return _queued.WrittenCount + _sending.WrittenCount;
            }
        }
    }

    /// <summary>
    /// Queues one message and completes when it has been sent. Throws the close reason once the writer is closed.
    /// </summary>
    public ValueTask WriteAsync<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        Task? wait = null;
        Exception? overrun = null;
        lock (_gate)
        {
            if (_closed is { } closed)
            {
                return ValueTask.FromException(closed);
            }

            var before = _queued.WrittenCount + _sending.WrittenCount;
            try
            {
                _json.Reset(_queued);
                write(_json, state);
                _json.Flush();
                _queued.GetSpan(1)[0] = (byte)'\n';
                _queued.Advance(1);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A half-written message would break the framing: the session cannot go on.
                overrun = new IOException("Writing a JSON-RPC message failed.", ex);
            }

            if (overrun is null && before > 0 && _queued.WrittenCount + _sending.WrittenCount > _maxUnsentBytes)
            {
                overrun = new IOException($"More than {_maxUnsentBytes} bytes wait to be sent: the remote party does not read.");
            }

            if (overrun is null)
            {
                if (_flushing)
                {
                    wait = (_nextRound ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
                else
                {
                    _flushing = true;
                }
            }
        }

        if (overrun is not null)
        {
            _fail(overrun);
            Close(overrun);
            return ValueTask.FromException(overrun);
        }

        return wait is null ? SendAsync() : new ValueTask(wait);
    }

    /// <summary>Completes when nothing waits to be sent (or the writer is closed).</summary>
    public Task WhenDrained()
    {
        lock (_gate)
        {
            if (!_flushing)
            {
                return Task.CompletedTask;
            }

            return (_drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>Refuses further messages with <paramref name="reason"/> and drops what was not sent. Idempotent.</summary>
    public void Close(Exception reason)
    {
        TaskCompletionSource? round;
        TaskCompletionSource? drained = null;
        lock (_gate)
        {
            _closed ??= reason;
            round = _nextRound;
            _nextRound = null;
            if (!_flushing)
            {
                drained = _drained;
                _drained = null;
                _queued = new ArrayBufferWriter<byte>(1);
                _sending = new ArrayBufferWriter<byte>(1);
            }
        }

        round?.TrySetException(_closed);
        drained?.TrySetResult();
    }

    /// <summary>Sends the queue until it is empty; other writers append meanwhile and wait for their round.</summary>
    private async ValueTask SendAsync()
    {
        TaskCompletionSource? round = null;
        try
        {
            while (true)
            {
                ReadOnlyMemory<byte> bytes;
                lock (_gate)
                {
                    _sending.ResetWrittenCount();
                    if (_sending.Capacity > RetainedBufferSize)
                    {
                        _sending = new ArrayBufferWriter<byte>(InitialBufferSize);
                    }

                    if (_closed is { } closed)
                    {
                        throw closed;
                    }

                    if (_queued.WrittenCount == 0)
                    {
                        _flushing = false;
                        break;
                    }

                    (_queued, _sending) = (_sending, _queued);
                    round = _nextRound;
                    _nextRound = null;
                    bytes = _sending.WrittenMemory;
                }

                var send = _transport.SendAsync(bytes);
                if (send.IsCompletedSuccessfully)
                {
                    send.GetAwaiter().GetResult();
                }
                else
                {
                    await WithDeadlineAsync(send).ConfigureAwait(false);
                }

                round?.TrySetResult();
                round = null;
            }
        }
        catch (Exception ex)
        {
            var error = ex as IOException ?? ex as JsonRpcProtocolException ?? (Exception)new IOException("Writing to the JSON-RPC stream failed.", ex);
            TaskCompletionSource? next;
            lock (_gate)
            {
                _flushing = false;
                _closed ??= error;
                next = _nextRound;
                _nextRound = null;
            }

            _fail(error);
            round?.TrySetException(error);
            next?.TrySetException(error);
            SignalDrained();
            throw error;
        }

        SignalDrained();
    }

    private void SignalDrained()
    {
        TaskCompletionSource? drained;
        lock (_gate)
        {
            drained = _drained;
            _drained = null;
            if (_closed is not null)
            {
                // Closed: give the buffers back.
                _queued = new ArrayBufferWriter<byte>(1);
                _sending = new ArrayBufferWriter<byte>(1);
            }
        }

        drained?.TrySetResult();
    }

    /// <summary>Waits for a write the transport did not take at once; past the deadline the session fails, which ends the write.</summary>
    private async ValueTask WithDeadlineAsync(ValueTask write)
    {
        using var deadline = _timeProvider.CreateTimer(
            static s =>
            {
                var writer = (JsonRpcMessageWriter)s!;
                writer._fail(new TimeoutException($"The remote party did not read our message within the write timeout of {writer._writeTimeout}; the session is closed."));
            },
            this,
            _writeTimeout,
            Timeout.InfiniteTimeSpan);
        await write.ConfigureAwait(false);
    }
}
