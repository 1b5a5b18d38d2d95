using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PeerManagement.Tests.Connectivity;

/// <summary>
/// A TCP server on a loopback address and an OS-chosen port that runs a script per connection (by default it
/// echoes), optionally behind TLS.
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<Stream, CancellationToken, Task> _script;
    private readonly X509Certificate2? _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly ConcurrentBag<Task> _connections = [];

    public LoopbackServer(IPAddress? address = null, Func<Stream, CancellationToken, Task>? script = null, X509Certificate2? certificate = null, int port = 0)
    {
        _script = script ?? EchoAsync;
        _certificate = certificate;
        _listener = new TcpListener(address ?? IPAddress.Loopback, port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public int Port => EndPoint.Port;

    public ConcurrentQueue<IPEndPoint> Clients { get; } = new();

    /// <summary>Completes when the first connection has been accepted.</summary>
    public TaskCompletionSource FirstAccepted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task EchoAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
        }
    }

    public static async Task SilentAsync(Stream stream, CancellationToken cancellationToken)
        => await Task.Delay(Timeout.Infinite, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_connections).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch
            {
                return;
            }

            Clients.Enqueue((IPEndPoint)socket.RemoteEndPoint!);
            FirstAccepted.TrySetResult();
            _connections.Add(Task.Run(() => ServeAsync(socket)));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
                stream = ssl;
            }

            await _script(stream, _stop.Token);
        }
        catch
        {
            // The client went away or the server stopped.
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }
}

/// <summary>Self-signed certificates made in the test.</summary>
internal static class TestCertificates
{
    public static X509Certificate2 Create(string subject = "peer.test")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        // Through PKCS#12 so the private key is usable by the TLS server on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}

/// <summary>A resolver with fixed answers.</summary>
internal sealed class FakeResolver(params IPAddress[] addresses) : IHostNameResolver
{
    public List<string> Asked { get; } = [];

    public ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        Asked.Add(host);
        return ValueTask.FromResult<IReadOnlyList<IPAddress>>(addresses);
    }
}

/// <summary>A proxy connector that hands out a given stream or fails.</summary>
internal sealed class FakeProxy(Func<PeerHost, int, CancellationToken, ValueTask<Stream>> connect) : IProxyConnector
{
    public EndPoint? ProxyEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 9050);

    public ValueTask<EndPoint?> DetectAsync(CancellationToken cancellationToken) => ValueTask.FromResult(ProxyEndPoint);

    public ValueTask<Stream> ConnectAsync(PeerHost host, int port, CancellationToken cancellationToken) => connect(host, port, cancellationToken);

    public static FakeProxy Unknown() => new((_, _, _) => throw new ProxyException("No SOCKS5 proxy is known."));
}
