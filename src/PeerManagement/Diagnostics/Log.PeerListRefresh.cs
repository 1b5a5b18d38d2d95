using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>Log messages of pull discovery and of the <c>server.add_peer</c> refusals that spare its budget.</summary>
internal static partial class Log
{
    [LoggerMessage(133, LogLevel.Debug, "Checking {Host} early to pull its peer list: the good peer checked longest ago (at {LastChecked:O})")]
    public static partial void PeerListRefresh(ILogger logger, string host, DateTimeOffset lastChecked);
}
