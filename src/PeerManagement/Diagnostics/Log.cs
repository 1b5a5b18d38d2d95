using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// Every log line of the library, with a fixed event id. Ranges by capability: 1xx manager and peers, 2xx
/// transport, 3xx proxy, 4xx blacklist, 5xx storage, 6xx rate limiting. Other capabilities add their lines in
/// their own file of this partial class, in their range.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Information, "Peer discovery {Mode}; announce {Announce}; own clearnet identity {Identity}; proxy forced {ForceProxy}")]
    public static partial void DiscoveryStarting(ILogger logger, PeerDiscoveryMode mode, bool announce, string identity, bool forceProxy);

    [LoggerMessage(101, LogLevel.Information, "Accepted peer {Host} from {Source}")]
    public static partial void PeerAccepted(ILogger logger, string host, string source);

    [LoggerMessage(102, LogLevel.Information, "Forgetting peer {Host} after {Tries} failed tries")]
    public static partial void PeerForgotten(ILogger logger, string host, int tries);

    [LoggerMessage(103, LogLevel.Warning, "Peer {Host} is bad: {Reason}")]
    public static partial void PeerBad(ILogger logger, string host, string reason);

    [LoggerMessage(104, LogLevel.Warning, "Rejected server.add_peer from {Source} for {Host}: {Reason}")]
    public static partial void AddPeerRejected(ILogger logger, string source, string host, string reason);

    [LoggerMessage(105, LogLevel.Debug, "Checked {Host} in {DurationMs:F0} ms: {Outcome}")]
    public static partial void PeerChecked(ILogger logger, string host, double durationMs, PeerCheckOutcome outcome);
}
