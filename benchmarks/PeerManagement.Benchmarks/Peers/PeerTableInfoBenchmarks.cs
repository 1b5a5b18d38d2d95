using BenchmarkDotNet.Attributes;

namespace PeerManagement.Benchmarks.Peers;

/// <summary><see cref="PeerTable.GetInfo"/> on 100,000 entries of every status, against a recount.</summary>
[MemoryDiagnoser]
public class PeerTableInfoBenchmarks
{
    private PeerTable _table = null!;

    [GlobalSetup]
    public void Setup() => _table = PeerData.Table(PeerData.Records(100_000, withFeatures: false));

    /// <summary>What a table without maintained counts does: derive every status again.</summary>
    [Benchmark(Baseline = true)]
    public PeerCounts Recount()
    {
        var now = PeerData.Clock.GetUtcNow();
        int bad = 0, good = 0, never = 0, stale = 0;
        foreach (var record in _table.GetRecords())
        {
            switch (record.GetStatus(now, _table.StaleAfter))
            {
                case PeerStatus.Bad: bad++; break;
                case PeerStatus.Good: good++; break;
                case PeerStatus.Never: never++; break;
                default: stale++; break;
            }
        }

        return new PeerCounts(bad, good, never, stale);
    }

    [Benchmark]
    public PeerCounts GetInfo() => _table.GetInfo();
}
