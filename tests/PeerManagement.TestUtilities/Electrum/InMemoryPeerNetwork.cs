using System.Collections.Concurrent;
using System.Net;

namespace PeerManagement.TestUtilities.Electrum;

/// <summary>
/// A network of scripted peers: an <see cref="IPeerConnector"/> that "connects" to a peer by host and port, and an
/// <see cref="IJsonRpcSessionFactory"/> that hands out a <see cref="FakeJsonRpcSession"/> for that peer.
/// </summary>
public sealed class InMemoryPeerNetwork : IPeerConnector, IJsonRpcSessionFactory
{
    private readonly ConcurrentDictionary<PeerHost, ScriptedElectrumPeer> _peers = new();
    private readonly ConcurrentQueue<(PeerEndpoint Endpoint, bool ViaProxy)> _attempts = new();
    private readonly ConcurrentQueue<FakeJsonRpcSession> _sessions = new();
    private readonly TimeProvider _timeProvider;

    public InMemoryPeerNetwork(TimeProvider timeProvider) => _timeProvider = timeProvider;

    public IReadOnlyList<(PeerEndpoint Endpoint, bool ViaProxy)> Attempts => [.. _attempts];

    public IReadOnlyList<FakeJsonRpcSession> Sessions => [.. _sessions];

    public int OpenSessions => _sessions.Count(s => !s.IsDisposed);

    public ScriptedElectrumPeer Add(ScriptedElectrumPeer peer)
    {
        _peers[peer.Host] = peer;
        return peer;
    }

    public ScriptedElectrumPeer this[string host] => _peers[PeerHost.Parse(host)];

    public IReadOnlyList<(PeerEndpoint Endpoint, bool ViaProxy)> AttemptsTo(string host)
        => [.. _attempts.Where(a => a.Endpoint.Host == PeerHost.Parse(host))];

    public ValueTask<PeerConnection> ConnectAsync(PeerEndpoint endpoint, bool useProxy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        cancellationToken.ThrowIfCancellationRequested();
        _attempts.Enqueue((endpoint, useProxy));
        if (!_peers.TryGetValue(endpoint.Host, out var peer) || !peer.Reachable
            || (peer.ReachablePorts is { } ports && !ports.Contains(endpoint.Port)))
        {
            throw new PeerConnectionException($"connection to {endpoint} refused");
        }

        return ValueTask.FromResult(new PeerConnection(new PeerStream(peer), useProxy ? null : peer.Address, useProxy) { ServerKey = peer.ServerKey });
    }

    public IJsonRpcSession Create(Stream stream, JsonRpcSessionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(settings);
        var peer = (stream as PeerStream ?? throw new ArgumentException("not a stream of this network", nameof(stream))).Peer;
        var session = new FakeJsonRpcSession(peer, settings, _timeProvider);
        _sessions.Enqueue(session);
        return session;
    }

    /// <summary>A stream that only names the peer it leads to; sessions never read or write it.</summary>
    private sealed class PeerStream(ScriptedElectrumPeer peer) : Stream
    {
        public ScriptedElectrumPeer Peer { get; } = peer;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
        }
    }
}

/// <summary>A proxy that is known (or not) and never tunnels anywhere itself: the network handles proxied connects.</summary>
public sealed class FakeProxyConnector : IProxyConnector
{
    public EndPoint? ProxyEndPoint { get; set; }

    /// <summary>What the next detection finds.</summary>
    public EndPoint? Detectable { get; set; }

    public int Detections { get; private set; }

    public ValueTask<EndPoint?> DetectAsync(CancellationToken cancellationToken)
    {
        Detections++;
        ProxyEndPoint ??= Detectable;
        return ValueTask.FromResult(ProxyEndPoint);
    }

    public ValueTask<Stream> ConnectAsync(PeerHost host, int port, CancellationToken cancellationToken)
        => throw new ProxyException("the fake proxy does not tunnel");
}

/// <summary>A resolver with a fixed table.</summary>
public sealed class FakeHostNameResolver : IHostNameResolver
{
    public ConcurrentDictionary<string, IPAddress[]> Names { get; } = new(StringComparer.OrdinalIgnoreCase);

    public ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
        => ValueTask.FromResult<IReadOnlyList<IPAddress>>(Names.TryGetValue(host, out var addresses) ? addresses : []);
}
