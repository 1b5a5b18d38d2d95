using System.Net;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;

namespace PeerManagement.Benchmarks.Discovery;

/// <summary>The <c>server.peers.subscribe</c> answer over 10,000 good peers in 1,000 external buckets, against a plain scan for the good ones.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class PeersSubscribeBenchmarks
{
    private const int Peers = 10_000;
    private PeerManager _manager = null!;
    private PeerTable _table = null!;
    private readonly EndPoint _asker = new IPEndPoint(IPAddress.Parse("44.200.0.1"), 40000);

    [GlobalSetup]
    public void Setup()
    {
        (_manager, _table, _) = DiscoveryBenchmarkSetup.Create(TimeProvider.System, 0, 16, addToNetwork: false);
        var now = TimeProvider.System.GetUtcNow();
        for (var i = 0; i < Peers; i++)
        {
            _table.TryAdd(PeerRecord.FromRealName(PeerRealName.Parse(DiscoveryBenchmarkSetup.Host(i) + " s t", DefaultPorts.BitcoinMainnet), PeerSources.Peer)
                with { LastGood = now, IPAddress = new IPAddress([(byte)(1 + ((i % 1000) / 5)), (byte)(i % 5), (byte)(i / 1000), 1]) });
        }
    }

    [Benchmark(Baseline = true)]
    public int ScanGoodPeers()
    {
        var now = TimeProvider.System.GetUtcNow();
        var count = 0;
        foreach (var record in _table.GetRecords())
        {
            if (record.GetStatus(now, _table.StaleAfter) == PeerStatus.Good)
            {
                count++;
            }
        }

        return count;
    }

    [Benchmark]
    public System.Text.Json.JsonElement BuildAnswer() => _manager.BuildPeersSubscribe(isTor: false);

    [Benchmark]
    public JsonArray CachedAnswer() => _manager.AnswerPeersSubscribe(_asker);
}
