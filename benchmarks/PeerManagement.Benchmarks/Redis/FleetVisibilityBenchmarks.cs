using BenchmarkDotNet.Attributes;
using PeerManagement.Redis;
using StackExchange.Redis;

namespace PeerManagement.Benchmarks.Redis;

/// <summary>
/// The shared table's time to visibility: one instance publishes a status change (a newer record), and the time
/// until another instance's table has applied it (versioned write, pub/sub, decode, apply). The baseline is a bare
/// PUBLISH heard by a subscriber on another connection.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Redis")]
public class FleetVisibilityBenchmarks
{
    private LocalRedisServer _redis = null!;
    private ConnectionMultiplexer _a = null!;
    private ConnectionMultiplexer _b = null!;
    private RedisRecordExchange _publisher = null!;
    private readonly WaitingSink _sink = new();
    private CancellationTokenSource _stop = null!;
    private Task _run = null!;
    private TaskCompletionSource _bare = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PeerRecord _record = null!;
    private long _version;

    [GlobalSetup]
    public void Setup()
    {
        _redis = LocalRedisServer.Start();
        _a = _redis.Connect();
        _b = _redis.Connect();
        var options = new PeerManagementRedisOptions { KeyPrefix = "visibility" };
        _publisher = new RedisRecordExchange(new RedisFleetConnection(_a, ownsMultiplexer: false, options, null, null));
        var receiver = new RedisRecordExchange(new RedisFleetConnection(_b, ownsMultiplexer: false, options, null, null));
        _stop = new CancellationTokenSource();
        _ = _publisher.RunAsync(new WaitingSink(), _stop.Token);
        _run = receiver.RunAsync(_sink, _stop.Token);
        _b.GetSubscriber().Subscribe(RedisChannel.Literal("bare"), (_, _) => _bare.TrySetResult());
        _record = PeerRecord.FromRealName(PeerRealName.Parse("electrum.example.org s t", DefaultPorts.BitcoinMainnet), PeerSources.Seed)
            with { Features = PeerFeatures.Empty, IPAddress = System.Net.IPAddress.Parse("44.1.2.3") };
        _version = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;
        Thread.Sleep(200); // let both subscriptions reach the server before the first measurement
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        _run.Wait(TimeSpan.FromSeconds(10));
        _a.Dispose();
        _b.Dispose();
        _redis.Dispose();
    }

    [Benchmark(Baseline = true)]
    public async Task Bare_publish_heard()
    {
        _bare = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _a.GetSubscriber().PublishAsync(RedisChannel.Literal("bare"), "x");
        await _bare.Task;
    }

    [Benchmark]
    public async Task Status_change_applied_by_another_instance()
    {
        var version = ++_version;
        var seen = _sink.Expect(version);
        var at = new DateTimeOffset(version, TimeSpan.Zero);
        _publisher.Publish(new PeerRecordUpdate(_record.Host, _record with { LastGood = at, LastTry = at }, version));
        await seen;
    }

    /// <summary>Completes when a given version arrives.</summary>
    private sealed class WaitingSink : IPeerRecordSink
    {
        private long _expected;
        private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Expect(long version)
        {
            _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _expected, version);
            return _arrived.Task;
        }

        public bool Apply(PeerRecordUpdate update)
        {
            if (update.Version == Volatile.Read(ref _expected))
            {
                _arrived.TrySetResult();
            }

            return true;
        }

        public IReadOnlyList<PeerRecordUpdate> Snapshot() => [];
    }
}
