using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using PeerManagement;

namespace PeerManagement.Benchmarks.RateLimiting;

/// <summary>One key: granted and rejected <c>AttemptAcquire</c>, ours beside the BCL's token bucket.</summary>
[MemoryDiagnoser]
[BenchmarkCategory("RateLimiting")]
public class SingleKeyRateLimiterBenchmarks
{
    private TokenBucketRateLimiter _bclGranted = null!;
    private PeerRateLimiter _peerGranted = null!;
    private TokenBucketRateLimiter _bclRejected = null!;
    private PeerRateLimiter _peerRejected = null!;

    [GlobalSetup]
    public void Setup()
    {
        _bclGranted = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = int.MaxValue,
            TokensPerPeriod = int.MaxValue,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            AutoReplenishment = true,
        });
        _peerGranted = new PeerRateLimiter(new RateLimitingOptions { MaxTokens = int.MaxValue, Window = TimeSpan.FromSeconds(1), Delay = TimeSpan.Zero });

        _bclRejected = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = 1,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromDays(1),
            AutoReplenishment = true,
        });
        _bclRejected.AttemptAcquire().Dispose();
        _peerRejected = new PeerRateLimiter(new RateLimitingOptions { MaxTokens = 1, Window = TimeSpan.FromDays(1), Delay = TimeSpan.Zero });
        _peerRejected.AttemptAcquire().Dispose();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _bclGranted.Dispose();
        _peerGranted.Dispose();
        _bclRejected.Dispose();
        _peerRejected.Dispose();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Granted")]
    public bool Bcl_TokenBucket_granted()
    {
        using var lease = _bclGranted.AttemptAcquire();
        return lease.IsAcquired;
    }

    [Benchmark]
    [BenchmarkCategory("Granted")]
    public bool Peer_granted()
    {
        using var lease = _peerGranted.AttemptAcquire();
        return lease.IsAcquired;
    }

    [Benchmark]
    [BenchmarkCategory("Rejected")]
    public bool Bcl_TokenBucket_rejected()
    {
        using var lease = _bclRejected.AttemptAcquire();
        return lease.IsAcquired;
    }

    [Benchmark]
    [BenchmarkCategory("Rejected")]
    public bool Peer_rejected_with_retry_after()
    {
        using var lease = _peerRejected.AttemptAcquire();
        return lease.IsAcquired;
    }
}
