using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// The default <see cref="IPeerConnector"/>: TCP to an IP literal (its family only) or to a host name (its IPv4
/// addresses first, then IPv6), optionally from a local address; TLS over <see cref="SslStream"/> without
/// certificate validation unless pins are configured; or a tunnel through the <see cref="IProxyConnector"/>.
/// The whole attempt, TLS included, is bounded by <see cref="PeerConnectorOptions.ConnectTimeout"/> (or
/// <see cref="PeerConnectorOptions.ProxyConnectTimeout"/> through the proxy). Unless
/// <see cref="PeerConnectorOptions.AllowNonPublicAddresses"/> is set, a non-public endpoint is refused and the
/// addresses a name resolves to that are not public are skipped; a name left with none fails the attempt.
/// </summary>
public sealed class TcpPeerConnector : IPeerConnector
{
    private readonly IOptions<PeerConnectorOptions> _options;
    private readonly IHostNameResolver _resolver;
    private readonly IProxyConnector _proxy;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Creates the connector.</summary>
    /// <param name="options">Timeouts, local address and pins.</param>
    /// <param name="resolver">Resolves host names for direct connections.</param>
    /// <param name="proxy">The proxy for connections that ask for it.</param>
    /// <param name="timeProvider">The clock of the timeouts.</param>
    /// <param name="logger">The logger; <see langword="null"/> logs nothing.</param>
    /// <exception cref="ArgumentNullException">A required argument is <see langword="null"/>.</exception>
    public TcpPeerConnector(
        IOptions<PeerConnectorOptions> options,
        IHostNameResolver resolver,
        IProxyConnector proxy,
        TimeProvider timeProvider,
        ILogger<TcpPeerConnector>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _resolver = resolver;
        _proxy = proxy;
        _timeProvider = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public async ValueTask<PeerConnection> ConnectAsync(PeerEndpoint endpoint, bool useProxy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        cancellationToken.ThrowIfCancellationRequested();
        var options = _options.Value;
        if (endpoint.Host.IsOnion && !useProxy)
        {
            throw new PeerConnectionException($"{endpoint} is an onion address and can only be reached through the proxy.");
        }

        // Defence in depth: the manager filters non-public hosts too, but a connector must not be the way around it.
        if (!options.AllowNonPublicAddresses && !endpoint.Host.IsPublic)
        {
            var reason = endpoint.Host.IsIPAddress
                ? $"{endpoint.Host} is not a public address, and non-public peers are not allowed"
                : $"{endpoint.Host} is a single-label name, not public, and non-public peers are not allowed";
            Log.NonPublicDestinationRefused(_logger, endpoint, reason);
            throw new PeerConnectionException($"Connecting to {endpoint} is refused: {reason}.");
        }

        var timeout = useProxy ? options.ProxyConnectTimeout : options.ConnectTimeout;
        var started = _timeProvider.GetTimestamp();
        using var deadline = new CancellationTokenSource(timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        Stream? stream = null;
        try
        {
            IPAddress? remote = null;
            if (useProxy)
            {
                stream = await _proxy.ConnectAsync(endpoint.Host, endpoint.Port, linked.Token).ConfigureAwait(false);
            }
            else
            {
                (stream, remote) = await ConnectDirectAsync(endpoint, options, linked.Token).ConfigureAwait(false);
            }

            string? serverKey = null;
            if (endpoint.Transport == PeerTransport.Ssl)
            {
                var ssl = await AuthenticateAsync(stream, endpoint, options, linked.Token).ConfigureAwait(false);
                stream = ssl;
                serverKey = ssl.RemoteCertificate is { } presented ? ServerKeyOf(presented) : null;
            }

            Log.Connected(_logger, endpoint, remote?.ToString() ?? "proxy", _timeProvider.GetElapsedTime(started).TotalMilliseconds);
            return new PeerConnection(stream, remote, useProxy) { ServerKey = serverKey };
        }
        catch (Exception ex)
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            Log.ConnectFailed(_logger, endpoint, ex);
            throw ex switch
            {
                PeerConnectionException => ex,
                OperationCanceledException => new PeerConnectionException(
                    $"Connecting to {endpoint} timed out after {timeout.TotalSeconds:0.###} s.", new TimeoutException("The connect timeout elapsed.", ex)),
                _ => new PeerConnectionException($"Could not connect to {endpoint}: {ex.Message}", ex),
            };
        }
    }

    private async ValueTask<(Stream Stream, IPAddress Address)> ConnectDirectAsync(PeerEndpoint endpoint, PeerConnectorOptions options, CancellationToken cancellationToken)
    {
        IReadOnlyList<IPAddress> addresses;
        if (endpoint.Host.Address is { } literal)
        {
            addresses = [literal];
        }
        else
        {
            var resolved = await _resolver.ResolveAsync(endpoint.Host.Value, cancellationToken).ConfigureAwait(false);
            var usable = UsableAddresses(endpoint, resolved, options.AllowNonPublicAddresses);

            // IPv4 first, then IPv6, each in the resolver's order.
            addresses = [.. usable.Where(a => a.AddressFamily == AddressFamily.InterNetwork),
                .. usable.Where(a => a.AddressFamily == AddressFamily.InterNetworkV6)];
        }

        var local = options.LocalAddress is { } text ? IPAddress.Parse(text) : null;
        Exception? last = null;
        foreach (var address in addresses)
        {
            if (local is not null && local.AddressFamily != address.AddressFamily)
            {
                last ??= new PeerConnectionException($"{address} cannot be reached from the local address {local} (another address family).");
                continue;
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                if (local is not null)
                {
                    socket.Bind(new IPEndPoint(local, 0));
                }

                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken).ConfigureAwait(false);
                return (new NetworkStream(socket, ownsSocket: true), address);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last is PeerConnectionException ? last : new PeerConnectionException($"Could not connect to {endpoint}: {last!.Message}", last);
    }

    /// <summary>
    /// The resolved addresses we may connect to: a name is only as public as what it resolves to (a DNS record, a
    /// hosts file or a resolver quirk can point anywhere), so every address passes the rules of a literal.
    /// </summary>
    private List<IPAddress> UsableAddresses(PeerEndpoint endpoint, IReadOnlyList<IPAddress> resolved, bool allowNonPublic)
    {
        var usable = new List<IPAddress>(resolved.Count);
        var skipped = new List<IPAddress>();
        foreach (var found in resolved)
        {
            var address = PeerAddress.Normalize(found);
            if (address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
                && PeerHost.IsValidAddress(address)
                && (allowNonPublic || PeerHost.IsPublicAddress(address)))
            {
                usable.Add(address);
            }
            else
            {
                Log.ResolvedAddressSkipped(_logger, endpoint, address);
                skipped.Add(address);
            }
        }

        if (usable.Count > 0)
        {
            return usable;
        }

        if (skipped.Count == 0)
        {
            throw new PeerConnectionException($"{endpoint.Host} does not resolve to an address.");
        }

        const int Shown = 8;
        var list = string.Join(", ", skipped.Take(Shown)) + (skipped.Count > Shown ? $" and {skipped.Count - Shown} more" : string.Empty);
        var reason = allowNonPublic
            ? $"{endpoint.Host} resolves only to addresses that cannot be peers (multicast or unspecified): {list}"
            : $"{endpoint.Host} resolves only to non-public addresses: {list}; non-public peers are not allowed";
        Log.NonPublicDestinationRefused(_logger, endpoint, reason);
        throw new PeerConnectionException($"Connecting to {endpoint} is refused: {reason}.");
    }

    private static string ServerKeyOf(X509Certificate certificate)
    {
        if (certificate is X509Certificate2 presented)
        {
            return CertificatePins.GetPublicKeySha256(presented);
        }

        using var loaded = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return CertificatePins.GetPublicKeySha256(loaded);
    }

    private async ValueTask<SslStream> AuthenticateAsync(Stream stream, PeerEndpoint endpoint, PeerConnectorOptions options, CancellationToken cancellationToken)
    {
        var pins = PinsFor(endpoint.Host, options);
        string? mismatch = null;
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        var authentication = new SslClientAuthenticationOptions
        {
            // No SNI for an IP literal (TLS does not allow it).
            TargetHost = endpoint.Host.IsIPAddress ? string.Empty : endpoint.Host.Value,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                if (pins.Count == 0)
                {
                    return true;
                }

                if (certificate is null)
                {
                    mismatch = "(none)";
                    return false;
                }

                var cert = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                var certificateHash = CertificatePins.GetCertificateSha256(cert);
                if (pins.Contains(certificateHash) || pins.Contains(CertificatePins.GetPublicKeySha256(cert)))
                {
                    return true;
                }

                mismatch = certificateHash;
                return false;
            },
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(authentication, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (mismatch is not null && ex is AuthenticationException)
            {
                Log.CertificatePinMismatch(_logger, endpoint, mismatch);
                throw new PeerConnectionException($"The TLS certificate of {endpoint} (SHA-256 {mismatch}) matches none of its pins.", ex);
            }

            throw;
        }
    }

    private static HashSet<string> PinsFor(PeerHost host, PeerConnectorOptions options)
    {
        IEnumerable<string> pins = options.HostCertificatePins.TryGetValue(host.Value, out var own) ? CertificatePins.Split(own) : options.CertificatePins;
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pin in pins)
        {
            if (CertificatePins.Normalize(pin) is { } normalized)
            {
                set.Add(normalized);
            }
        }

        return set;
    }
}
