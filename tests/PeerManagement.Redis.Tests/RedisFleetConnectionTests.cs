using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using PeerManagement.Redis.Tests.RateLimiting;
using PeerManagement.TestUtilities.Time;
using StackExchange.Redis;

namespace PeerManagement.Redis.Tests;

/// <summary>Outages: Redis stopped, slow or full is logged once per change of state, counted, and never hangs a caller.</summary>
public sealed class RedisFleetConnectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly WatchedTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeLogCollector _logs = new();

    [Fact]
    public async Task The_limiter_goes_on_locally_while_Redis_is_down_and_logs_each_change_of_state_once()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await redis.ConnectAsync(timeoutMs: 300);
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = meters.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var outages = new MetricCollector<long>(meterFactory, PeerManagementDiagnostics.MeterName, "peermanagement.redis.outages");
        using var limiter = RedisLimiterHarness.Create(connection, RedisLimiterHarness.Limits(maxTokens: 3, windowSeconds: 60), _time, loggers: Loggers(), meters: meterFactory);
        limiter.AttemptAcquire("a").IsAcquired.Should().BeTrue();

        await redis.KillAsync();
        var decisions = new List<bool>();
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            decisions.Add(limiter.AttemptAcquire("a").IsAcquired);
            watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(3), "a decision never waits for a dead Redis");
        }

        decisions.Should().Equal([true, true, true, false, false], "the local limiter of the same settings decides meanwhile");
        LogsWithId(800).Should().ContainSingle();
        outages.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags["reason"].Should().Be("unavailable");

        await redis.RestartAsync();
        await WaitUntilAsync(() => limiter.AttemptAcquire("b").IsAcquired && LogsWithId(802).Count == 1, "the limiter should use Redis again");
        LogsWithId(800).Should().ContainSingle("the outage is logged once, not once per decision");
    }

    [Fact]
    public async Task A_limiter_set_to_fail_closed_rejects_with_the_reconnect_retry_after_while_Redis_is_down()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await redis.ConnectAsync(timeoutMs: 300);
        using var limiter = RedisLimiterHarness.Create(connection, RedisLimiterHarness.Limits(), _time, failureMode: RedisLimiterFailureMode.Reject, loggers: Loggers());

        await redis.KillAsync();

        var lease = await limiter.AcquireAsync("a", 1, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        lease.IsAcquired.Should().BeFalse();
        lease.RetryAfter().Should().Be(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_slow_Redis_is_logged_as_not_answering_in_time_and_never_hangs_a_decision()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var admin = await redis.ConnectAsync(timeoutMs: 10_000);
        await using var connection = await redis.ConnectAsync(timeoutMs: 200);
        using var limiter = RedisLimiterHarness.Create(connection, RedisLimiterHarness.Limits(), _time, loggers: Loggers());
        limiter.AttemptAcquire("a").IsAcquired.Should().BeTrue();

        // The server sleeps 3 s inside one command: every other client waits.
        var sleeping = admin.GetDatabase().ExecuteAsync("DEBUG", "SLEEP", "3");
        await WaitUntilAsync(() =>
        {
            var watch = Stopwatch.StartNew();
            limiter.AttemptAcquire("a").IsAcquired.Should().BeTrue("the local limiter grants meanwhile");
            watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2), "a decision waits at most the command timeout");
            return LogsWithId(800).Count == 1;
        }, "the slow server should be noticed");

        LogsWithId(800).Single().Message.Should().Contain("did not answer in time");
        await sleeping.WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public async Task A_full_Redis_is_logged_as_refusing_writes_and_the_instance_goes_on_locally()
    {
        await using var redis = await RedisServer.StartAsync("--maxmemory", "1mb", "--maxmemory-policy", "noeviction");
        await using var admin = await redis.ConnectAsync();
        await using var connection = await redis.ConnectAsync();
        using var limiter = RedisLimiterHarness.Create(connection, RedisLimiterHarness.Limits(maxTokens: 2, windowSeconds: 60), _time, loggers: Loggers());
        await FillAsync(admin.GetDatabase());

        var decisions = Enumerable.Range(0, 3).Select(_ => limiter.AttemptAcquire("a").IsAcquired).ToList();

        decisions.Should().Equal([true, true, false], "the local limiter decides while Redis refuses writes");
        LogsWithId(801).Should().ContainSingle().Which.Message.Should().Contain("OOM");
    }

    private static async Task FillAsync(IDatabase database)
    {
        var chunk = new string('x', 64 * 1024);
        for (var i = 0; i < 100; i++)
        {
            try
            {
                await database.StringSetAsync($"filler:{i}", chunk);
            }
            catch (RedisServerException ex) when (ex.Message.Contains("OOM", StringComparison.Ordinal))
            {
                return;
            }
        }

        throw new InvalidOperationException("Redis never reported that it was full.");
    }

    private ILoggerFactory Loggers() => LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(_logs)).SetMinimumLevel(LogLevel.Debug));

    private List<FakeLogRecord> LogsWithId(int id) => [.. _logs.GetSnapshot().Where(r => r.Id.Id == id)];

    private static async Task WaitUntilAsync(Func<bool> condition, string because)
    {
        var deadline = Environment.TickCount64 + 15_000;
        while (!condition())
        {
            Environment.TickCount64.Should().BeLessThan(deadline, because);
            await Task.Delay(20, Ct);
        }
    }
}
