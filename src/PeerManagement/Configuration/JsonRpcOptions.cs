using System.ComponentModel.DataAnnotations;

namespace PeerManagement;

/// <summary>
/// Settings of the JSON-RPC sessions made by <see cref="JsonRpcSessionFactory"/> (to peers we check and from
/// clients of a listener): the longest message, the default request timeout, and the bounds on what a remote party
/// can make a session hold. Set with <c>ConfigureJsonRpc</c>; validated at start.
/// </summary>
public sealed class JsonRpcOptions
{
    /// <summary>A JSON-RPC message (one line) longer than this closes the session. Default: 1 MiB.</summary>
    [Range(1024, 1073741824)]
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Timeout of each request a session sends, unless <see cref="JsonRpcSessionSettings.RequestTimeout"/> gives
    /// another (the manager's checks give <see cref="PeerManagementOptions.RequestTimeout"/> or
    /// <see cref="PeerManagementOptions.ProxyRequestTimeout"/>). Default: 30 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A write to a session must finish within this time; a remote party that stops reading for longer fails the
    /// session, which closes its connection. Default: 30 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Closing a session waits at most this long for its last answers to be written and its handlers to end, then
    /// closes the connection whatever the remote party does. Default: 2 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan CloseGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A batch with more calls than this is refused whole with one "Batch too large" error and not handled. Default: 100.</summary>
    [Range(1, 100000)]
    public int MaxBatchCalls { get; set; } = 100;

    /// <summary>
    /// At most this many incoming calls of one session (each call of a batch counted) are handled at once; the
    /// session reads nothing more until one ends. Default: 16.
    /// </summary>
    [Range(1, 4096)]
    public int MaxCallsInFlight { get; set; } = 16;

    /// <summary>
    /// Received messages of one session still being handled may hold at most this many bytes (one message is
    /// always let through); the session reads nothing more until some are answered. Default: 2 MiB.
    /// </summary>
    [Range(1024, 1073741824)]
    public int MaxBytesInFlight { get; set; } = 2 * 1024 * 1024;

    /// <summary>
    /// At most this many bytes of answers may wait to be sent on one session (one message is always let through);
    /// a session over it, whose remote party does not read, is closed. Default: 4 MiB.
    /// </summary>
    [Range(1024, 1073741824)]
    public int MaxUnsentBytes { get; set; } = 4 * 1024 * 1024;
}
