namespace PeerManagement.Redis;

/// <summary>What the fleet-wide rate limiter does while Redis cannot be reached.</summary>
public enum RedisLimiterFailureMode
{
    /// <summary>Fail open: each instance limits its callers alone, with a local limiter of the same settings.</summary>
    Local,

    /// <summary>Fail closed: every request is rejected, with a retry-after of <see cref="PeerManagementRedisOptions.ReconnectRetryAfter"/>.</summary>
    Reject,
}
