using System.Net;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>Log lines of the transport (2xx: JSON-RPC sessions, connector, listener) and the proxy (3xx).</summary>
internal static partial class Log
{
    [LoggerMessage(200, LogLevel.Debug, "JSON-RPC session with {RemoteEndPoint} closed")]
    public static partial void SessionClosed(ILogger logger, EndPoint? remoteEndPoint);

    [LoggerMessage(201, LogLevel.Debug, "JSON-RPC session with {RemoteEndPoint} closed on an error")]
    public static partial void SessionFailed(ILogger logger, EndPoint? remoteEndPoint, Exception exception);

    [LoggerMessage(202, LogLevel.Debug, "Dropped an answer with unknown id {Id} from {RemoteEndPoint}")]
    public static partial void UnknownResponseId(ILogger logger, string id, EndPoint? remoteEndPoint);

    [LoggerMessage(203, LogLevel.Debug, "Answered an invalid JSON-RPC message from {RemoteEndPoint} with error {Code}: {Reason}")]
    public static partial void InvalidMessage(ILogger logger, EndPoint? remoteEndPoint, int code, string reason);

    [LoggerMessage(204, LogLevel.Warning, "Handler of '{Method}' from {RemoteEndPoint} failed; answered with an internal error")]
    public static partial void HandlerFailed(ILogger logger, string method, EndPoint? remoteEndPoint, Exception exception);

    [LoggerMessage(210, LogLevel.Debug, "Connected to {Endpoint} at {Address} in {DurationMs:F0} ms")]
    public static partial void Connected(ILogger logger, PeerEndpoint endpoint, string address, double durationMs);

    [LoggerMessage(211, LogLevel.Debug, "Could not connect to {Endpoint}")]
    public static partial void ConnectFailed(ILogger logger, PeerEndpoint endpoint, Exception exception);

    [LoggerMessage(212, LogLevel.Warning, "TLS certificate of {Endpoint} does not match a configured pin (SHA-256 {CertificateHash})")]
    public static partial void CertificatePinMismatch(ILogger logger, PeerEndpoint endpoint, string certificateHash);

    [LoggerMessage(220, LogLevel.Information, "Listening for JSON-RPC sessions on {EndPoint} ({Transport})")]
    public static partial void ListenerStarted(ILogger logger, EndPoint endPoint, PeerTransport transport);

    [LoggerMessage(221, LogLevel.Information, "Stopped listening on {EndPoint}")]
    public static partial void ListenerStopped(ILogger logger, EndPoint endPoint);

    [LoggerMessage(222, LogLevel.Warning, "Refused a connection from {RemoteEndPoint}: {MaxSessions} sessions are open")]
    public static partial void ListenerFull(ILogger logger, EndPoint? remoteEndPoint, int maxSessions);

    [LoggerMessage(223, LogLevel.Debug, "TLS handshake with {RemoteEndPoint} failed")]
    public static partial void ListenerHandshakeFailed(ILogger logger, EndPoint? remoteEndPoint, Exception exception);

    [LoggerMessage(224, LogLevel.Error, "Accepting connections on {EndPoint} failed")]
    public static partial void ListenerAcceptFailed(ILogger logger, EndPoint endPoint, Exception exception);

    [LoggerMessage(270, LogLevel.Information, "Refused to connect to {Endpoint}: {Reason}")]
    public static partial void NonPublicDestinationRefused(ILogger logger, PeerEndpoint endpoint, string reason);

    [LoggerMessage(271, LogLevel.Debug, "Skipped address {Address} of {Endpoint}: it is not public or cannot be a peer")]
    public static partial void ResolvedAddressSkipped(ILogger logger, PeerEndpoint endpoint, IPAddress address);

    [LoggerMessage(230, LogLevel.Debug, "Refused a batch from {RemoteEndPoint} with more than {MaxBatchCalls} calls")]
    public static partial void BatchTooLarge(ILogger logger, EndPoint? remoteEndPoint, int maxBatchCalls);

    [LoggerMessage(231, LogLevel.Debug, "Refused a connection from {RemoteEndPoint}: its {Scope} {Prefix} holds {Count} sessions, the limit")]
    public static partial void ListenerPrefixFull(ILogger logger, EndPoint? remoteEndPoint, string scope, NetworkPrefix prefix, int count);

    [LoggerMessage(232, LogLevel.Information, "Closed the session of {VictimEndPoint} (idle longest, of the network holding the most sessions) to admit {RemoteEndPoint}")]
    public static partial void ListenerEvicted(ILogger logger, EndPoint? victimEndPoint, EndPoint? remoteEndPoint);

    [LoggerMessage(300, LogLevel.Debug, "SOCKS5 proxy detected at {ProxyEndPoint}")]
    public static partial void ProxyDetected(ILogger logger, EndPoint proxyEndPoint);

    [LoggerMessage(301, LogLevel.Debug, "No SOCKS5 proxy found at {Host} on ports {Ports}")]
    public static partial void ProxyNotFound(ILogger logger, string host, string ports);

    [LoggerMessage(302, LogLevel.Debug, "{Host}:{Port} is not a SOCKS5 proxy")]
    public static partial void ProxyProbeFailed(ILogger logger, string host, int port, Exception exception);

    [LoggerMessage(303, LogLevel.Debug, "SOCKS5 tunnel to {Host}:{Port} through {ProxyEndPoint} failed")]
    public static partial void ProxyConnectFailed(ILogger logger, string host, int port, EndPoint proxyEndPoint, Exception exception);
}
