using System.Threading.RateLimiting;

namespace PeerManagement.Redis;

/// <summary>The leases of <see cref="RedisPartitionedRateLimiter{TKey}"/>: they hold nothing, so the plain ones are shared.</summary>
internal sealed class RedisRateLimitLease : RateLimitLease
{
    private static readonly string[] NoNames = [];
    private static readonly string[] RetryAfterNames = [MetadataName.RetryAfter.Name];
    private static readonly string[] DelayNames = [PeerRateLimiterMetadata.Delay.Name];

    private readonly TimeSpan _value;
    private readonly string[] _names;

    private RedisRateLimitLease(bool isAcquired, TimeSpan value, string[] names)
    {
        IsAcquired = isAcquired;
        _value = value;
        _names = names;
    }

    public static RedisRateLimitLease Success { get; } = new(true, TimeSpan.Zero, NoNames);

    public static RedisRateLimitLease Failed { get; } = new(false, TimeSpan.Zero, NoNames);

    public override bool IsAcquired { get; }

    public override IEnumerable<string> MetadataNames => _names;

    public static RedisRateLimitLease Rejected(TimeSpan retryAfter) => new(false, retryAfter, RetryAfterNames);

    public static RedisRateLimitLease Delayed(TimeSpan delay) => new(true, delay, DelayNames);

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (_names.Length != 0 && string.Equals(metadataName, _names[0], StringComparison.Ordinal))
        {
            metadata = _value;
            return true;
        }

        metadata = null;
        return false;
    }
}
