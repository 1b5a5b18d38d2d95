using System.ComponentModel.DataAnnotations;

namespace PeerManagement.Redis;

/// <summary>
/// Settings of the scale-out on Redis: which fleet an instance belongs to (the key prefix), how long a check
/// lease lasts, and what happens while Redis cannot be reached. Validated at start.
/// </summary>
public sealed class PeerManagementRedisOptions
{
    /// <summary>
    /// The StackExchange.Redis configuration string (e.g. <c>localhost:6379</c>); <see langword="null"/> to use the
    /// <c>IConnectionMultiplexer</c> registered in the container. Default: <see langword="null"/>.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// The prefix of every key and channel: instances with the same prefix form one fleet (one table, one add_peer
    /// guard, one rate limit). Letters, digits and <c>-_.:</c>, 1–64 characters. Default: <c>peermanagement</c>.
    /// </summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.:-]{1,64}$")]
    public string KeyPrefix { get; set; } = "peermanagement";

    /// <summary>
    /// How long the instance that takes a peer's check lease has the peer to itself; a crashed instance's leases
    /// lapse after this. Longer than a check's deadline. Default: 2 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan LeaseLength { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>What the fleet-wide limiter does while Redis cannot be reached. Default: <see cref="RedisLimiterFailureMode.Local"/>.</summary>
    public RedisLimiterFailureMode LimiterFailureMode { get; set; } = RedisLimiterFailureMode.Local;

    /// <summary>The retry-after of requests rejected while Redis is down (<see cref="RedisLimiterFailureMode.Reject"/>). Default: 1 second.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan ReconnectRetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long one Redis command may take before the instance treats Redis as unavailable and goes on locally
    /// (applies to a connection the package opens from <see cref="Configuration"/>). Default: 1 second.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(1);
}
