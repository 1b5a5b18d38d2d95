using System.Net;

namespace PeerManagement;

/// <summary>An open connection to a peer: the stream to speak on and where it leads.</summary>
public sealed class PeerConnection : IAsyncDisposable
{
    /// <summary>Creates a connection.</summary>
    /// <param name="stream">The stream (TLS already negotiated when the endpoint asked for it).</param>
    /// <param name="remoteAddress">The peer's IP address, or <see langword="null"/> when reached through a proxy.</param>
    /// <param name="viaProxy"><see langword="true"/> when the connection goes through a proxy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is <see langword="null"/>.</exception>
    public PeerConnection(Stream stream, IPAddress? remoteAddress, bool viaProxy)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Stream = stream;
        RemoteAddress = remoteAddress;
        ViaProxy = viaProxy;
    }

    /// <summary>The stream to speak on; disposing the connection disposes it.</summary>
    public Stream Stream { get; }

    /// <summary>The peer's IP address, or <see langword="null"/> when reached through a proxy.</summary>
    public IPAddress? RemoteAddress { get; }

    /// <summary><see langword="true"/> when the connection goes through a proxy.</summary>
    public bool ViaProxy { get; }

    /// <summary>
    /// The SHA-256 of the public key (DER SubjectPublicKeyInfo) the peer presented over TLS, as upper-case hex — the
    /// form certificate pins take — or <see langword="null"/> over plain TCP. Hosts presenting one key are one
    /// operator (<see cref="PeerRecord.ServerKeyId"/>).
    /// </summary>
    public string? ServerKey { get; init; }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}
