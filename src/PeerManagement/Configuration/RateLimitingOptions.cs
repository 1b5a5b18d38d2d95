using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;

namespace PeerManagement;

/// <summary>
/// Settings of the rate limiter that guards incoming requests. Bound from the environment variables named on
/// each property (or keys of the same name in <c>IConfiguration</c>); validated at start.
/// </summary>
public sealed class RateLimitingOptions
{
    /// <summary>Whether incoming requests are rate-limited (<c>ENABLE_RATE_LIMIT</c>). Default: true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The hard limit: tokens in each caller's bucket, refilled continuously over <see cref="Window"/> (<c>MAX_TOKENS</c>). Default: 10,000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxTokens { get; set; } = 10_000;

    /// <summary>The time in which an empty bucket refills, and the window of the soft limit (<c>RATE_LIMIT_WINDOW_SECONDS</c>). Default: 3 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The soft limit: requests per window served at once; later ones wait <see cref="Delay"/> (<c>RATE_LIMIT_DELAY_AFTER</c>). Default: 5.</summary>
    [Range(0, int.MaxValue)]
    public int DelayAfter { get; set; } = 5;

    /// <summary>How long each request over the soft limit waits (<c>RATE_LIMIT_DELAY_MS</c>). Default: 300 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>How many acquisitions may wait for a token when the bucket is empty. Default: 0 (reject at once).</summary>
    [Range(0, int.MaxValue)]
    public int QueueLimit { get; set; }

    /// <summary>Which waiting acquisition gets the next token. Default: oldest first.</summary>
    public QueueProcessingOrder QueueProcessingOrder { get; set; } = QueueProcessingOrder.OldestFirst;

    /// <summary>At most this many callers (keys) are tracked at once; the least recently used idle one is evicted. Default: 10,000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxPartitions { get; set; } = 10_000;

    /// <summary>A caller's limiter that has been idle (and full) this long is dropped. Default: 1 minute.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan PartitionIdleTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Settings from the environment that could not be read; reported by validation at start.</summary>
    internal List<string> ConfigurationErrors { get; } = [];
}
