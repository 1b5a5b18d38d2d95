using Microsoft.Extensions.Logging;

namespace PeerManagement.Redis;

/// <summary>Log lines of the scale-out on Redis (event ids 800–839).</summary>
internal static partial class RedisLog
{
    [LoggerMessage(800, LogLevel.Warning, "Redis of fleet {Prefix} is unavailable ({Reason}); this instance goes on alone (its own table and add_peer guard; rate limiter: {LimiterMode}) until it is back")]
    public static partial void Unavailable(ILogger logger, string prefix, string reason, RedisLimiterFailureMode limiterMode);

    [LoggerMessage(801, LogLevel.Error, "Redis of fleet {Prefix} refused a write ({Reason}); is it full (maxmemory)? This instance goes on alone until a write succeeds")]
    public static partial void WriteRefused(ILogger logger, string prefix, string reason);

    [LoggerMessage(802, LogLevel.Information, "Redis of fleet {Prefix} is available again; the peer table is re-synced")]
    public static partial void Restored(ILogger logger, string prefix);

    [LoggerMessage(803, LogLevel.Information, "Re-synced the peer table with fleet {Prefix}: sent {Sent} local records, applied {Applied} newer ones")]
    public static partial void Resynced(ILogger logger, string prefix, int sent, int applied);

    [LoggerMessage(804, LogLevel.Debug, "Ignored an unreadable peer record from fleet {Prefix}: {Reason}")]
    public static partial void RecordUnreadable(ILogger logger, string prefix, string reason);

    [LoggerMessage(805, LogLevel.Information, "Joined fleet {Prefix} on Redis as instance {Instance}")]
    public static partial void Joined(ILogger logger, string prefix, string instance);

    [LoggerMessage(806, LogLevel.Warning, "Re-sync with fleet {Prefix} failed; retrying when Redis answers again")]
    public static partial void ResyncFailed(ILogger logger, Exception exception, string prefix);
}
