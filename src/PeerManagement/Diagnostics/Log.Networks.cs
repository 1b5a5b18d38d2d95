using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>The per-network entry cap of the table (<see cref="PeerManagementOptions.MaxPeersPerNetwork"/>).</summary>
internal static partial class Log
{
    [LoggerMessage(137, LogLevel.Debug, "Forgot {Host} ({Status}) to make room in network {Network}, which holds {Max} peers, for {Newcomer}")]
    public static partial void NetworkEntryEvicted(ILogger logger, string host, PeerStatus status, string network, int max, string newcomer);

    [LoggerMessage(138, LogLevel.Information, "Network {Network} holds {Max} peers, every one good, waiting for its first check or the operator's: {Host} from {Source} and the network's other newcomers are refused (logged once an hour per network)")]
    public static partial void NetworkFull(ILogger logger, string network, int max, string host, string source);

    [LoggerMessage(139, LogLevel.Debug, "Peer {Host} from {Source} not added: network {Network} holds {Max} peers, none of which may make room")]
    public static partial void NetworkFullRefused(ILogger logger, string host, string source, string network, int max);
}
