using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.Tests.RateLimiting;

public sealed partial class RateLimitingJsonRpcRequestHandlerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly CountingHandler _inner = new();
    private readonly PeerPartitionedRateLimiter<NetworkPrefix> _limiter;

    public RateLimitingJsonRpcRequestHandlerTests()
        => _limiter = new PeerPartitionedRateLimiter<NetworkPrefix>(RateLimitTestOptions.Create(maxTokens: 3, windowSeconds: 3, delayAfter: 2, delayMs: 300), _time);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _limiter.Dispose();

    [Fact]
    public async Task Requests_within_the_limits_are_handled_at_once()
    {
        var handler = CreateHandler();
        var session = new FakeSession("192.0.2.1");

        var result = await handler.HandleAsync(Call(session), Ct);

        result!.GetValue<string>().Should().Be("ok");
        _inner.Calls.Should().Be(1);
    }

    [Fact]
    public async Task Requests_over_the_soft_limit_are_served_late()
    {
        var handler = CreateHandler();
        var session = new FakeSession("192.0.2.1");
        await handler.HandleAsync(Call(session), Ct);
        await handler.HandleAsync(Call(session), Ct);

        var late = handler.HandleAsync(Call(session), Ct).AsTask();
        late.IsCompleted.Should().BeFalse();
        _inner.Calls.Should().Be(2);
        _time.Advance(TimeSpan.FromMilliseconds(300));

        (await late.WaitAsync(TimeSpan.FromSeconds(10), Ct))!.GetValue<string>().Should().Be("ok");
        _inner.Calls.Should().Be(3);
    }

    [Fact]
    public async Task Rejected_requests_get_a_rate_limited_error_with_a_retry_after_hint()
    {
        var handler = CreateHandler();
        var session = new FakeSession("192.0.2.1");
        await ExhaustAsync(handler, session);

        var act = () => handler.HandleAsync(Call(session), Ct).AsTask();

        var error = (await act.Should().ThrowAsync<JsonRpcException>()).Which;
        error.Code.Should().Be(JsonRpcErrorCodes.RateLimited);
        error.Message.Should().Be("Rate limit exceeded");
        error.ErrorData!.Value.GetProperty("retry_after_ms").GetInt64().Should().Be(700, "0.3 of a token came back while the last request waited");
        error.ErrorData!.Value.GetProperty("retry_after").GetDouble().Should().Be(0.7);
        _inner.Calls.Should().Be(3);
    }

    [Fact]
    public async Task A_rejected_notification_is_dropped_without_an_answer()
    {
        var handler = CreateHandler();
        var session = new FakeSession("192.0.2.1");
        await ExhaustAsync(handler, session);

        var result = await handler.HandleAsync(Call(session, notification: true), Ct);

        result.Should().BeNull();
        _inner.Calls.Should().Be(3);
    }

    [Fact]
    public async Task Remote_addresses_are_limited_separately_and_IPv4_mapped_addresses_count_as_IPv4()
    {
        var handler = CreateHandler();
        await ExhaustAsync(handler, new FakeSession("192.0.2.1"));

        await handler.Invoking(h => h.HandleAsync(Call(new FakeSession("::ffff:192.0.2.1")), Ct).AsTask()).Should().ThrowAsync<JsonRpcException>();
        (await handler.HandleAsync(Call(new FakeSession("192.0.2.2")), Ct)).Should().NotBeNull();
    }

    [Fact]
    public async Task IPv6_addresses_in_one_64_bit_prefix_share_a_limit()
    {
        var handler = CreateHandler();
        await ExhaustAsync(handler, new FakeSession("2001:db8:1:2::1"));

        await handler.Invoking(h => h.HandleAsync(Call(new FakeSession("2001:db8:1:2:ffff::9")), Ct).AsTask()).Should().ThrowAsync<JsonRpcException>();
        (await handler.HandleAsync(Call(new FakeSession("2001:db8:1:3::1")), Ct)).Should().NotBeNull();
    }

    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7/32")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7/32")]
    [InlineData("2001:db8:aa:bb:cc:dd:ee:ff", "2001:db8:aa:bb::/64")]
    public void The_key_of_an_address_is_its_internal_network_the_IPv4_address_or_the_IPv6_64_prefix(string address, string key)
    {
        var ip = IPAddress.Parse(address);

        var found = RateLimitingJsonRpcRequestHandler.KeyOf(new IPEndPoint(ip, 1));

        found.ToString().Should().Be(key);
        found.Should().Be(PeerBuckets.GetInternalNetwork(ip), "the rate-limit key and the admission bucket are one rule");
    }

    [Fact]
    public void An_end_point_without_an_IP_address_has_the_shared_key()
        => RateLimitingJsonRpcRequestHandler.KeyOf(new DnsEndPoint("example.org", 1)).Should().Be(default(NetworkPrefix));

    [Fact]
    public async Task A_session_that_keeps_hammering_after_rejection_is_closed()
    {
        var handler = CreateHandler(closeAfterRejections: 3);
        var session = new FakeSession("192.0.2.1");
        await ExhaustAsync(handler, session);

        for (var i = 0; i < 3; i++)
        {
            await handler.Invoking(h => h.HandleAsync(Call(session), Ct).AsTask()).Should().ThrowAsync<JsonRpcException>();
        }

        await session.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        session.DisposeCount.Should().Be(1);
    }

    [Fact]
    public async Task A_session_that_waits_as_told_is_not_closed()
    {
        var handler = CreateHandler(closeAfterRejections: 2);
        var session = new FakeSession("192.0.2.1");
        await ExhaustAsync(handler, session);

        for (var i = 0; i < 5; i++)
        {
            var error = (await handler.Invoking(h => h.HandleAsync(Call(session), Ct).AsTask()).Should().ThrowAsync<JsonRpcException>()).Which;
            _time.Advance(TimeSpan.FromMilliseconds(error.ErrorData!.Value.GetProperty("retry_after_ms").GetInt64()));
            var served = handler.HandleAsync(Call(session), Ct).AsTask();
            _time.Advance(TimeSpan.FromMilliseconds(300));
            await served.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        }

        session.DisposeCount.Should().Be(0);
    }

    [Fact]
    public async Task Sessions_without_an_IP_address_share_one_limit()
    {
        var handler = CreateHandler();
        await ExhaustAsync(handler, new FakeSession(null));

        await handler.Invoking(h => h.HandleAsync(Call(new FakeSession(null)), Ct).AsTask()).Should().ThrowAsync<JsonRpcException>();
    }

    [Fact]
    public void WithRateLimiting_returns_the_handler_unchanged_when_rate_limiting_is_off()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddPeerManagement().ConfigureRateLimiting(o => o.Enabled = false);
        using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);

        _inner.WithRateLimiting(provider).Should().BeSameAs(_inner);
    }

    [Fact]
    public void WithRateLimiting_wraps_the_handler_in_the_registered_limiter_when_on()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddPeerManagement();
        using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);

        _inner.WithRateLimiting(provider).Should().BeOfType<RateLimitingJsonRpcRequestHandler>();
    }

    [Fact]
    public async Task A_flood_from_many_addresses_keeps_the_tracked_addresses_bounded()
    {
        using var limiter = new PeerPartitionedRateLimiter<NetworkPrefix>(RateLimitTestOptions.Create(maxTokens: 1, maxPartitions: 500), _time);
        var handler = new RateLimitingJsonRpcRequestHandler(_inner, limiter, _time);

        for (var i = 0; i < 100_000; i++)
        {
            var session = new FakeSession(new IPAddress(0x0A000000u + (uint)i).ToString());
            await handler.HandleAsync(Call(session), Ct);
        }

        limiter.PartitionCount.Should().BeLessThanOrEqualTo(500);
        _inner.Calls.Should().Be(100_000, "every new address starts with a full bucket");
    }

    [Fact]
    public async Task Decisions_on_JSON_RPC_calls_are_counted_once_each_in_the_rate_limiter_metric()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        Microsoft.Extensions.DependencyInjection.MetricsServiceExtensions.AddMetrics(services);
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<TimeProvider>(services, _time);
        services.AddPeerManagement().ConfigureRateLimiting(o =>
        {
            o.MaxTokens = 2;
            o.DelayAfter = 1;
            o.Delay = TimeSpan.FromMilliseconds(100);
        });
        using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        var meterFactory = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(provider);
        using var collector = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(meterFactory, PeerManagementDiagnostics.MeterName, "peermanagement.rate_limiter.decisions");
        var handler = _inner.WithRateLimiting(provider);
        var session = new FakeSession("192.0.2.9");

        await handler.HandleAsync(Call(session), Ct);
        var late = handler.HandleAsync(Call(session), Ct).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        await late.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await handler.Invoking(h => h.HandleAsync(Call(session), Ct).AsTask()).Should().ThrowAsync<JsonRpcException>();

        collector.GetMeasurementSnapshot().Select(m => (string)m.Tags["decision"]!).Should().Equal("granted", "delayed", "rejected");
    }

    private RateLimitingJsonRpcRequestHandler CreateHandler(int closeAfterRejections = 10)
        => new(_inner, _limiter, _time, null, closeAfterRejections);

    private async Task ExhaustAsync(IJsonRpcRequestHandler handler, FakeSession session)
    {
        await handler.HandleAsync(Call(session), Ct);
        await handler.HandleAsync(Call(session), Ct);
        var late = handler.HandleAsync(Call(session), Ct).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(300));
        await late.WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    private static JsonRpcCall Call(IJsonRpcSession session, bool notification = false)
        => new("server.ping", default, notification, session);

    private sealed class CountingHandler : IJsonRpcRequestHandler
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return new ValueTask<JsonNode?>(JsonValue.Create("ok"));
        }
    }

    private sealed class FakeSession(string? address) : IJsonRpcSession
    {
        private int _disposeCount;

        public EndPoint? RemoteEndPoint { get; } = address is null ? null : new IPEndPoint(IPAddress.Parse(address), 50001);


        public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Completion => Closed.Task;

        public int DisposeCount => Volatile.Read(ref _disposeCount);

        public Task<JsonElement> InvokeAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
            => throw new NotSupportedException();

        public ValueTask NotifyAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken)
            => throw new NotSupportedException();

        public ValueTask DisposeAsync()
        {
            Interlocked.Increment(ref _disposeCount);
            Closed.TrySetResult();
            return default;
        }
    }
}
