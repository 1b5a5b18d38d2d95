using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PeerManagement.AspNetCore.Tests;

/// <summary>
/// A test stand-in for the host's authentication: a request with <c>X-Operator: yes</c> is an operator. The policy
/// <see cref="Policy"/> requires one; it is what the console's kick and ban endpoints are put behind.
/// </summary>
internal sealed class OperatorAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "test-operator";
    public const string Policy = "peer-operators";
    public const string Header = "X-Operator";

    public static void Register(IServiceCollection services, bool enableActions = true, bool trustLoopback = false)
    {
        services.AddSingleton(new LoopbackTrust(trustLoopback));
        services.AddAuthentication(SchemeName).AddScheme<AuthenticationSchemeOptions, OperatorAuthentication>(SchemeName, null);
        services.AddAuthorization(o => o.AddPolicy(Policy, p => p.RequireRole("operator")));
        services.ConfigurePeerManagementConsole(o =>
        {
            o.EnableOperatorActions = enableActions;
            o.OperatorPolicy = Policy;
        });
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var loopback = Context.RequestServices.GetRequiredService<LoopbackTrust>().Trusted && Context.Connection.RemoteIpAddress is { } remote && System.Net.IPAddress.IsLoopback(remote);
        if (Request.Headers[Header] != "yes" && !loopback)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator"), new Claim(ClaimTypes.Role, "operator")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <summary>Whether every loopback caller is an operator (the browser test, which cannot add a header).</summary>
    internal sealed record LoopbackTrust(bool Trusted);
}
