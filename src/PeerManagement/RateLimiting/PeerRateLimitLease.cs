using System.Threading.RateLimiting;

namespace PeerManagement;

/// <summary>
/// The leases of <see cref="TokenBucket"/>. Token-bucket leases hold nothing, so disposing them is a no-op and
/// the ones without per-call metadata are shared.
/// </summary>
internal sealed class PeerRateLimitLease : RateLimitLease
{
    private static readonly string[] NoNames = [];
    private static readonly string[] RetryAfterNames = [MetadataName.RetryAfter.Name];
    private static readonly string[] DelayNames = [PeerRateLimiterMetadata.Delay.Name];

    private readonly TimeSpan _value;
    private readonly string[] _names;

    private PeerRateLimitLease(bool isAcquired, TimeSpan value, string[] names)
    {
        IsAcquired = isAcquired;
        _value = value;
        _names = names;
    }

    /// <summary>A granted lease without metadata.</summary>
    public static PeerRateLimitLease Success { get; } = new(true, TimeSpan.Zero, NoNames);

    /// <summary>A failed lease without metadata.</summary>
    public static PeerRateLimitLease Failed { get; } = new(false, TimeSpan.Zero, NoNames);

    public override bool IsAcquired { get; }

    public override IEnumerable<string> MetadataNames => _names;

    /// <summary>A failed lease that says when to try again.</summary>
    public static PeerRateLimitLease Rejected(TimeSpan retryAfter) => new(false, retryAfter, RetryAfterNames);

    /// <summary>A granted lease that asks the caller to wait <paramref name="delay"/> first.</summary>
    public static PeerRateLimitLease Delayed(TimeSpan delay) => new(true, delay, DelayNames);

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
