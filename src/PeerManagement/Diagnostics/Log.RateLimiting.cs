using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>Log lines of rate limiting (event ids 600-699).</summary>
internal static partial class Log
{
    [LoggerMessage(600, LogLevel.Information, "Rate limiting {Enabled}: {MaxTokens} tokens per {Window} per remote address; after {DelayAfter} requests in a window each waits {DelayMs} ms; at most {MaxPartitions} addresses tracked")]
    public static partial void RateLimitingSettings(ILogger logger, bool enabled, int maxTokens, TimeSpan window, int delayAfter, double delayMs, int maxPartitions);

    [LoggerMessage(601, LogLevel.Debug, "Rate limit exceeded by {RemoteAddress} calling {Method}; retry after {RetryAfterMs} ms")]
    public static partial void RequestRejected(ILogger logger, string remoteAddress, string method, double retryAfterMs);

    [LoggerMessage(602, LogLevel.Debug, "Request {Method} of {RemoteAddress} is over the soft limit; served after {DelayMs} ms")]
    public static partial void RequestDelayed(ILogger logger, string remoteAddress, string method, double delayMs);

    [LoggerMessage(603, LogLevel.Warning, "Closing the session of {RemoteAddress}: {Rejections} requests in a row over the rate limit")]
    public static partial void SessionClosedForHammering(ILogger logger, string remoteAddress, int rejections);

    [LoggerMessage(604, LogLevel.Debug, "Closing the rate-limited session of {RemoteAddress} failed")]
    public static partial void SessionCloseFailed(ILogger logger, string remoteAddress, Exception exception);
}
