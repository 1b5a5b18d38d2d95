using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using RedisRateLimiting;
using StackExchange.Redis;

namespace PeerManagement.Benchmarks.Redis;

/// <summary>
/// Fleet-wide limiter decisions against a local redis-server: one caller at a time (latency) and 64 in flight
/// (throughput), ours beside RedisRateLimiting's token bucket (the baseline) in the same run. Both take one round
/// trip per decision; the limits are so high that every decision is a grant, so the work measured is the decision.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Redis")]
public class RedisLimiterBenchmarks
{
    private const int InFlight = 64;

    private LocalRedisServer _redis = null!;
    private ConnectionMultiplexer _connection = null!;
    private RedisTokenBucketRateLimiter<string> _baseline = null!;
    private PartitionedRateLimiter<string> _fleet = null!;

    [GlobalSetup]
    public void Setup()
    {
        _redis = LocalRedisServer.Start();
        _connection = _redis.Connect();
        _baseline = new RedisTokenBucketRateLimiter<string>("caller", new RedisTokenBucketRateLimiterOptions
        {
            ConnectionMultiplexerFactory = () => _connection,
            TokenLimit = int.MaxValue,
            TokensPerPeriod = int.MaxValue,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        });
        _fleet = new PeerManagement.Redis.RedisPartitionedRateLimiter<string>(
            _connection,
            new RateLimitingOptions { MaxTokens = int.MaxValue, Window = TimeSpan.FromSeconds(1), Delay = TimeSpan.Zero },
            new PeerManagement.Redis.PeerManagementRedisOptions { KeyPrefix = "bench" });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _baseline.Dispose();
        _fleet.Dispose();
        _connection.Dispose();
        _redis.Dispose();
    }

    [Benchmark(Baseline = true)]
    public async Task<bool> RedisRateLimiting_one_decision()
    {
        using var lease = await _baseline.AcquireAsync(1);
        return lease.IsAcquired;
    }

    [Benchmark]
    public async Task<bool> Fleet_one_decision()
    {
        using var lease = await _fleet.AcquireAsync("caller", 1);
        return lease.IsAcquired;
    }

    [Benchmark(OperationsPerInvoke = InFlight)]
    public Task RedisRateLimiting_64_in_flight() => Task.WhenAll(Enumerable.Range(0, InFlight).Select(async _ => (await _baseline.AcquireAsync(1)).Dispose()));

    [Benchmark(OperationsPerInvoke = InFlight)]
    public Task Fleet_64_in_flight() => Task.WhenAll(Enumerable.Range(0, InFlight).Select(async _ => (await _fleet.AcquireAsync("caller", 1)).Dispose()));
}
