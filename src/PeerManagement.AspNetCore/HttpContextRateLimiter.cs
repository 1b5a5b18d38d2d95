using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace PeerManagement.AspNetCore;

/// <summary>
/// Adapts the per-address limiter to ASP.NET Core's rate-limiting middleware, keyed by the connection's remote
/// address. The middleware tries <c>AttemptAcquire</c> first and only waits through <c>AcquireAsync</c> when that
/// fails; so a grant over the soft limit is reported to it as "not yet" and the delay is then waited out in
/// <c>AcquireAsync</c> (the middleware counts such a request as queued). The inner limiter is not owned.
/// </summary>
internal sealed class HttpContextRateLimiter(PartitionedRateLimiter<IPAddress> inner, TimeProvider timeProvider) : PartitionedRateLimiter<HttpContext>
{
    private static readonly object DelayKey = new();

    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => inner.GetStatistics(KeyOf(resource));

    internal static IPAddress KeyOf(HttpContext context) => RateLimitingJsonRpcRequestHandler.Normalize(context.Connection.RemoteIpAddress);

    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount)
    {
        var lease = inner.AttemptAcquire(KeyOf(resource), permitCount);
        if (lease.IsAcquired && lease.TryGetMetadata(PeerRateLimiterMetadata.Delay, out var delay) && delay > TimeSpan.Zero)
        {
            resource.Items[DelayKey] = delay;
            return PeerRateLimitLease.Failed;
        }

        return lease;
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken)
    {
        if (resource.Items.Remove(DelayKey, out var value) && value is TimeSpan delay)
        {
            return WaitAsync(delay, cancellationToken);
        }

        return inner.AcquireAsync(KeyOf(resource), permitCount, cancellationToken);
    }

    private async ValueTask<RateLimitLease> WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
        return PeerRateLimitLease.Success;
    }
}
