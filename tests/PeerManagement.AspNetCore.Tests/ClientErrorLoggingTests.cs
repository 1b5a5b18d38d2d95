using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace PeerManagement.AspNetCore.Tests;

/// <summary>
/// Failures a client causes (oversized, malformed or cut-short bodies, disconnects) through the error envelope
/// on a real Kestrel server: answered as SPEC §6 says, logged at Information without the exception and at most
/// once a minute for each kind, so one client cannot flood the log.
/// </summary>
public sealed class ClientErrorLoggingTests
{
    private const int Requests = 50;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Oversized_bodies_are_413s_logged_once_a_minute_at_information_without_the_exception()
    {
        await using var app = await StartAsync(s => s.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = 1024));
        var body = "{\"real_name\":\"" + new string('a', 2048) + "\"}";

        for (var i = 0; i < Requests; i++)
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await app.Client.PostAsync("/peers", content, Ct);
            response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
            (await ErrorEnvelopeTests.Message(response)).Should().Contain("too large");
        }

        ShouldHaveNoErrorsNorExceptions(app);
        ClientErrorLines(app).Should().ContainSingle().Which.Message.Should().Contain("BodyTooLarge").And.Contain("POST /peers").And.Contain("0 more");

        // A minute later the next one is logged again, with the count of those not logged.
        app.Time.Advance(TimeSpan.FromMinutes(1));
        using (var content = new StringContent(body, Encoding.UTF8, "application/json"))
        using (var response = await app.Client.PostAsync("/peers", content, Ct))
        {
            response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        }

        ShouldHaveNoErrorsNorExceptions(app);
        ClientErrorLines(app).Should().HaveCount(2).And.Subject.Last().Message.Should().Contain($"{Requests - 1} more of this kind");
    }

    [Theory]
    [InlineData("zz\r\n{\"real_name\":\"x\"}\r\n0\r\n\r\n")]
    [InlineData("10;\u0001\r\n{\"real_name\":\"x\"}\r\n0\r\n\r\n")]
    [InlineData("10\r\n{\"real_name\":\"x\"}xxxxxxxx0\r\n\r\n")]
    public async Task Badly_chunked_bodies_are_400s_logged_once_a_minute_at_information(string chunks)
    {
        await using var app = await StartAsync();
        var request = "POST /peers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks;

        for (var i = 0; i < Requests; i++)
        {
            var answer = await SendAndReadToEndAsync(app, request);
            answer.Should().StartWith("HTTP/1.1 400 ").And.Contain("{\"success\":false,\"code\":1,\"message\":");
        }

        ShouldHaveNoErrorsNorExceptions(app);
        ClientErrorLines(app).Should().ContainSingle().Which.Message.Should().Contain("BadRequest");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Clients_that_cut_the_body_short_or_reset_are_logged_once_a_minute_at_information(bool reset)
    {
        using var started = new SemaphoreSlim(0);
        using var finished = new SemaphoreSlim(0);
        await using var app = await StartAsync(map: a => a.MapPost("/upload", async (HttpContext context) =>
        {
            context.Response.RegisterForDispose(new Release(finished));
            started.Release();
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            return Results.Ok();
        }));

        for (var i = 0; i < Requests; i++)
        {
            using var client = await ConnectAsync(app);
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\nsome"), Ct);
            await started.WaitAsync(Ct).WaitAsync(Deadline, Ct);
            if (reset)
            {
                client.Client.LingerState = new LingerOption(true, 0); // as a client that dies
            }

            client.Close();
            await finished.WaitAsync(Ct).WaitAsync(Deadline, Ct);
        }

        // Whether Kestrel reports the cut-short body or the gone connection first is a race: one line per kind seen.
        ShouldHaveNoErrorsNorExceptions(app);
        var lines = ClientErrorLines(app);
        lines.Should().NotBeEmpty();
        lines.GroupBy(r => r.StructuredState!.Single(s => s.Key == "Kind").Value).Should().OnlyContain(kind => kind.Count() == 1);
    }

    [Fact]
    public async Task Failures_of_our_own_code_are_each_logged_at_error_with_the_exception()
    {
        await using var app = await StartAsync(map: a => a.MapGet("/boom", string () => throw new InvalidOperationException("ours")));

        for (var i = 0; i < 5; i++)
        {
            using var response = await app.Client.GetAsync("/boom", Ct);
            response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        }

        app.Logs.GetSnapshot().Where(r => r.Id.Id == 700).Should().HaveCount(5)
            .And.OnlyContain(r => r.Level == LogLevel.Error && r.Exception is InvalidOperationException);
        ClientErrorLines(app).Should().BeEmpty();
    }

    private static Task<KestrelApp> StartAsync(Action<IServiceCollection>? services = null, Action<WebApplication>? map = null)
        => KestrelApp.StartAsync(new Dictionary<string, string?> { ["ENABLE_RATE_LIMIT"] = "false" }, map, services);

    private static FakeLogRecord[] ClientErrorLines(KestrelApp app)
    {
        var lines = app.Logs.GetSnapshot().Where(r => r.Id.Id == 710).ToArray();
        lines.Should().NotContain(r => r.Level != LogLevel.Information || r.Exception != null);
        return lines;
    }

    // Kestrel's own Debug lines about bad requests (off in production) may carry the exception; nothing else may.
    private static void ShouldHaveNoErrorsNorExceptions(KestrelApp app)
        => app.Logs.GetSnapshot().Should().NotContain(r => r.Level >= LogLevel.Error || (r.Exception != null && r.Level >= LogLevel.Information));

    private static async Task<TcpClient> ConnectAsync(KestrelApp app)
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, new Uri(app.App.Urls.First()).Port, Ct);
        return client;
    }

    // The server closes the connection after a bad request: the answer is all it sends.
    private static async Task<string> SendAndReadToEndAsync(KestrelApp app, string request)
    {
        using var client = await ConnectAsync(app);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), Ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(Ct).WaitAsync(Deadline, Ct);
    }

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }
}
