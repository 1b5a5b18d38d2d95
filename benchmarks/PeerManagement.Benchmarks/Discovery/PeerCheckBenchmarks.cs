using BenchmarkDotNet.Attributes;

namespace PeerManagement.Benchmarks.Discovery;

/// <summary>
/// 1,000 in-memory peers checked 64 at a time: the whole check (connect, session, blacklist, bucket rule,
/// verification, outcome) against the verifier alone over the same sessions. Reported per check.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class PeerCheckBenchmarks
{
    private const int Peers = 1000;
    private const int Concurrency = 64;
    private PeerManager _manager = null!;
    private PeerTable _table = null!;
    private TestUtilities.Electrum.InMemoryPeerNetwork _network = null!;
    private ElectrumPeerVerifier _verifier = null!;

    [IterationSetup]
    public void Setup()
    {
        (_manager, _table, _network) = DiscoveryBenchmarkSetup.Create(TimeProvider.System, Peers, Concurrency, addToNetwork: true);
        for (var i = 0; i < Peers; i++)
        {
            _table.TryAdd(PeerRecord.FromRealName(PeerRealName.Parse(DiscoveryBenchmarkSetup.Host(i) + " s t", DefaultPorts.BitcoinMainnet), PeerSources.Seed));
        }

        _verifier = new ElectrumPeerVerifier(new TestUtilities.Electrum.FakeChainView(), Microsoft.Extensions.Options.Options.Create(new PeerManagementOptions()));
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Peers)]
    public async Task VerifierOnly()
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, Peers), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, ct) =>
        {
            var host = PeerHost.Parse(DiscoveryBenchmarkSetup.Host(i));
            var endpoint = new PeerEndpoint(host, 50002, PeerTransport.Ssl);
            await using var connection = await _network.ConnectAsync(endpoint, useProxy: false, ct);
            await using var session = _network.Create(connection.Stream, new JsonRpcSessionSettings());
            var record = _table.Find(host)!.Peer;
            await _verifier.VerifyAsync(new PeerVerificationContext(record, session, connection.RemoteAddress), ct);
        });
    }

    [Benchmark(OperationsPerInvoke = Peers)]
    public async Task FullCheck()
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, Peers), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, ct) =>
        {
            var (outcome, _) = await _manager.CheckPeerAsync(PeerHost.Parse(DiscoveryBenchmarkSetup.Host(i)), ct);
            if (outcome != PeerCheckOutcome.Good)
            {
                throw new InvalidOperationException($"peer {i} was {outcome}");
            }
        });
    }
}
