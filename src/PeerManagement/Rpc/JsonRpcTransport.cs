using System.IO.Pipelines;

namespace PeerManagement;

/// <summary>
/// What a session reads from and writes to: a stream (a socket, TLS, a SOCKS tunnel) or a duplex pipe, which the
/// session then reads and writes directly, without a stream adapter allocating on every read.
/// </summary>
internal abstract class JsonRpcTransport
{
    /// <summary>The bytes the remote party sends.</summary>
    public abstract PipeReader Input { get; }

    /// <summary>Sends the bytes; completes when the transport has taken them (written and flushed).</summary>
    /// <exception cref="IOException">The transport failed or is closed.</exception>
    public abstract ValueTask SendAsync(ReadOnlyMemory<byte> bytes);

    /// <summary>Closes the transport: tells the remote party and ends a pending read or write. Idempotent.</summary>
    public abstract void Close();
}
