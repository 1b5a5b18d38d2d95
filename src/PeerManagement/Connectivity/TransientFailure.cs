using System.Net.Sockets;

namespace PeerManagement;

/// <summary>
/// The one classification of failures that come from the network or from the other side — a refused or broken
/// connection, a proxy refusal, a time-out, an error answer, a protocol violation of the transport — as opposed
/// to our own cancellation or a bug. Such a failure is a failed try of a peer, retried with the back-off.
/// </summary>
internal static class TransientFailure
{
    /// <summary>Whether <paramref name="exception"/> is such a failure; a cancellation counts only when <paramref name="ours"/> was not cancelled.</summary>
    public static bool Is(Exception exception, CancellationToken ours)
        => exception is PeerConnectionException or ProxyException or SocketException or IOException or TimeoutException
                or JsonRpcException or JsonRpcProtocolException or ObjectDisposedException
            || (exception is OperationCanceledException && !ours.IsCancellationRequested);
}
