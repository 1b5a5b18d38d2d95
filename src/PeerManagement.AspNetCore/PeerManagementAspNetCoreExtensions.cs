using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PeerManagement.AspNetCore;

/// <summary>Registers and maps the PeerManagement HTTP integration.</summary>
public static class PeerManagementAspNetCoreExtensions
{
    /// <summary>
    /// Registers PeerManagement (if not yet) and wires its limiter (the <see cref="PeerPartitionedRateLimiter{TKey}"/>
    /// keyed by the caller's network: the connection's remote IPv4 address, or the /64 of its IPv6 address, as
    /// <see cref="PeerBuckets.GetInternalNetwork"/> gives it; the same limiter and keys as JSON-RPC) into ASP.NET
    /// Core's rate-limiting middleware as the global limiter: a rejected request gets 429 with a
    /// <c>Retry-After</c> header (whole seconds, rounded up) and the body
    /// <c>{"success": false, "code": 1, "message": "Rate limit exceeded"}</c>; a request over the soft limit is
    /// served after the delay. The limiter counts each request's decision on the meter <c>PeerManagement</c>
    /// (<c>peermanagement.rate_limiter.decisions</c>), as for JSON-RPC calls. Does nothing to requests when
    /// <c>ENABLE_RATE_LIMIT=false</c>. Add the middleware
    /// with <see cref="UsePeerManagement"/> (or <c>UseRateLimiter()</c>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddPeerManagementRateLimiting(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddPeerManagement();
        if (services.Any(d => d.ServiceType == typeof(RateLimitingMarker)))
        {
            return services;
        }

