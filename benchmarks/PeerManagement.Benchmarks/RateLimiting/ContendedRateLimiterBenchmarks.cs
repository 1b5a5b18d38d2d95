using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using PeerManagement;

namespace PeerManagement.Benchmarks.RateLimiting;

/// <summary>Two threads acquiring on one key at once: throughput, ours beside the BCL's token bucket.</summary>
[MemoryDiagnoser]
[BenchmarkCategory("RateLimiting")]
public class ContendedRateLimiterBenchmarks
{
    private const int PerThread = 200_000;

    private TokenBucketRateLimiter _bcl = null!;
    private PeerRateLimiter _peer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _bcl = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = int.MaxValue,
            TokensPerPeriod = int.MaxValue,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            AutoReplenishment = true,
        });
        _peer = new PeerRateLimiter(new RateLimitingOptions { MaxTokens = int.MaxValue, Window = TimeSpan.FromSeconds(1), Delay = TimeSpan.Zero });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _bcl.Dispose();
        _peer.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = 2 * PerThread)]
    public void Bcl_TokenBucket_two_threads() => Parallel.Invoke(() => Loop(_bcl), () => Loop(_bcl));

    [Benchmark(OperationsPerInvoke = 2 * PerThread)]
    public void Peer_two_threads() => Parallel.Invoke(() => Loop(_peer), () => Loop(_peer));

    private static void Loop(RateLimiter limiter)
    {
        for (var i = 0; i < PerThread; i++)
        {
            limiter.AttemptAcquire().Dispose();
        }
    }
}
