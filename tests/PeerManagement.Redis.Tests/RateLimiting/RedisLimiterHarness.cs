using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace PeerManagement.Redis.Tests.RateLimiting;

/// <summary>Builds fleet-wide limiters for tests: on a fake clock (the script reads it instead of Redis TIME) or on Redis's own.</summary>
internal static class RedisLimiterHarness
{
    public static RateLimitingOptions Limits(int maxTokens = 10, double windowSeconds = 1, int delayAfter = 0, double delayMs = 0) => new()
    {
        MaxTokens = maxTokens,
        Window = TimeSpan.FromSeconds(windowSeconds),
        DelayAfter = delayAfter,
        Delay = TimeSpan.FromMilliseconds(delayMs),
    };

    public static RedisPartitionedRateLimiter<string> Create(
        IConnectionMultiplexer multiplexer,
        RateLimitingOptions limits,
        FakeTimeProvider? time,
        string prefix = "test",
        RedisLimiterFailureMode failureMode = RedisLimiterFailureMode.Local,
        Microsoft.Extensions.Logging.ILoggerFactory? loggers = null,
        System.Diagnostics.Metrics.IMeterFactory? meters = null)
    {
        var options = new PeerManagementRedisOptions { KeyPrefix = prefix, LimiterFailureMode = failureMode };
        var connection = new RedisFleetConnection(multiplexer, ownsMultiplexer: false, options, loggers, meters);
        return new RedisPartitionedRateLimiter<string>(connection, ownsConnection: true, limits, time, meters, time is null ? null : () => time.GetUtcNow().UtcTicks / 10);
    }

    public static TimeSpan? RetryAfter(this RateLimitLease lease)
        => lease.TryGetMetadata(MetadataName.RetryAfter, out var value) ? value : null;

    public static TimeSpan? Delay(this RateLimitLease lease)
        => lease.TryGetMetadata(PeerRateLimiterMetadata.Delay, out var value) ? value : null;

    /// <summary>A decision as a comparable text: granted, delayed 300 ms, rejected retry 1000 ms.</summary>
    public static string Describe(this RateLimitLease lease)
        => lease.IsAcquired
            ? lease.Delay() is { } delay ? $"delayed {delay.TotalMilliseconds} ms" : "granted"
            : lease.RetryAfter() is { } retry ? $"rejected retry {retry.TotalMilliseconds} ms" : "rejected";
}
