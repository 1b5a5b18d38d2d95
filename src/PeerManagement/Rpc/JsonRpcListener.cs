using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PeerManagement;

/// <summary>
/// Accepts TCP (or TLS) connections and runs one JSON-RPC session per connection, answered by the host's
/// <see cref="IJsonRpcRequestHandler"/> (which sees each session's <see cref="IJsonRpcSession.RemoteEndPoint"/>).
/// Bounds the number of open sessions (in all, per address and per network), the TLS handshake time and idle
/// sessions; stopping closes every session, in bounded time whatever the clients do.
/// Usable as a hosted service.
/// </summary>
public sealed class JsonRpcListener : IHostedService, IAsyncDisposable
{
    private readonly JsonRpcListenerOptions _options;
    private readonly IJsonRpcRequestHandler _handler;
    private readonly IJsonRpcSessionFactory _sessionFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _connections = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ListenerAdmission _admission;
    private Socket? _socket;
    private IPEndPoint? _localEndPoint;
    private Task? _accepting;
    private int _sessionCount;
    private bool _stopped;

    /// <summary>Creates a listener; nothing is bound until <see cref="StartAsync"/>.</summary>
    /// <param name="options">Where and how to listen; copied.</param>
    /// <param name="handler">Answers the calls of every session (e.g. the peer methods, behind a rate limiter).</param>
    /// <param name="sessionFactory">Runs the sessions.</param>
    /// <param name="timeProvider">The clock of handshake and idle timeouts; <see langword="null"/> for the system clock.</param>
    /// <param name="logger">The logger; <see langword="null"/> logs nothing.</param>
    /// <exception cref="ArgumentNullException">A required argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range (sessions, per address or per network, below 1; timeouts not positive).</exception>
    public JsonRpcListener(
        JsonRpcListenerOptions options,
        IJsonRpcRequestHandler handler,
        IJsonRpcSessionFactory sessionFactory,
        TimeProvider? timeProvider = null,
        ILogger<JsonRpcListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(sessionFactory);
        ArgumentNullException.ThrowIfNull(options.EndPoint, nameof(options.EndPoint));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSessions, 1, nameof(options.MaxSessions));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSessionsPerAddress, 1, nameof(options.MaxSessionsPerAddress));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSessionsPerNetwork, 1, nameof(options.MaxSessionsPerNetwork));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.HandshakeTimeout, TimeSpan.Zero, nameof(options.HandshakeTimeout));
        if (options.IdleTimeout <= TimeSpan.Zero && options.IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.IdleTimeout, "IdleTimeout must be positive or infinite.");
        }

        _options = new JsonRpcListenerOptions
        {
            EndPoint = options.EndPoint,
            Certificate = options.Certificate,
            MaxSessions = options.MaxSessions,
            MaxSessionsPerAddress = options.MaxSessionsPerAddress,
            MaxSessionsPerNetwork = options.MaxSessionsPerNetwork,
            HandshakeTimeout = options.HandshakeTimeout,
            IdleTimeout = options.IdleTimeout,
            RequestTimeout = options.RequestTimeout,
        };
        _admission = new ListenerAdmission(options.MaxSessions, options.MaxSessionsPerAddress, options.MaxSessionsPerNetwork);
        _handler = handler;
        _sessionFactory = sessionFactory;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Refuses connections from the addresses it answers <see langword="true"/> for (set by <see cref="PeerManager.GuardListener"/>).</summary>
    internal Func<IPAddress, bool>? RefuseRemote { get; set; }

    /// <summary>Closes the sessions whose remote address <paramref name="match"/> answers <see langword="true"/> for.</summary>
    /// <returns>How many were closed.</returns>
    internal int CloseSessions(Func<IPAddress, bool> match)
    {
        List<ListenerAdmission.Entry> closing;
        lock (_gate)
        {
            closing = [.. _admission.Entries.Where(e => e.Remote is IPEndPoint ip && match(ip.Address))];
        }

        foreach (var entry in closing)
        {
            // The same path as an eviction: the session ends and its slot is freed.
            entry.Evict();
        }

        return closing.Count;
    }

    /// <summary>The bound address and port once started (with the port the system picked), else <see langword="null"/>.</summary>
    public IPEndPoint? LocalEndPoint => _localEndPoint;

    /// <summary>The transport spoken: <see cref="PeerTransport.Ssl"/> when a certificate is set.</summary>
    public PeerTransport Transport => _options.Certificate is null ? PeerTransport.Tcp : PeerTransport.Ssl;

    /// <summary>The number of open sessions (TLS handshakes in progress included).</summary>
    public int SessionCount => Volatile.Read(ref _sessionCount);

    /// <summary>Raised after <see cref="SessionCount"/> changed, on the thread that changed it (for tests to wait on).</summary>
    internal event Action? SessionCountChanged;

    /// <summary>Binds the endpoint and starts accepting connections.</summary>
    /// <param name="cancellationToken">Not used; binding does not wait.</param>
    /// <returns>A completed task.</returns>
    /// <exception cref="InvalidOperationException">The listener was already started or stopped.</exception>
    /// <exception cref="SocketException">The endpoint cannot be bound (e.g. the port is in use).</exception>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_socket is not null || _stopped)
            {
                throw new InvalidOperationException("A listener starts once.");
            }

            var socket = new Socket(_options.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                // IPv6 "any", or an IPv4 address written IPv4-mapped: the socket also takes IPv4 callers.
                if (_options.EndPoint.Address.Equals(IPAddress.IPv6Any) || _options.EndPoint.Address.IsIPv4MappedToIPv6)
                {
                    socket.DualMode = true;
                }

                socket.Bind(_options.EndPoint);
                socket.Listen();
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _socket = socket;
            _localEndPoint = (IPEndPoint)socket.LocalEndPoint!;
            _accepting = AcceptAsync(socket);
        }

        Log.ListenerStarted(_logger, LocalEndPoint!, Transport);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops accepting and closes every session (pending requests fail, handlers are cancelled). Idempotent. Bounded
    /// whatever the clients do: each session closes its connection after <see cref="JsonRpcOptions.CloseGrace"/>.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the sessions to wind down.</param>
    /// <returns>A task that completes when every session is closed.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the sessions closed.</exception>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        bool first;
        Task? accepting;
        lock (_gate)
        {
            first = !_stopped;
            _stopped = true;
            accepting = _accepting;
        }

        if (first)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            _socket?.Dispose();
        }

        if (accepting is not null)
        {
            await accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        Task[] connections;
        lock (_gate)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
        if (first && _localEndPoint is { } bound)
        {
            Log.ListenerStopped(_logger, bound);
        }
    }

    /// <summary>Stops the listener (see <see cref="StopAsync"/>).</summary>
    /// <returns>A task that completes when every session is closed.</returns>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private async Task AcceptAsync(Socket listener)
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex) when (token.IsCancellationRequested && ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Such as a connection reset before it was accepted: keep accepting.
                Log.ListenerAcceptFailed(_logger, _options.EndPoint, ex);
                continue;
            }

            if (!Admit(socket, out var entry))
            {
                socket.Dispose();
                continue;
            }

            Interlocked.Increment(ref _sessionCount);
            SessionCountChanged?.Invoke();
            socket.NoDelay = true;
            lock (_gate)
            {
                var connection = RunAsync(socket, entry, token);
                if (!connection.IsCompleted)
                {
                    _connections.Add(connection);
                    _ = connection.ContinueWith(Forget, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }
        }

        static void Forget(Task connection, object? state)
        {
            var listener = (JsonRpcListener)state!;
            lock (listener._gate)
            {
                listener._connections.Remove(connection);
            }
        }
    }

    private bool Admit(Socket socket, out ListenerAdmission.Entry entry)
    {
        EndPoint? remote;
        try
        {
            remote = RemoteEndPoints.Normalize(socket.RemoteEndPoint);
        }
        catch (SocketException)
        {
            // Gone before we looked.
            entry = null!;
            return false;
        }

        if (RefuseRemote is { } refuse && remote is IPEndPoint { Address: var address } && refuse(address))
        {
            Log.ListenerRefusedBanned(_logger, remote.ToString()!);
            entry = null!;
            return false;
        }

        ListenerAdmission.Outcome outcome;
        ListenerAdmission.Entry? admitted;
        ListenerAdmission.Entry? evicted;
        lock (_gate)
        {
            outcome = _admission.TryAdmit(remote, _timeProvider.GetTimestamp(), out admitted, out evicted);
        }

        entry = admitted!;
        switch (outcome)
        {
            case ListenerAdmission.Outcome.Admitted:
                if (evicted is not null)
                {
                    Log.ListenerEvicted(_logger, evicted.Remote, remote);
                    evicted.Evict();
                }

                return true;
            case ListenerAdmission.Outcome.AddressFull:
                Log.ListenerPrefixFull(_logger, remote, "address", ListenerAdmission.AddressOf(remote), _options.MaxSessionsPerAddress);
                return false;
            case ListenerAdmission.Outcome.NetworkFull:
                Log.ListenerPrefixFull(_logger, remote, "network", ListenerAdmission.NetworkOf(remote), _options.MaxSessionsPerNetwork);
                return false;
            default:
                Log.ListenerFull(_logger, remote, _options.MaxSessions);
                return false;
        }
    }

    private async Task RunAsync(Socket socket, ListenerAdmission.Entry entry, CancellationToken token)
    {
        await Task.Yield();

        // Normalised here, at the edge, so that every handler (and any session factory) sees one form of the address.
        var remote = RemoteEndPoints.Normalize(socket.RemoteEndPoint);
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        IJsonRpcSession? session = null;
        try
        {
            if (_options.Certificate is { } certificate)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                using var deadline = new CancellationTokenSource(_options.HandshakeTimeout, _timeProvider);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, deadline.Token);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, linked.Token).ConfigureAwait(false);
            }

            var settings = new JsonRpcSessionSettings { RemoteEndPoint = remote, RequestHandler = _handler, RequestTimeout = _options.RequestTimeout };
            if (_sessionFactory is JsonRpcSessionFactory ours)
            {
                var created = ours.Create(stream, settings, _options.IdleTimeout);
                entry.Session = created;
                session = created;
            }
            else
            {
                session = _sessionFactory.Create(stream, settings);
            }

            // Stopping the listener, or making room for a newcomer, ends the session.
            using var end = CancellationTokenSource.CreateLinkedTokenSource(token, entry.Evicted);
            await session.Completion.WaitAsync(end.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (Exception ex) when (session is null)
        {
            // Handshake failed, timed out, or the listener stopped during it.
            if (!token.IsCancellationRequested)
            {
                Log.ListenerHandshakeFailed(_logger, remote, ex);
            }
        }
        finally
        {
            if (session is not null)
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            lock (_gate)
            {
                _admission.Remove(entry);
            }

            Interlocked.Decrement(ref _sessionCount);
            SessionCountChanged?.Invoke();
        }
    }
}
