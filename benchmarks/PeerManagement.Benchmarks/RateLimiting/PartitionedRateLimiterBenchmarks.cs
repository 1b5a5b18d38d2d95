using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using PeerManagement;

namespace PeerManagement.Benchmarks.RateLimiting;

/// <summary>
/// 100,000 keys: acquiring round robin over live partitions, and creating partitions (allocated bytes per new
/// partition), ours beside <c>PartitionedRateLimiter.Create</c> + <c>RateLimitPartition.GetTokenBucketLimiter</c>.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("RateLimiting")]
public class PartitionedRateLimiterBenchmarks
{
    private const int Keys = 100_000;

    private static readonly TokenBucketRateLimiterOptions BclOptions = new()
    {
        TokenLimit = int.MaxValue,
        TokensPerPeriod = int.MaxValue,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        AutoReplenishment = true,
    };

    private static readonly RateLimitingOptions PeerOptions = new()
    {
        MaxTokens = int.MaxValue,
        Window = TimeSpan.FromSeconds(1),
        Delay = TimeSpan.Zero,
        MaxPartitions = Keys,
        PartitionIdleTimeout = TimeSpan.FromHours(1),
    };

    private PartitionedRateLimiter<int> _bcl = null!;
    private PeerPartitionedRateLimiter<int> _peer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _bcl = CreateBcl();
        _peer = new PeerPartitionedRateLimiter<int>(PeerOptions);
        for (var key = 0; key < Keys; key++)
        {
            _bcl.AttemptAcquire(key).Dispose();
            _peer.AttemptAcquire(key).Dispose();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _bcl.Dispose();
        _peer.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Keys)]
    [BenchmarkCategory("RoundRobin")]
    public void Bcl_Partitioned_round_robin()
    {
        for (var key = 0; key < Keys; key++)
        {
            _bcl.AttemptAcquire(key).Dispose();
        }
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    [BenchmarkCategory("RoundRobin")]
    public void Peer_Partitioned_round_robin()
    {
        for (var key = 0; key < Keys; key++)
        {
            _peer.AttemptAcquire(key).Dispose();
        }
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    [BenchmarkCategory("NewPartitions")]
    public void Bcl_Partitioned_new_partitions()
    {
        using var limiter = CreateBcl();
        for (var key = 0; key < Keys; key++)
        {
            limiter.AttemptAcquire(key).Dispose();
        }
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    [BenchmarkCategory("NewPartitions")]
    public void Peer_Partitioned_new_partitions()
    {
        using var limiter = new PeerPartitionedRateLimiter<int>(PeerOptions);
        for (var key = 0; key < Keys; key++)
        {
            limiter.AttemptAcquire(key).Dispose();
        }
    }

    private static PartitionedRateLimiter<int> CreateBcl()
        => PartitionedRateLimiter.Create<int, int>(key => RateLimitPartition.GetTokenBucketLimiter(key, static _ => BclOptions));
}
