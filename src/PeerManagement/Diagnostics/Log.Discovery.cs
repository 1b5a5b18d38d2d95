using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>The log lines of discovery and verification (110–199) and of the blacklist (400–499).</summary>
internal static partial class Log
{
    [LoggerMessage(110, LogLevel.Information, "Peer discovery is off: nothing runs")]
    public static partial void DiscoveryOff(ILogger logger);

    [LoggerMessage(111, LogLevel.Information, "Peer discovery reports only our own identities: no seeds imported, no peer contacted")]
    public static partial void DiscoverySelfOnly(ILogger logger);

    [LoggerMessage(112, LogLevel.Error, "Loading the saved peers failed; starting without them")]
    public static partial void LoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(113, LogLevel.Information, "Loaded {Count} saved peers ({Added} added)")]
    public static partial void PeersLoaded(ILogger logger, int count, int added);

    [LoggerMessage(114, LogLevel.Information, "Proxy detected at {EndPoint}")]
    public static partial void ProxyInUse(ILogger logger, string endPoint);

    [LoggerMessage(115, LogLevel.Information, "No proxy found; looking again in {Interval}")]
    public static partial void NoProxyInUse(ILogger logger, TimeSpan interval);

    [LoggerMessage(116, LogLevel.Warning, "Proxy detection failed")]
    public static partial void ProxyLookupFailed(ILogger logger, Exception exception);

    [LoggerMessage(117, LogLevel.Debug, "Dropped peer {Host} from {Source}: {Reason}")]
    public static partial void PeerDropped(ILogger logger, string host, string source, string reason);

    [LoggerMessage(118, LogLevel.Information, "Peer {Host} advertises other ports ({Ports}) through {Source}; checking it early")]
    public static partial void PeerPortsChanged(ILogger logger, string host, string ports, string source);

    [LoggerMessage(119, LogLevel.Information, "Peer {Host} verified in {DurationMs:F0} ms")]
    public static partial void PeerVerified(ILogger logger, string host, double durationMs);

    [LoggerMessage(120, LogLevel.Information, "Peer {Host}: try failed ({Reason}); try {Tries}, next check in {Delay}")]
    public static partial void PeerTryFailed(ILogger logger, string host, string reason, int tries, TimeSpan delay);

    [LoggerMessage(121, LogLevel.Debug, "Peer {Host}: {Endpoint} unreachable: {Reason}")]
    public static partial void EndpointUnreachable(ILogger logger, string host, string endpoint, string reason);

    [LoggerMessage(122, LogLevel.Debug, "Skipping check of {Host}: it needs a proxy and none is known")]
    public static partial void CheckSkippedNoProxy(ILogger logger, string host);

    [LoggerMessage(123, LogLevel.Information, "Announced ourselves to {Host}: {Accepted}")]
    public static partial void AnnouncedSelf(ILogger logger, string host, bool accepted);

    [LoggerMessage(124, LogLevel.Debug, "Announcing ourselves to {Host} failed: {Reason}")]
    public static partial void AnnounceFailed(ILogger logger, string host, string reason);

    [LoggerMessage(125, LogLevel.Information, "Accepted server.add_peer from {Source} for {Host}")]
    public static partial void AddPeerAccepted(ILogger logger, string source, string host);

    [LoggerMessage(126, LogLevel.Information, "Dropped duplicate entry {Host}: it shares the address of {Peer}")]
    public static partial void DuplicateDropped(ILogger logger, string host, string peer);

    [LoggerMessage(127, LogLevel.Error, "Checking peer {Host} failed unexpectedly")]
    public static partial void CheckCrashed(ILogger logger, string host, Exception exception);

    [LoggerMessage(128, LogLevel.Error, "A discovery background loop failed")]
    public static partial void LoopCrashed(ILogger logger, Exception exception);

    [LoggerMessage(129, LogLevel.Warning, "Ignoring own identity '{Identity}': {Reason}")]
    public static partial void IdentityIgnored(ILogger logger, string identity, string reason);

    [LoggerMessage(130, LogLevel.Information, "Peer discovery stopped")]
    public static partial void DiscoveryStopped(ILogger logger);

    [LoggerMessage(131, LogLevel.Error, "A status-change handler threw")]
    public static partial void StatusHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(132, LogLevel.Warning, "Peer discovery does not run: no {Service} is registered")]
    public static partial void DiscoveryNotConfigured(ILogger logger, string service);

    [LoggerMessage(140, LogLevel.Warning, "Stored peer {Host} has an implausible history (last good {LastGood}, last try {LastTry}, tries {TryCount}); the times ahead of our clock are dropped and it is checked afresh")]
    public static partial void LoadedHistoryDistrusted(ILogger logger, string host, DateTimeOffset? lastGood, DateTimeOffset? lastTry, int tryCount);

    [LoggerMessage(141, LogLevel.Warning, "{Count} stored peers were not loaded: the table holds at most {MaxPeers}")]
    public static partial void LoadedOverCapacity(ILogger logger, int count, int maxPeers);

    [LoggerMessage(142, LogLevel.Debug, "Peer {Host} from {Source} not added: the table is full ({MaxPeers} peers)")]
    public static partial void TableFull(ILogger logger, string host, string source, int maxPeers);

    [LoggerMessage(143, LogLevel.Warning, "server.add_peer is over its budget of {Budget} new peers per {Interval}; refusing announcements until it refills")]
    public static partial void AddPeerBudgetExhausted(ILogger logger, int budget, TimeSpan interval);

    [LoggerMessage(144, LogLevel.Warning, "No peer is good yet: waiting for the seeds. {Host} did not answer ({Reason}); trying it again in {Delay}")]
    public static partial void WaitingForSeeds(ILogger logger, string host, string reason, TimeSpan delay);

    [LoggerMessage(145, LogLevel.Information, "Stored entry of our own identity {Host} had ports {StoredPorts}; it takes the ports we announce now, {Ports}")]
    public static partial void StoredIdentityPortsReplaced(ILogger logger, string host, string storedPorts, string ports);

    [LoggerMessage(146, LogLevel.Warning, "Refused {Host}, given as {Source}: {Reason}")]
    public static partial void OperatorPeerRefused(ILogger logger, string host, string source, string reason);

    [LoggerMessage(147, LogLevel.Debug, "Forgot bad peer {Host} to make room in the full table")]
    public static partial void PeerEvicted(ILogger logger, string host);

    [LoggerMessage(400, LogLevel.Information, "Blacklist refreshed: {Count} entries ({Skipped} unreadable skipped)")]
    public static partial void BlacklistRefreshed(ILogger logger, int count, int skipped);

    [LoggerMessage(401, LogLevel.Error, "Blacklist source {Source} could not be read; keeping its previous {Count} entries")]
    public static partial void BlacklistSourceFailed(ILogger logger, string source, int count, Exception exception);

    [LoggerMessage(402, LogLevel.Information, "Blacklist now covers peer {Host}; checking it again")]
    public static partial void BlacklistWakesPeer(ILogger logger, string host);
}
