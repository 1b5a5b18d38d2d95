using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.AspNetCore.Tests;

public sealed class RateLimitingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Settings(string maxTokens, string delayAfter = "100", string delayMs = "0", string enabled = "true") => new()
    {
        ["MAX_TOKENS"] = maxTokens,
        ["RATE_LIMIT_WINDOW_SECONDS"] = "10",
        ["RATE_LIMIT_DELAY_AFTER"] = delayAfter,
        ["RATE_LIMIT_DELAY_MS"] = delayMs,
        ["ENABLE_RATE_LIMIT"] = enabled,
    };

    [Fact]
    public async Task Over_the_limit_a_request_gets_429_with_Retry_After_in_the_envelope()
    {
        await using var app = await KestrelApp.StartAsync(Settings(maxTokens: "2"), a => a.MapGet("/ping", () => "pong"));

        (await app.Client.GetAsync("/ping", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await app.Client.GetAsync("/ping", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        using var rejected = await app.Client.GetAsync("/ping", Ct);

        rejected.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        rejected.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(5), "one token of 2 per 10 s comes back in 5 s");
        (await ErrorEnvelopeTests.Message(rejected)).Should().Be("Rate limit exceeded");

        app.Time.Advance(TimeSpan.FromSeconds(5));
        (await app.Client.GetAsync("/ping", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_peer_endpoints_are_limited_too()
    {
        await using var app = await KestrelApp.StartAsync(Settings(maxTokens: "1"));

        (await app.Client.GetAsync("/peers/info", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await app.Client.GetAsync("/peers", Ct)).StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task With_rate_limiting_off_nothing_is_limited()
    {
        await using var app = await KestrelApp.StartAsync(Settings(maxTokens: "1", enabled: "false"), a => a.MapGet("/ping", () => "pong"));

        for (var i = 0; i < 5; i++)
        {
            (await app.Client.GetAsync("/ping", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task A_request_over_the_soft_limit_is_served_after_the_delay()
    {
        await using var app = await KestrelApp.StartAsync(Settings(maxTokens: "100", delayAfter: "1", delayMs: "300"), a => a.MapGet("/ping", () => "pong"));
        (await app.Client.GetAsync("/ping", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);

        var timers = app.Time.TimersCreated;

        var late = app.Client.GetAsync("/ping", Ct);
        // The limiter arms the delay's timer once the request reached it: advance the clock exactly then.
        await app.Time.WaitForTimersAsync(timers + 1, Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        late.IsCompleted.Should().BeFalse("the fake clock has not moved");
        app.Time.Advance(TimeSpan.FromMilliseconds(300));

        using var response = await late.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(Ct)).Should().Be("pong");
    }

    [Fact]
    public async Task Decisions_over_HTTP_and_over_JSON_RPC_are_both_counted_by_the_one_limiter_under_one_key()
    {
        await using var app = await KestrelApp.StartAsync(Settings(maxTokens: "2"), a => a.MapGet("/ping", () => "pong"));
        var meters = app.App.Services.GetRequiredService<IMeterFactory>();
        using var collector = new MetricCollector<long>(meters, PeerManagementDiagnostics.MeterName, "peermanagement.rate_limiter.decisions");
        var rpc = new OkHandler().WithRateLimiting(app.App.Services);

        (await app.Client.GetAsync("/ping", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await rpc.HandleAsync(Call("192.0.2.1"), Ct)).Should().NotBeNull();
        (await rpc.HandleAsync(Call("127.0.0.1"), Ct)).Should().NotBeNull("the HTTP client on 127.0.0.1 left one token of 2");
        (await app.Client.GetAsync("/ping", Ct)).StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "JSON-RPC from the same address took the last token");
        await rpc.Invoking(h => h.HandleAsync(Call("::ffff:127.0.0.1"), Ct).AsTask()).Should().ThrowAsync<JsonRpcException>();

        collector.GetMeasurementSnapshot().Select(m => (string)m.Tags["decision"]!)
            .Should().Equal("granted", "granted", "granted", "rejected", "rejected");
    }

    private static JsonRpcCall Call(string address)
        => new("server.ping", default, false, FakeJsonRpcSession.Incoming(new IPEndPoint(IPAddress.Parse(address), 50001)));

    private sealed class OkHandler : IJsonRpcRequestHandler
    {
        public ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
            => new(JsonValue.Create("ok"));
    }
}
