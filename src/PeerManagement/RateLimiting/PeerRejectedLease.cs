using System.Threading.RateLimiting;

namespace PeerManagement;

/// <summary>
/// The failed lease of a token bucket that says when to try again. It holds the instant the bucket will have the
/// permits back, not a duration, so one instance serves every rejection until the bucket's state moves that
/// instant; the retry-after time is worked out from the clock only when the metadata is read.
/// </summary>
internal sealed class PeerRejectedLease : RateLimitLease
{
    private static readonly string[] RetryAfterNames = [MetadataName.RetryAfter.Name];
    private readonly TokenBucketSettings _settings;

    public PeerRejectedLease(TokenBucketSettings settings, long readyAt, int permitCount, long surelyBeforeTick)
    {
        _settings = settings;
        ReadyAt = readyAt;
        PermitCount = permitCount;
        SurelyBeforeTick = surelyBeforeTick;
    }

    /// <summary>When the bucket will hold the permits asked for (and those queued before them), in timestamp ticks.</summary>
    public long ReadyAt { get; }

    /// <summary>The permits asked for when this lease was made.</summary>
    public int PermitCount { get; }

    /// <summary>
    /// On the system clock, the last OS tick count (<see cref="Environment.TickCount64"/>) at which
    /// <see cref="ReadyAt"/> is surely still ahead; <see cref="long.MinValue"/> on other clocks.
    /// </summary>
    public long SurelyBeforeTick { get; }

    public override bool IsAcquired => false;

    public override IEnumerable<string> MetadataNames => RetryAfterNames;

    /// <summary>The time from now until <see cref="ReadyAt"/>, rounded up; zero once it has passed.</summary>
    public TimeSpan RetryAfter => _settings.ToTimeSpanCeiling(ReadyAt - _settings.GetTimestampNow());

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (string.Equals(metadataName, MetadataName.RetryAfter.Name, StringComparison.Ordinal))
        {
            metadata = RetryAfter;
            return true;
        }

        metadata = null;
        return false;
    }
}
