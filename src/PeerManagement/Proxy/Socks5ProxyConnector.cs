using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// The default <see cref="IProxyConnector"/>: SOCKS5 (RFC 1928) with no authentication or with
/// <see cref="ProxyOptions.ProxyUserName"/>/<see cref="ProxyOptions.ProxyPassword"/> (RFC 1929), sending host
/// names to the proxy. Each call of <see cref="DetectAsync"/> looks for the proxy once, at
/// <see cref="ProxyOptions.TorProxyHost"/> on <see cref="ProxyOptions.TorProxyPort"/>, or on 9050, 9150 and 1080
/// when no port is set, with a real SOCKS5 greeting (an open port that does not answer it is not a proxy), each
/// probe bounded by <see cref="ProxyOptions.ProbeTimeout"/>. It never looks again by itself: the
/// <see cref="PeerManager"/> does, every <see cref="ProxyOptions.ProxyRetryInterval"/> while none is found.
/// Connecting through the proxy has no timeout of its own: the caller's token bounds it
/// (<see cref="PeerConnectorOptions.ProxyConnectTimeout"/> in <see cref="TcpPeerConnector"/>).
/// </summary>
public sealed class Socks5ProxyConnector : IProxyConnector
{
    /// <summary>The ports probed when no port is configured: Tor daemon, Tor Browser, the SOCKS default.</summary>
    internal static readonly int[] DefaultPorts = [9050, 9150, 1080];

    private readonly IOptions<ProxyOptions> _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    // Concurrent looks wait for each other, so one finding the proxy spares the others a probe.
    private readonly SemaphoreSlim _detectLock = new(1, 1);
    private EndPoint? _proxy;

    /// <summary>Creates the connector.</summary>
    /// <param name="options">Where to look for the proxy, the credentials and the probe timeout.</param>
    /// <param name="timeProvider">The clock of probe timeouts.</param>
    /// <param name="logger">The logger; <see langword="null"/> logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or <paramref name="timeProvider"/> is <see langword="null"/>.</exception>
    public Socks5ProxyConnector(IOptions<ProxyOptions> options, TimeProvider timeProvider, ILogger<Socks5ProxyConnector>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _timeProvider = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public EndPoint? ProxyEndPoint => Volatile.Read(ref _proxy);

    /// <inheritdoc />
    public async ValueTask<EndPoint?> DetectAsync(CancellationToken cancellationToken)
    {
        if (ProxyEndPoint is { } known)
        {
            return known;
        }

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
                    Log.ProxyDetected(_logger, endPoint);
                    return endPoint;
                }
            }

            Log.ProxyNotFound(_logger, options.TorProxyHost, string.Join(", ", ports));
            return null;
        }
        finally
        {
            _detectLock.Release();
        }
    }

    /// <summary>Uses the given proxy from now on, without probing it.</summary>
    internal void SetProxy(EndPoint endPoint) => Volatile.Write(ref _proxy, endPoint);

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
    private async ValueTask<bool> ProbeAsync(EndPoint endPoint, ProxyOptions options, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(options.ProbeTimeout, _timeProvider);
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
}
