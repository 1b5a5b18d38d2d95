using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace PeerManagement.AspNetCore.Tests;

public sealed class ErrorEnvelopeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_unknown_route_is_a_404_in_the_envelope()
    {
        await using var app = await KestrelApp.StartAsync();

        using var response = await app.Client.GetAsync("/nothing/here", Ct);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        (await response.Content.ReadAsStringAsync(Ct)).Should().Be("""{"success":false,"code":1,"message":"Not Found"}""");
    }

    [Fact]
    public async Task A_bare_400_keeps_its_status_in_the_envelope()
    {
        await using var app = await KestrelApp.StartAsync(map: a => a.MapGet("/bad", () => Results.StatusCode(400)));

        using var response = await app.Client.GetAsync("/bad", Ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync(Ct)).Should().Be("""{"success":false,"code":1,"message":"Bad Request"}""");
    }

    [Fact]
    public async Task A_thrown_exception_is_a_500_without_internals_and_is_logged_in_full()
    {
        await using var app = await KestrelApp.StartAsync(map: a => a.MapGet("/boom", string () => throw new InvalidOperationException("connection string secret=42")));

        using var response = await app.Client.GetAsync("/boom", Ct);

        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        var body = await response.Content.ReadAsStringAsync(Ct);
        body.Should().Be("""{"success":false,"code":1,"message":"Internal server error"}""");
        body.Should().NotContain("secret");
        var logged = app.Logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 700).Subject;
        logged.Exception.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Contain("secret=42");
        logged.Message.Should().Contain("/boom");
    }

    [Fact]
    public async Task The_message_of_the_librarys_own_exceptions_is_shown()
    {
        await using var app = await KestrelApp.StartAsync(map: a => a.MapGet("/own", string () => throw new PeerManagementException("The peer table is read-only now")));

        using var response = await app.Client.GetAsync("/own", Ct);

        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        (await response.Content.ReadAsStringAsync(Ct)).Should().Be("""{"success":false,"code":1,"message":"The peer table is read-only now"}""");
    }

    [Fact]
    public async Task Detailed_errors_show_any_exception()
    {
        await using var app = await KestrelApp.StartAsync(
            map: a => a.MapGet("/boom", string () => throw new InvalidOperationException("details")),
            services: s => s.ConfigurePeerManagementHttp(o => o.DetailedErrors = true));

        using var response = await app.Client.GetAsync("/boom", Ct);

        (await Message(response)).Should().Be("InvalidOperationException: details");
    }

    [Fact]
    public async Task A_success_body_is_enveloped_with_byte_arrays_as_base64()
    {
        await using var app = await KestrelApp.StartAsync(map: a => a.MapGet("/bytes", () => PeerManagementResults.Success(new { data = new byte[] { 1, 2, 3, 255 } })));

        using var response = await app.Client.GetAsync("/bytes", Ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(Ct)).Should().Be("""{"success":true,"response":{"data":"AQID/w=="}}""");
    }

    [Fact]
    public async Task A_failure_result_is_enveloped_with_its_status()
    {
        await using var app = await KestrelApp.StartAsync(map: a => a.MapGet("/teapot", () => PeerManagementResults.Failure(418, "short and stout")));

        using var response = await app.Client.GetAsync("/teapot", Ct);

        ((int)response.StatusCode).Should().Be(418);
        (await Message(response)).Should().Be("short and stout");
    }

    internal static async Task<string> Message(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        json.RootElement.GetProperty("success").GetBoolean().Should().BeFalse();
        json.RootElement.GetProperty("code").GetInt32().Should().Be(1);
        return json.RootElement.GetProperty("message").GetString()!;
    }
}
