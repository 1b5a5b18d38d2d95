using BenchmarkDotNet.Attributes;

namespace PeerManagement.Benchmarks.Peers;

/// <summary>
/// Noting 10,000 advertised peers, half of them already known, into a table of 10,000 entries: matching by host
/// and by address included. Each iteration starts from a fresh table. <see cref="NoteThroughManager"/> is what a
/// peer list costs end to end: admission (checks, matching), the table, the change event and the schedule.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
[IterationCount(20)]
[WarmupCount(3)]
public class PeerTableNoteBenchmarks
{
    private const int Size = 10_000;
    private PeerRealName[] _advertised = [];
    private PeerRecord[] _known = [];
    private PeerTable _table = null!;
    private Dictionary<PeerHost, PeerRealName> _dictionary = null!;
    private PeerManager _manager = null!;

    [GlobalSetup]
    public void Setup()
    {
        _known = PeerData.Records(Size, withFeatures: true);

        // Every other advertised name is a known host; the rest are new.
        _advertised = new PeerRealName[Size];
        for (var i = 0; i < Size; i++)
        {
            _advertised[i] = i % 2 == 0 ? _known[i].RealName : PeerRealName.Parse($"new{i}.example.net s t", DefaultPorts.BitcoinMainnet);
        }
    }

    [IterationSetup]
    public void FillTable()
    {
        _table = PeerData.Table(_known);
        _dictionary = _known.ToDictionary(r => r.Host, r => r.RealName);
        _manager = ManagerOver(_table);
    }

    [IterationCleanup]
    public void StopManager() => _manager.Dispose();

    /// <summary>The floor: a bare dictionary keyed by host, no address index, no counts, no lock.</summary>
    [Benchmark(Baseline = true)]
    public int DictionaryTryAdd()
    {
        var added = 0;
        foreach (var name in _advertised)
        {
            added += _dictionary.TryAdd(name.Host, name) ? 1 : 0;
        }

        return added;
    }

    [Benchmark]
    public int Note()
    {
        var added = 0;
        foreach (var name in _advertised)
        {
            added += _table.Note(name, PeerSources.Peer, checkPorts: false) == PeerNoteResult.Added ? 1 : 0;
        }

        return added;
    }

    /// <summary>The same list through the manager, uncapped (as seeds and identities are), each added peer scheduled.</summary>
    [Benchmark]
    public int NoteThroughManager() => _manager.NotePeers(_advertised, PeerSources.Peer, checkPorts: false, capped: false);

    private static PeerManager ManagerOver(PeerTable table)
    {
        var options = new PeerManagementOptions { Announce = false, MaxPeers = 1_000_000 };
        var chain = new PeerManagement.TestUtilities.Electrum.FakeChainView();
        var network = new PeerManagement.TestUtilities.Electrum.InMemoryPeerNetwork(TimeProvider.System);
        return new PeerManager(table, Microsoft.Extensions.Options.Options.Create(options), network, network, chain, new InMemoryPeerStore(), [], TimeProvider.System, random: new Random(1));
    }
}
