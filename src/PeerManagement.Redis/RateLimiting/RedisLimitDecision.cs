using System.Threading.RateLimiting;

namespace PeerManagement.Redis;

/// <summary>
/// The validated limits as the script reads them: the window in time units of <see cref="Divisor"/> microseconds,
/// chosen so that a full bucket (<c>MaxTokens × WindowUnits</c>) stays below 2^53, where Lua's numbers are exact.
/// </summary>
internal sealed record RedisLimitDecision(int MaxTokens, long WindowUnits, long Divisor, RateLimitLease DelayedLease)
{
    private const long MaxExact = 1L << 52;

    public static RedisLimitDecision From(RateLimitingOptions limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxTokens, 1);
        if (limits.Window <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(limits), limits.Window, "Window must be positive.");
        }

        if (limits.DelayAfter < 0 || limits.Delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(limits), "DelayAfter and Delay must not be negative.");
        }

        var windowMicros = Math.Max(1, limits.Window.Ticks / 10);
        var capacity = (Int128)limits.MaxTokens * windowMicros;
        var divisor = capacity <= MaxExact ? 1 : (long)((capacity + MaxExact - 1) / MaxExact);
        return new RedisLimitDecision(limits.MaxTokens, Math.Max(1, windowMicros / divisor), divisor, RedisRateLimitLease.Delayed(limits.Delay));
    }
}
