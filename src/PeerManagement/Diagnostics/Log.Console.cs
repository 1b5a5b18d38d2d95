using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>The log lines of the operator's run-time controls: kicks, bans, reachable address families (150–169).</summary>
internal static partial class Log
{
    [LoggerMessage(150, LogLevel.Information, "Kicked {Count} peers matching {Match}; {Sessions} sessions closed; banned until {Until}")]
    public static partial void PeersKicked(ILogger logger, int count, string match, int sessions, string until);

    [LoggerMessage(151, LogLevel.Information, "Banned {Match} until {Until}: {Reason}")]
    public static partial void BanAdded(ILogger logger, string match, string until, string reason);

    [LoggerMessage(152, LogLevel.Information, "Ban of {Match} removed")]
    public static partial void BanRemoved(ILogger logger, string match);

    [LoggerMessage(153, LogLevel.Warning, "Skipped a ban in {Path} that is not a valid match: {Match}")]
    public static partial void BanEntrySkipped(ILogger logger, string path, string match);

    [LoggerMessage(154, LogLevel.Error, "The ban file {Path} is damaged; moved aside to {Aside}; starting without run-time bans")]
    public static partial void BanFileDamaged(ILogger logger, string path, string aside, Exception exception);

    [LoggerMessage(155, LogLevel.Information, "Loaded {Count} run-time bans")]
    public static partial void BansLoaded(ILogger logger, int count);

    [LoggerMessage(156, LogLevel.Error, "Loading the run-time bans failed; starting without them")]
    public static partial void BansLoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(157, LogLevel.Information, "Reachable address families: {Reachability}; checks of public peers over a family we cannot reach are skipped")]
    public static partial void ReachabilityDetected(ILogger logger, AddressFamilyReachability reachability);

    [LoggerMessage(158, LogLevel.Warning, "Detecting the reachable address families failed; assuming both")]
    public static partial void ReachabilityProbeFailed(ILogger logger, Exception exception);

    [LoggerMessage(159, LogLevel.Debug, "Check of {Host} skipped: this machine cannot reach {Family}")]
    public static partial void CheckSkippedFamily(ILogger logger, string host, string family);

    [LoggerMessage(160, LogLevel.Debug, "Refused a connection from banned address {Remote}")]
    public static partial void ListenerRefusedBanned(ILogger logger, string remote);

    [LoggerMessage(161, LogLevel.Debug, "Check of {Host} ended: the peer was kicked")]
    public static partial void CheckEndedByKick(ILogger logger, string host);
}
