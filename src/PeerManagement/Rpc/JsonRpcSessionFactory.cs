using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// The default <see cref="IJsonRpcSessionFactory"/>: JSON-RPC 2.0 over a stream or (see
/// <see cref="Create(IDuplexPipe, JsonRpcSessionSettings)"/>) a duplex pipe, one message per line (<c>\n</c> written,
/// <c>\r\n</c> accepted), batches, a hard bound of <see cref="JsonRpcOptions.MaxMessageBytes"/> per line and
/// <see cref="JsonRpcOptions.RequestTimeout"/> per request unless the settings give another; every write has the
/// deadline <see cref="JsonRpcOptions.WriteTimeout"/>, and the work a remote party can queue is bounded
/// (<see cref="JsonRpcOptions.MaxBatchCalls"/>, <see cref="JsonRpcOptions.MaxCallsInFlight"/>,
/// <see cref="JsonRpcOptions.MaxBytesInFlight"/>, <see cref="JsonRpcOptions.MaxUnsentBytes"/>).
/// </summary>
public sealed class JsonRpcSessionFactory : IJsonRpcSessionFactory
{
    private readonly IOptions<JsonRpcOptions> _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Creates the factory.</summary>
    /// <param name="options">The session settings (message bound, default request timeout, write timeout and work bounds).</param>
    /// <param name="timeProvider">The clock of request timeouts.</param>
    /// <param name="logger">The logger; <see langword="null"/> logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or <paramref name="timeProvider"/> is <see langword="null"/>.</exception>
    public JsonRpcSessionFactory(IOptions<JsonRpcOptions> options, TimeProvider timeProvider, ILogger<JsonRpcSessionFactory>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _timeProvider = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public IJsonRpcSession Create(Stream stream, JsonRpcSessionSettings settings)
        => Create(stream, settings, idleTimeout: null);

    /// <summary>
    /// Starts a session over a duplex pipe (an in-process transport, or a connection library's pipe), read and written
    /// directly, without a stream adapter in between; the session owns the pipe from then on. Closing the session
    /// completes the pipe's writer and reader; a remote party that stops reading is cut off after
    /// <see cref="JsonRpcOptions.WriteTimeout"/>, as over a stream.
    /// </summary>
    /// <param name="pipe">The pipe: what the remote party sends arrives on its input, and ours goes to its output.</param>
    /// <param name="settings">The session's settings.</param>
    /// <returns>The running session.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The settings' request timeout is neither positive nor infinite.</exception>
    public IJsonRpcSession Create(IDuplexPipe pipe, JsonRpcSessionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        ArgumentNullException.ThrowIfNull(settings);
        return Create(new JsonRpcPipeTransport(pipe), settings, idleTimeout: null);
    }

    /// <summary>Starts a session that also closes when no message arrives within <paramref name="idleTimeout"/>.</summary>
    internal JsonRpcSession Create(Stream stream, JsonRpcSessionSettings settings, TimeSpan? idleTimeout)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(settings);
        if (!stream.CanRead || !stream.CanWrite)
        {
            throw new ArgumentException("A JSON-RPC session needs a stream that can both read and write.", nameof(stream));
        }

        return Create(new JsonRpcStreamTransport(stream), settings, idleTimeout);
    }

    private JsonRpcSession Create(JsonRpcTransport transport, JsonRpcSessionSettings settings, TimeSpan? idleTimeout)
    {
        if (settings.RequestTimeout is { } timeout && timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentException("The request timeout must be positive or infinite.", nameof(settings));
        }

        var options = _options.Value;
        return new JsonRpcSession(transport, settings, options.RequestTimeout, options.MaxMessageBytes, _timeProvider, _logger, idleTimeout, JsonRpcSessionLimits.From(options));
    }
}
