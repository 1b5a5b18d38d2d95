using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace PeerManagement.AspNetCore;

/// <summary>
/// Adapts the per-network limiter to ASP.NET Core's rate-limiting middleware, keyed by the connection's remote
/// address as <see cref="PeerBuckets.GetInternalNetwork"/> groups it (the IPv4 address, the IPv6 /64). The
/// middleware tries <c>AttemptAcquire</c> first and calls <c>AcquireAsync</c> when that fails; so the attempt
/// always defers, and <c>AcquireAsync</c> asks the limiter once per request: it answers at once when granted or
/// rejected, and waits out a soft-limit delay itself (the middleware counts only such a request as queued). One
/// question per request keeps the limiter's decision counts and statistics exact. The inner limiter is not owned.
/// </summary>
internal sealed class HttpContextRateLimiter(PartitionedRateLimiter<NetworkPrefix> inner) : PartitionedRateLimiter<HttpContext>
{
    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => inner.GetStatistics(KeyOf(resource));

    /// <summary>The key of a request: its caller's network, or the default prefix without an IP address.</summary>
    internal static NetworkPrefix KeyOf(HttpContext context)
        => context.Connection.RemoteIpAddress is { } address ? PeerBuckets.GetInternalNetwork(address) : default;

    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount) => DeferredLease.Instance;

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken)
        => inner.AcquireAsync(KeyOf(resource), permitCount, cancellationToken);

    /// <summary>"Not yet": sends the middleware on to <c>AcquireAsync</c>. Holds nothing, so it is shared.</summary>
    private sealed class DeferredLease : RateLimitLease
    {
        public static readonly DeferredLease Instance = new();

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
