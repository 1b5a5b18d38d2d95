using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// The default <see cref="IProxyConnector"/>: SOCKS5 (RFC 1928) with no authentication or with
/// <see cref="PeerManagementOptions.ProxyUserName"/>/<see cref="PeerManagementOptions.ProxyPassword"/> (RFC 1929),
/// sending host names to the proxy. <see cref="DetectAsync"/> looks for the proxy at
/// <see cref="PeerManagementOptions.TorProxyHost"/> on <see cref="PeerManagementOptions.TorProxyPort"/>, or on
/// 9050, 9150 and 1080 when no port is set, with a real SOCKS5 greeting (an open port that does not answer it is
/// not a proxy), and keeps looking every <see cref="PeerManagementOptions.ProxyRetryInterval"/> until one answers.
/// </summary>
public sealed class Socks5ProxyConnector : IProxyConnector, IAsyncDisposable, IDisposable
{
    /// <summary>The ports probed when no port is configured: Tor daemon, Tor Browser, the SOCKS default.</summary>
    internal static readonly int[] DefaultPorts = [9050, 9150, 1080];

    private readonly IOptions<PeerManagementOptions> _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _detectLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _timerGate = new();
    private EndPoint? _proxy;
    private ITimer? _retryTimer;
    private bool _disposed;

    /// <summary>Creates the connector.</summary>
    /// <param name="options">Where to look for the proxy, credentials and the retry interval.</param>
    /// <param name="timeProvider">The clock of probe timeouts and retries.</param>
    /// <param name="logger">The logger; <see langword="null"/> logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or <paramref name="timeProvider"/> is <see langword="null"/>.</exception>
    public Socks5ProxyConnector(IOptions<PeerManagementOptions> options, TimeProvider timeProvider, ILogger<Socks5ProxyConnector>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _timeProvider = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>How long one probe may take before the port counts as no proxy.</summary>
    internal TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    public EndPoint? ProxyEndPoint => Volatile.Read(ref _proxy);

    /// <inheritdoc />
    public async ValueTask<EndPoint?> DetectAsync(CancellationToken cancellationToken)
    {
        if (ProxyEndPoint is { } known)
        {
            return known;
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        await _detectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (ProxyEndPoint is { } found)
            {
                return found;
            }

            var options = _options.Value;
            var ports = options.TorProxyPort is { } port ? [port] : DefaultPorts;
            foreach (var candidate in ports)
            {
                var endPoint = CreateEndPoint(options.TorProxyHost, candidate);
                if (await ProbeAsync(endPoint, options, cancellationToken).ConfigureAwait(false))
                {
                    Volatile.Write(ref _proxy, endPoint);
                    StopRetrying();
                    Log.ProxyDetected(_logger, endPoint);
                    return endPoint;
                }
            }

            Log.ProxyNotFound(_logger, options.TorProxyHost, string.Join(", ", ports), options.ProxyRetryInterval);
            StartRetrying(options.ProxyRetryInterval);
            return null;
        }
        finally
        {
            _detectLock.Release();
        }
    }

    /// <summary>Uses the given proxy from now on, without probing it.</summary>
    internal void SetProxy(EndPoint endPoint)
    {
        Volatile.Write(ref _proxy, endPoint);
        StopRetrying();
    }

    /// <inheritdoc />
    public async ValueTask<Stream> ConnectAsync(PeerHost host, int port, CancellationToken cancellationToken)
    {
        if (host.IsEmpty)
        {
            throw new ArgumentException("The destination needs a host.", nameof(host));
        }

        if (!PeerPorts.IsValidPort(port))
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "A port must be within 1 and 65535.");
        }

        var proxy = ProxyEndPoint ?? throw new ProxyException("No SOCKS5 proxy is known.");
        var options = _options.Value;
        var stream = await OpenAsync(proxy, cancellationToken).ConfigureAwait(false);
        try
        {
            await Socks5Protocol.NegotiateAsync(stream, options.ProxyUserName, options.ProxyPassword, cancellationToken).ConfigureAwait(false);
            await Socks5Protocol.ConnectAsync(stream, host, port, cancellationToken).ConfigureAwait(false);
            return stream;
        }
        catch (Exception ex)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException)
            {
                throw;
            }

            Log.ProxyConnectFailed(_logger, host.Value, port, proxy, ex);
            if (ex is ProxyException or IOException)
            {
                throw;
            }

            throw new IOException($"The connection to the proxy at {proxy} failed: {ex.Message}", ex);
        }
    }

    /// <summary>Stops looking for a proxy.</summary>
    /// <returns>A task that completes when the retry timer is stopped.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops looking for a proxy.</summary>
    public void Dispose()
    {
        lock (_timerGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _retryTimer?.Dispose();
            _retryTimer = null;
        }

        _lifetime.Cancel();
    }

    private static EndPoint CreateEndPoint(string host, int port)
        => IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);

    /// <summary>Opens a TCP connection to the proxy.</summary>
    /// <exception cref="IOException">The proxy cannot be reached.</exception>
    private static async ValueTask<NetworkStream> OpenAsync(EndPoint proxy, CancellationToken cancellationToken)
    {
        var socket = proxy is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : Socket.OSSupportsIPv6 ? new Socket(SocketType.Stream, ProtocolType.Tcp) : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        try
        {
            await socket.ConnectAsync(proxy, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new IOException($"Could not connect to the proxy at {proxy}: {ex.Message}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Whether the endpoint answers a SOCKS5 greeting (and the configured credentials).</summary>
    private async ValueTask<bool> ProbeAsync(EndPoint endPoint, PeerManagementOptions options, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(ProbeTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            var stream = await OpenAsync(endPoint, linked.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                await Socks5Protocol.NegotiateAsync(stream, options.ProxyUserName, options.ProxyPassword, linked.Token).ConfigureAwait(false);
                return true;
            }
        }
        catch (Exception ex) when (TransientFailure.Is(ex, cancellationToken))
        {
            Log.ProxyProbeFailed(_logger, options.TorProxyHost, endPoint is IPEndPoint ip ? ip.Port : ((DnsEndPoint)endPoint).Port, ex);
            return false;
        }
    }

    private void StartRetrying(TimeSpan interval)
    {
        lock (_timerGate)
        {
            if (_disposed || _retryTimer is not null)
            {
                return;
            }

            _retryTimer = _timeProvider.CreateTimer(static s => ((Socks5ProxyConnector)s!).Retry(), this, interval, interval);
        }
    }

    private void StopRetrying()
    {
        lock (_timerGate)
        {
            _retryTimer?.Dispose();
            _retryTimer = null;
        }
    }

    private void Retry()
    {
        _ = RetryAsync();

        async Task RetryAsync()
        {
            try
            {
                // A probe still running from the previous tick makes this one wait, not overlap.
                await DetectAsync(_lifetime.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Disposed.
            }
            catch (ObjectDisposedException)
            {
                // Disposed.
            }
            catch (Exception ex)
            {
                Log.ProxyDetectionFailed(_logger, ex);
            }
        }
    }
}
