using System.Buffers;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PeerManagement;

/// <summary>
/// Limits the incoming JSON-RPC calls of each remote address (the session's
/// <see cref="IJsonRpcSession.RemoteEndPoint"/>, keyed by <see cref="KeyOf"/>: its network as
/// <see cref="PeerBuckets.GetInternalNetwork"/> gives it (IPv4 address, IPv6 /64), or one shared key for sessions
/// without an IP address) before handing them to the wrapped handler:
/// <list type="bullet">
/// <item>granted: handled at once;</item>
/// <item>granted over the soft limit (<see cref="PeerRateLimiterMetadata.Delay"/>): handled after the delay;</item>
/// <item>rejected: answered at once with a <see cref="JsonRpcException"/> of code
/// <see cref="JsonRpcErrorCodes.RateLimited"/>, message "Rate limit exceeded" and data
/// <c>{"retry_after": seconds, "retry_after_ms": milliseconds}</c> (a rejected notification is dropped);</item>
/// <item>a session whose calls are rejected <see cref="CloseAfterRejections"/> times in a row (it ignores the
/// retry-after hint) is closed.</item>
/// </list>
/// Calls are never queued here: a rejected caller hears so at once. Each call of a batch comes here on its own, so
/// a batch of N calls is charged N permits; the session runs a batch's calls side by side (at most
/// <see cref="JsonRpcOptions.MaxCallsInFlight"/>), so their soft-limit delays overlap instead of adding up,
/// and a batch over <see cref="JsonRpcOptions.MaxBatchCalls"/> is refused before it gets here. The
/// decisions are counted by the limiter itself (see <see cref="PeerRateLimiter"/>), not here.
/// </summary>
public sealed class RateLimitingJsonRpcRequestHandler : IJsonRpcRequestHandler
{
    /// <summary>The default of <see cref="CloseAfterRejections"/>.</summary>
    public const int DefaultCloseAfterRejections = 10;

    private readonly IJsonRpcRequestHandler _inner;
    private readonly PartitionedRateLimiter<NetworkPrefix> _limiter;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Wraps a handler.</summary>
    /// <param name="inner">The handler of the calls that pass.</param>
    /// <param name="limiter">The per-network limiter (e.g. a <see cref="PeerPartitionedRateLimiter{TKey}"/>).</param>
    /// <param name="timeProvider">The clock the soft-limit delays are waited on; the system clock when <see langword="null"/>.</param>
    /// <param name="logger">Where rejections and closed sessions are logged.</param>
    /// <param name="closeAfterRejections">How many rejections in a row close a session (at least 1).</param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> or <paramref name="limiter"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="closeAfterRejections"/> is below 1.</exception>
    public RateLimitingJsonRpcRequestHandler(
        IJsonRpcRequestHandler inner,
        PartitionedRateLimiter<NetworkPrefix> limiter,
        TimeProvider? timeProvider = null,
        ILogger<RateLimitingJsonRpcRequestHandler>? logger = null,
        int closeAfterRejections = DefaultCloseAfterRejections)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(limiter);
        ArgumentOutOfRangeException.ThrowIfLessThan(closeAfterRejections, 1);
        _inner = inner;
        _limiter = limiter;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        CloseAfterRejections = closeAfterRejections;
    }

    /// <summary>How many rejections in a row close a session.</summary>
    public int CloseAfterRejections { get; }

    /// <summary>
    /// The key a session is limited under: the network of its remote address as
    /// <see cref="PeerBuckets.GetInternalNetwork"/> gives it (an IPv4 address, also when IPv4-mapped, is its own
    /// network; an IPv6 address counts as its /64, since one host usually owns a whole /64), or the default
    /// <see cref="NetworkPrefix"/>, shared by every session without an IP address.
    /// </summary>
    /// <param name="remoteEndPoint">The session's remote end point.</param>
    /// <returns>The key.</returns>
    public static NetworkPrefix KeyOf(EndPoint? remoteEndPoint)
        => remoteEndPoint is IPEndPoint { Address: { } address } ? PeerBuckets.GetInternalNetwork(address) : default;

    /// <summary>Limits the call, then hands it to the wrapped handler.</summary>
    /// <param name="call">The call.</param>
    /// <param name="cancellationToken">Cancelled when the session closes.</param>
    /// <returns>The wrapped handler's result; <see langword="null"/> for a rejected notification.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="call"/> is <see langword="null"/>.</exception>
    /// <exception cref="JsonRpcException">The caller is over its limit (<see cref="JsonRpcErrorCodes.RateLimited"/>), or the wrapped handler's error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled during a delay.</exception>
    public ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var session = call.Session;
        var key = KeyOf(session.RemoteEndPoint);
        using var lease = _limiter.AttemptAcquire(key);
        if (!lease.IsAcquired)
        {
            return Reject(call, key, lease);
        }

        session.GetOrAddState(static () => new RejectionCounter()).Reset();

        if (lease.TryGetMetadata(PeerRateLimiterMetadata.Delay, out var delay) && delay > TimeSpan.Zero)
        {
            Log.RequestDelayed(_logger, Describe(key), call.Method, delay.TotalMilliseconds);
            return HandleLateAsync(call, delay, cancellationToken);
        }

        return _inner.HandleAsync(call, cancellationToken);
    }

    private async ValueTask<JsonNode?> HandleLateAsync(JsonRpcCall call, TimeSpan delay, CancellationToken cancellationToken)
    {
        await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
        return await _inner.HandleAsync(call, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask<JsonNode?> Reject(JsonRpcCall call, NetworkPrefix key, RateLimitLease lease)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var value) ? value : TimeSpan.Zero;
        var address = Describe(key);
        Log.RequestRejected(_logger, address, call.Method, retryAfter.TotalMilliseconds);

        var session = call.Session;
        var counter = session.GetOrAddState(static () => new RejectionCounter());
        var count = counter.Increment();
        if (count >= CloseAfterRejections && counter.TryMarkClosing())
        {
            Log.SessionClosedForHammering(_logger, address, count);
            _ = CloseAsync(session, address);
        }

        if (call.IsNotification)
        {
            return new ValueTask<JsonNode?>((JsonNode?)null);
        }

        return ValueTask.FromException<JsonNode?>(new JsonRpcException(JsonRpcErrorCodes.RateLimited, "Rate limit exceeded", RetryAfterData(retryAfter)));
    }

    private async Task CloseAsync(IJsonRpcSession session, string address)
    {
        try
        {
            // Let the rejection be written first; closing from inside the handler must not wait for itself.
            await Task.Yield();
            await session.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Log.SessionCloseFailed(_logger, address, exception);
        }
    }

    // The caller's network as logged: CIDR text, e.g. 203.0.113.7/32 or 2001:db8:1:2::/64.
    private static string Describe(NetworkPrefix key) => key == default ? "no IP address" : key.ToString();

    private static JsonElement RetryAfterData(TimeSpan retryAfter)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("retry_after", Math.Round(retryAfter.TotalSeconds, 3));
            writer.WriteNumber("retry_after_ms", (long)Math.Ceiling(retryAfter.TotalMilliseconds));
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private sealed class RejectionCounter
    {
        private int _count;
        private int _closing;

        public int Increment() => Interlocked.Increment(ref _count);

        public void Reset() => Volatile.Write(ref _count, 0);

        public bool TryMarkClosing() => Interlocked.Exchange(ref _closing, 1) == 0;
    }
}
