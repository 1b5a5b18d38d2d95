using System.Threading.RateLimiting;

namespace PeerManagement.Tests.RateLimiting;

/// <summary>Builds limiter settings for tests; soft tier off unless asked for.</summary>
internal static class RateLimitTestOptions
{
    public static RateLimitingOptions Create(
        int maxTokens = 10,
        double windowSeconds = 1,
        int delayAfter = 0,
        double delayMs = 0,
        int queueLimit = 0,
        QueueProcessingOrder order = QueueProcessingOrder.OldestFirst,
        int maxPartitions = 100,
        double idleTimeoutSeconds = 60) => new()
        {
            MaxTokens = maxTokens,
            Window = TimeSpan.FromSeconds(windowSeconds),
            DelayAfter = delayAfter,
            Delay = TimeSpan.FromMilliseconds(delayMs),
            QueueLimit = queueLimit,
            QueueProcessingOrder = order,
            MaxPartitions = maxPartitions,
            PartitionIdleTimeout = TimeSpan.FromSeconds(idleTimeoutSeconds),
        };

    public static TimeSpan? RetryAfter(this RateLimitLease lease)
        => lease.TryGetMetadata(MetadataName.RetryAfter, out var value) ? value : null;

    public static TimeSpan? Delay(this RateLimitLease lease)
        => lease.TryGetMetadata(PeerRateLimiterMetadata.Delay, out var value) ? value : null;
}
