using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>The log line of pull discovery (133; its range is 133–136).</summary>
internal static partial class Log
{
    [LoggerMessage(133, LogLevel.Debug, "Checking {Host} early to pull its peer list: the good peer checked longest ago (at {LastChecked:O})")]
    public static partial void PeerListRefresh(ILogger logger, string host, DateTimeOffset lastChecked);
}