        services.AddSingleton<RateLimitingMarker>();
        services.AddRateLimiter(static _ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IServiceProvider>(static (limiterOptions, provider) =>
        {
            if (!provider.GetRequiredService<IOptions<RateLimitingOptions>>().Value.Enabled)
            {
                return;
            }

            var logger = provider.GetService<ILoggerFactory>()?.CreateLogger("PeerManagement.AspNetCore.RateLimiting");
            limiterOptions.GlobalLimiter = new HttpContextRateLimiter(provider.GetRequiredService<PartitionedRateLimiter<NetworkPrefix>>());
            limiterOptions.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiterOptions.OnRejected = (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var value) ? value : TimeSpan.Zero;
                var seconds = PeerEndpoints.FormatSeconds(retryAfter);
                http.Response.Headers.RetryAfter = seconds;
                if (logger is not null)
                {
                    HttpLog.RequestRejected(logger, HttpContextRateLimiter.KeyOf(http).ToString(), http.Request.Path, long.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));
                }

                return new ValueTask(Envelope.WriteFailureAsync(http, StatusCodes.Status429TooManyRequests, "Rate limit exceeded"));
            };
        });
        return services;
    }

    /// <summary>
    /// Adds the error envelope (every failure answered as <c>{"success": false, "code": 1, "message": ...}</c>) and,
    /// when <see cref="AddPeerManagementRateLimiting"/> was called, the rate-limiting middleware after it. Call it
    /// early, before the middleware whose failures it should answer. Failures of the application are logged at
    /// Error with the exception; failures the client causes (a body too large, malformed or cut short, a
    /// disconnect) at Information without it, at most one line a minute for each kind, counting the others.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <returns>The application builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="app"/> is <see langword="null"/>.</exception>
    public static IApplicationBuilder UsePeerManagement(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // The clock of the client-error log window; the system clock when PeerManagement's services are not added.
        app.UseMiddleware<ErrorEnvelopeMiddleware>(app.ApplicationServices.GetService<TimeProvider>() ?? TimeProvider.System);
        if (app.ApplicationServices.GetService<RateLimitingMarker>() is not null)
        {
            app.UseRateLimiter();
        }

        return app;
    }

    /// <summary>
    /// Configures the error envelope (e.g. <see cref="PeerManagementHttpOptions.DetailedErrors"/>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes the options.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IServiceCollection ConfigurePeerManagementHttp(this IServiceCollection services, Action<PeerManagementHttpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        return services;
    }

    /// <summary>
    /// Configures the operator's console (<see cref="PeerManagementConsoleOptions"/>): whether the kick and ban
    /// endpoints are mapped, and the authorization policy that guards them.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes the options.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IServiceCollection ConfigurePeerManagementConsole(this IServiceCollection services, Action<PeerManagementConsoleOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        return services;
    }

    /// <summary>
    /// Maps, under <paramref name="prefix"/>, in the envelope: <c>GET {prefix}</c> (every peer with its status, bad
    /// ones last, then the most recently good first), <c>GET {prefix}/info</c> (counts by status, and the reachable
    /// address families once detected), <c>POST {prefix}</c> with <c>{"real_name": "host v1.4 s t"}</c> (admin add,
    /// ports checked; 400 for an invalid or non-public name), <c>GET {prefix}/{host}</c> (one peer's detail; 404 when
    /// unknown), <c>GET {prefix}/events?after=n</c> (the recent status changes after event n, for polling) and
    /// <c>GET {prefix}/bans</c> (the blacklist in force). When
    /// <see cref="PeerManagementConsoleOptions.EnableOperatorActions"/> is on, also <c>DELETE {prefix}/{host}</c>
    /// (kick; <c>?ban_for=1h</c> bans too), <c>POST {prefix}/kick</c> with
    /// <c>{"match": "*.example.org", "ban_for": "1h", "reason": "..."}</c>, <c>POST {prefix}/bans</c> (same body) and
    /// <c>DELETE {prefix}/bans?match=...</c>, each requiring <see cref="PeerManagementConsoleOptions.OperatorPolicy"/>.
    /// The admin add changes the peer table too: protect it, e.g. with <c>.RequireAuthorization()</c> on the returned group.
    /// </summary>
    /// <param name="endpoints">The endpoint builder (the app).</param>
    /// <param name="prefix">The route prefix; <c>/peers</c> by default.</param>
    /// <returns>The group, for conventions such as authorization.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">Operator actions are enabled but no <see cref="PeerManagementConsoleOptions.OperatorPolicy"/> is named.</exception>
    public static RouteGroupBuilder MapPeerManagementEndpoints(this IEndpointRouteBuilder endpoints, string prefix = "/peers")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var console = endpoints.ServiceProvider.GetService<IOptions<PeerManagementConsoleOptions>>()?.Value ?? new PeerManagementConsoleOptions();
        if (console.EnableOperatorActions && string.IsNullOrWhiteSpace(console.OperatorPolicy))
        {
            throw new InvalidOperationException(
                "PeerManagementConsoleOptions.EnableOperatorActions is on but no OperatorPolicy is named: register an authorization policy and name it, so that only the host's operators can kick and ban.");
        }

        var group = endpoints.MapGroup(prefix);
        group.MapGet(string.Empty, PeerEndpoints.GetPeers);
        group.MapGet("/info", PeerEndpoints.GetInfo);
        group.MapPost(string.Empty, PeerEndpoints.AddPeerAsync);

        // Created now, not on the first poll, so the changes from start-up on are kept.
        var events = new PeerEventLog(endpoints.ServiceProvider.GetRequiredService<PeerManager>(), Options.Create(console));
        group.MapGet("/events", (HttpContext context) => OperatorEndpoints.GetEvents(context, events));
        group.MapGet("/bans", OperatorEndpoints.GetBansAsync);
        group.MapGet("/{host}", OperatorEndpoints.GetDetail);
        if (console.EnableOperatorActions)
        {
            var operators = group.MapGroup(string.Empty).RequireAuthorization(console.OperatorPolicy!);
            operators.MapDelete("/{host}", OperatorEndpoints.KickHostAsync);
            operators.MapPost("/kick", OperatorEndpoints.KickAsync);
            operators.MapPost("/bans", OperatorEndpoints.AddBanAsync);
            operators.MapDelete("/bans", OperatorEndpoints.RemoveBanAsync);
        }

        return group;
    }

    /// <summary>Marks a collection where the rate-limiting integration is registered.</summary>
    private sealed class RateLimitingMarker;
}
