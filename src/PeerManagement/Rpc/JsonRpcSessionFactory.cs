using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// The default <see cref="IJsonRpcSessionFactory"/>: JSON-RPC 2.0, one message per line (<c>\n</c> written,
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

    /// <summary>Starts a session that also closes when no message arrives within <paramref name="idleTimeout"/>.</summary>
    internal JsonRpcSession Create(Stream stream, JsonRpcSessionSettings settings, TimeSpan? idleTimeout)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(settings);
        if (!stream.CanRead || !stream.CanWrite)
        {
            throw new ArgumentException("A JSON-RPC session needs a stream that can both read and write.", nameof(stream));
        }

        if (settings.RequestTimeout is { } timeout && timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentException("The request timeout must be positive or infinite.", nameof(settings));
        }

        var options = _options.Value;
        return new JsonRpcSession(stream, settings, options.RequestTimeout, options.MaxMessageBytes, _timeProvider, _logger, idleTimeout, JsonRpcSessionLimits.From(options));
    }
}
