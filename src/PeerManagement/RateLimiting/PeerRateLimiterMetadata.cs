using System.Threading.RateLimiting;

namespace PeerManagement;

/// <summary>
/// The lease metadata of the PeerManagement limiters beyond <see cref="MetadataName.RetryAfter"/>, which failed
/// leases carry as usual.
/// </summary>
public static class PeerRateLimiterMetadata
{
    /// <summary>
    /// On a granted lease from <c>AttemptAcquire</c>: the caller is over the soft limit and should wait this long
    /// before doing the work (<c>AcquireAsync</c> waits it out itself and returns a lease without it).
    /// </summary>
    public static MetadataName<TimeSpan> Delay { get; } = MetadataName.Create<TimeSpan>("DELAY");
}
