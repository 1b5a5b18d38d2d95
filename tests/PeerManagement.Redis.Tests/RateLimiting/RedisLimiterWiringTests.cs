using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PeerManagement.AspNetCore;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.Redis.Tests.RateLimiting;

/// <summary>The fleet-wide limiter where the local one plugs in: the JSON-RPC handler and ASP.NET Core's middleware, answers unchanged.</summary>
public sealed class RedisLimiterWiringTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_JSON_RPC_handlers_share_one_limit_and_reject_with_the_usual_error_and_retry_after()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var c1 = await redis.ConnectAsync();
        await using var c2 = await redis.ConnectAsync();
        // Redis's own clock: 2 per 10 s.
        var limits = RedisLimiterHarness.Limits(maxTokens: 2, windowSeconds: 10);
        using var l1 = RedisLimiterHarness.Create(c1, limits, time: null, prefix: "rpc");
        using var l2 = RedisLimiterHarness.Create(c2, limits, time: null, prefix: "rpc");
        var inner = new Ok();
        var first = new RateLimitingJsonRpcRequestHandler(inner, WithNetworkKeys(l1));
        var second = new RateLimitingJsonRpcRequestHandler(inner, WithNetworkKeys(l2));
        var session = FakeJsonRpcSession.Incoming(new IPEndPoint(IPAddress.Parse("203.0.113.9"), 40000));

        (await first.HandleAsync(Call(session), Ct))!.GetValue<string>().Should().Be("ok");
        (await second.HandleAsync(Call(session), Ct))!.GetValue<string>().Should().Be("ok");
        var act = () => first.HandleAsync(Call(session), Ct).AsTask();

        var error = (await act.Should().ThrowAsync<JsonRpcException>()).Which;
        error.Code.Should().Be(JsonRpcErrorCodes.RateLimited);
        error.Message.Should().Be("Rate limit exceeded");
        error.ErrorData!.Value.GetProperty("retry_after_ms").GetInt64().Should().BeInRange(4_000, 5_000, "one token of 2 per 10 s comes back within 5 s");
        inner.Calls.Should().Be(2);
    }

    [Fact]
    public async Task Behind_ASP_NET_Core_a_request_over_the_fleet_limit_gets_429_with_Retry_After_in_the_envelope()
    {
        await using var redis = await RedisServer.StartAsync();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddPeerManagement()
            .ConfigureRateLimiting(o =>
            {
                o.MaxTokens = 2;
                o.Window = TimeSpan.FromSeconds(10);
                o.Delay = TimeSpan.Zero;
            })
            .UseRedis(redis.Configuration, o => o.KeyPrefix = "http");
        builder.Services.AddPeerManagementRateLimiting();
        await using var app = builder.Build();
        app.UsePeerManagement();
        app.MapGet("/ping", () => "pong");
        await app.StartAsync(Ct);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };

        (await client.GetAsync("/ping", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync("/ping", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        using var rejected = await client.GetAsync("/ping", Ct);

        rejected.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        rejected.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(5), "one token of 2 per 10 s comes back within 5 s (whole seconds, rounded up)");
        var body = JsonNode.Parse(await rejected.Content.ReadAsStringAsync(Ct))!;
        body["success"]!.GetValue<bool>().Should().BeFalse();
        body["message"]!.GetValue<string>().Should().Be("Rate limit exceeded");
        await app.StopAsync(Ct);
    }

    private static System.Threading.RateLimiting.PartitionedRateLimiter<NetworkPrefix> WithNetworkKeys(RedisPartitionedRateLimiter<string> limiter)
        => limiter.WithTranslatedKey<NetworkPrefix>(static key => key.ToString(), leaveOpen: true);

    private static JsonRpcCall Call(IJsonRpcSession session) => new("blockchain.headers.subscribe", JsonSerializer.SerializeToElement(new JsonArray()), false, session);

    private sealed class Ok : IJsonRpcRequestHandler
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return ValueTask.FromResult<JsonNode?>("ok");
        }
    }
}
