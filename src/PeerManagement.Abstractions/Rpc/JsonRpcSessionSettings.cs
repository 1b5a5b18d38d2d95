using System.Net;

namespace PeerManagement;

/// <summary>How to run one JSON-RPC session.</summary>
public sealed record JsonRpcSessionSettings
{
    /// <summary>The remote party's address, when known (a listener's handlers need it).</summary>
    public EndPoint? RemoteEndPoint { get; init; }

    /// <summary>Answers incoming calls; <see langword="null"/> refuses every request with <see cref="JsonRpcErrorCodes.MethodNotFound"/> and ignores notifications.</summary>
    public IJsonRpcRequestHandler? RequestHandler { get; init; }

    /// <summary>How long a request may wait for its answer; <see langword="null"/> uses the configured default.</summary>
    public TimeSpan? RequestTimeout { get; init; }
}
