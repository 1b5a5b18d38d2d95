using System.Net;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// How a session ends. It closes once, whatever ends it first (a protocol error, a broken stream, the remote party's
/// close, a write deadline, the idle rule, disposal): every pending request fails with the reason, handlers are
/// cancelled and <see cref="Completion"/> says how it ended. Disposal gives the last answers a short grace
/// (<see cref="JsonRpcSessionLimits.CloseGrace"/>), then closes the transport whatever the remote party does.
/// Only valid activity keeps a session with an idle timeout open (see <see cref="MarkActive"/>).
/// </summary>
internal sealed class JsonRpcSessionLifetime
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _work = new();
    private readonly JsonRpcTransport _transport;
    private readonly JsonRpcMessageWriter _output;
    private readonly JsonRpcPendingRequests _pending;
    private readonly SessionWorkBudget _budget;
    private readonly JsonRpcLineReader _lines;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _closeGrace;
    private readonly TimeSpan _idleTimeout;
    private readonly EndPoint? _remoteEndPoint;
    private readonly ILogger _logger;
    private readonly ITimer? _idleTimer;
    private long _lastActivity;
    private bool _closed;
    private int _disposed;

    public JsonRpcSessionLifetime(
        JsonRpcTransport transport,
        JsonRpcMessageWriter output,
        JsonRpcPendingRequests pending,
        SessionWorkBudget budget,
        JsonRpcLineReader lines,
        TimeProvider timeProvider,
        TimeSpan closeGrace,
        TimeSpan idleTimeout,
        EndPoint? remoteEndPoint,
        ILogger logger)
    {
        _transport = transport;
        _output = output;
        _pending = pending;
        _budget = budget;
        _lines = lines;
        _timeProvider = timeProvider;
        _closeGrace = closeGrace;
        _idleTimeout = idleTimeout;
        _remoteEndPoint = remoteEndPoint;
        _logger = logger;
        _lastActivity = timeProvider.GetTimestamp();
        if (idleTimeout != Timeout.InfiniteTimeSpan)
        {
            _idleTimer = timeProvider.CreateTimer(static s => ((JsonRpcSessionLifetime)s!).OnIdle(), this, idleTimeout, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Completes when the session has closed; faults with the reason when it closed on an error.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Cancelled when the session closes: stops reading and cancels the handlers.</summary>
    public CancellationToken Token => _work.Token;

    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>When the remote party last sent a valid request or an answer to ours (a <see cref="TimeProvider"/> timestamp).</summary>
    public long LastActivity => Interlocked.Read(ref _lastActivity);

    /// <summary>Only valid requests and answers to ours count as activity: white space, <c>{}</c> and junk keep no session alive.</summary>
    public void MarkActive()
    {
        Interlocked.Exchange(ref _lastActivity, _timeProvider.GetTimestamp());
        _idleTimer?.Change(_idleTimeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The error of anything tried once the session is closed.</summary>
    public Exception ClosedException()
        => _completion.Task.Exception?.InnerException is JsonRpcProtocolException protocol
            ? new JsonRpcProtocolException(protocol.Message, protocol)
            : new IOException("The JSON-RPC session is closed.", _completion.Task.Exception?.InnerException);

    /// <summary>Marks the session closed, fails every pending request and stops reading. Idempotent.</summary>
    /// <param name="error">Why, or <see langword="null"/> for a clean close.</param>
    /// <param name="disposing">Closed by disposal: the transport stays open for the grace of <see cref="DisposeAsync"/>.</param>
    public void Close(Exception? error, bool disposing = false)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            Volatile.Write(ref _closed, true);
        }

        if (error is null)
        {
            _completion.TrySetResult();
            Log.SessionClosed(_logger, _remoteEndPoint);
        }
        else
        {
            _completion.TrySetException(error);
            Log.SessionFailed(_logger, _remoteEndPoint, error);
        }

        Exception failure = error switch
        {
            JsonRpcProtocolException protocol => new JsonRpcProtocolException(protocol.Message, protocol),
            null when disposing => new IOException("The JSON-RPC session was disposed before the answer came."),
            null => new IOException("The remote party closed the JSON-RPC session before answering."),
            _ => new IOException($"The JSON-RPC session failed: {error.Message}", error),
        };
        _pending.Close(failure);
        _idleTimer?.Dispose();
        try
        {
            _work.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed.
        }

        if (!disposing)
        {
            // Closing the transport tells the remote side and unblocks a pending read or write.
            _output.Close(failure);
            _transport.Close();
        }
    }

    /// <summary>Closes the session, waits a short grace for the last answers, then closes the transport.</summary>
    /// <param name="readLoop">The session's read loop, which ends when the transport is closed.</param>
    public async ValueTask DisposeAsync(Task readLoop)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _completion.Task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }

        Close(null, disposing: true);

        // A short grace for the last answers and the cancelled handlers; after it the transport is closed whatever
        // the remote party does, which ends a write it stalls.
        var settled = Task.WhenAll(readLoop, _budget.WhenIdle(), _output.WhenDrained());
        if (!settled.IsCompleted)
        {
            try
            {
                await settled.WaitAsync(_closeGrace, _timeProvider).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (TimeoutException)
            {
                // The remote party does not read, or a handler ignores cancellation: close anyway.
            }
        }

        _output.Close(ClosedException());
        _transport.Close();

        await readLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _lines.CompleteAsync().ConfigureAwait(false);
        _idleTimer?.Dispose();
    }

    private void OnIdle()
        => Close(new TimeoutException($"No message arrived within {_idleTimeout}; the session is closed."));
}
