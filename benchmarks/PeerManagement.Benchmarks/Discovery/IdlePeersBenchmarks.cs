using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.Benchmarks.Discovery;

/// <summary>
/// 100,000 known, idle entries: what it costs to hold them (table and schedule) against a plain dictionary of the
/// same records, and what one idle minute costs once they are scheduled.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class IdlePeersBenchmarks
{
    private const int Entries = 100_000;
    private PeerRecord[] _records = null!;
    private FakeTimeProvider _time = null!;
    private PeerManager _idle = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        var now = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        _records = new PeerRecord[Entries];
        for (var i = 0; i < Entries; i++)
        {
            _records[i] = PeerRecord.FromRealName(PeerRealName.Parse(DiscoveryBenchmarkSetup.Host(i) + " s t", DefaultPorts.BitcoinMainnet), PeerSources.Peer)
                with { LastGood = now, LastTry = now, IPAddress = DiscoveryBenchmarkSetup.Address(i) };
        }

        _time = new FakeTimeProvider(now);
        var (manager, table, _) = DiscoveryBenchmarkSetup.Create(_time, 0, 16, addToNetwork: false);
        var store = new InMemoryPeerStore();
        await store.SaveAsync(_records, CancellationToken.None);
        // Good peers are re-checked StaleAfter − 2 × Wakeup after their success: a century away, so every
        // benchmarked minute is idle however many minutes BenchmarkDotNet advances the clock by.
        var options = new PeerManagementOptions { StaleAfter = TimeSpan.FromDays(36500) };
        _idle = new PeerManager(table, Microsoft.Extensions.Options.Options.Create(options), new TestUtilities.Electrum.InMemoryPeerNetwork(_time), new TestUtilities.Electrum.InMemoryPeerNetwork(_time), new TestUtilities.Electrum.FakeChainView(), store, [], _time);
        await manager.DisposeAsync();
        await _idle.StartAsync(CancellationToken.None);
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _idle.DisposeAsync();

    [Benchmark(Baseline = true)]
    public int HoldInDictionary()
    {
        var map = new Dictionary<PeerHost, PeerRecord>();
        foreach (var record in _records)
        {
            map.Add(record.Host, record);
        }

        return map.Count;
    }

    [Benchmark]
    public int HoldInTableAndSchedule()
    {
        var now = _time.GetUtcNow();
        var table = new PeerTable(_time, TimeSpan.FromHours(3));
        var scheduler = new PeerCheckScheduler(_time, 16, (_, _) => Task.FromResult<DateTimeOffset?>(null));
        foreach (var record in _records)
        {
            table.TryAdd(record);
            scheduler.Schedule(record.Host, record.LastGood!.Value + TimeSpan.FromMinutes(170));
        }

        return table.Count + scheduler.Count;
    }

    [Benchmark]
    public async Task IdleMinute()
    {
        _time.Advance(TimeSpan.FromMinutes(1));
        await Task.Yield();
    }
}
