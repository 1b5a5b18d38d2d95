using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PeerManagement.AspNetCore;

/// <summary>Maps the operator's status page.</summary>
public static class PeerManagementDashboardExtensions
{
    private const string ResourceName = "PeerManagement.AspNetCore.Dashboard.console.html";

    /// <summary>
    /// Maps <c>GET {path}</c> to one self-contained HTML page (inline style and script, served from this package's
    /// embedded resources; it fetches nothing but the API under <paramref name="apiPrefix"/>): the counts by status,
    /// the peer table with a filter by status, the recent status changes (polled from <c>{apiPrefix}/events</c>),
    /// and, when <see cref="PeerManagementConsoleOptions.EnableOperatorActions"/> is on, kick and ban buttons. The page
    /// is sent with a Content-Security-Policy that allows no other origin. Map the API with
    /// <see cref="PeerManagementAspNetCoreExtensions.MapPeerManagementEndpoints"/> under the same prefix; protect the
    /// page with <c>.RequireAuthorization(...)</c> on the returned builder.
    /// </summary>
    /// <param name="endpoints">The endpoint builder (the app).</param>
    /// <param name="path">Where the page is served; <c>/peers/ui</c> by default.</param>
    /// <param name="apiPrefix">Where <see cref="PeerManagementAspNetCoreExtensions.MapPeerManagementEndpoints"/> is mapped; <c>/peers</c> by default.</param>
    /// <param name="pollInterval">How often the page polls for changes; 2 seconds when <see langword="null"/>.</param>
    /// <returns>The endpoint, for conventions such as authorization.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pollInterval"/> is below 100 ms or above 1 hour.</exception>
    public static IEndpointConventionBuilder MapPeerManagementDashboard(this IEndpointRouteBuilder endpoints, string path = "/peers/ui", string apiPrefix = "/peers", TimeSpan? pollInterval = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(apiPrefix);
        var poll = pollInterval ?? TimeSpan.FromSeconds(2);
        ArgumentOutOfRangeException.ThrowIfLessThan(poll, TimeSpan.FromMilliseconds(100), nameof(pollInterval));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(poll, TimeSpan.FromHours(1), nameof(pollInterval));
        var console = endpoints.ServiceProvider.GetService<IOptions<PeerManagementConsoleOptions>>()?.Value ?? new PeerManagementConsoleOptions();
        var html = ReadPage()
            .Replace("__API__", WebUtility.HtmlEncode(apiPrefix.TrimEnd('/')), StringComparison.Ordinal)
            .Replace("__ACTIONS__", console.EnableOperatorActions ? "true" : "false", StringComparison.Ordinal)
            .Replace("__POLL__", ((long)poll.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var bytes = System.Text.Encoding.UTF8.GetBytes(html);
        return endpoints.MapGet(path, (HttpContext context) =>
        {
            var headers = context.Response.Headers;
            // Nothing but this origin's API: no other script, style, font or image source.
            headers.ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
            headers.XContentTypeOptions = "nosniff";
            headers.CacheControl = "no-store";
            return Results.Bytes(bytes, "text/html; charset=utf-8");
        });
    }

    private static string ReadPage()
    {
        using var stream = typeof(PeerManagementDashboardExtensions).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
