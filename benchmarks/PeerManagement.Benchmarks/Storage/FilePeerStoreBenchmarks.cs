using System.Globalization;
using System.Net;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.Options;

namespace PeerManagement.Benchmarks.Storage;

/// <summary>
/// Save and load of a 100,000-peer table by the file store (header, SHA-256, flush to disk, rename, checked
/// load, conversion to records), against the baseline of plain JSON written and read with no checks at all.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class FilePeerStoreBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private string _directory = null!;
    private FilePeerStore _store = null!;
    private FilePeerStore _loadStore = null!;
    private PeerRecord[] _peers = null!;
    private string _baselinePath = null!;
    private string _baselineLoadPath = null!;

    [Params(100_000)]
    public int Peers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "pm-store-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _peers = CreatePeers(Peers);
        _store = CreateStore("peers.json");
        _loadStore = CreateStore("load.json");
        _loadStore.SaveAsync(_peers, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        _baselinePath = Path.Combine(_directory, "baseline.json");
        _baselineLoadPath = Path.Combine(_directory, "baseline-load.json");
        File.WriteAllBytes(_baselineLoadPath, JsonSerializer.SerializeToUtf8Bytes(PeerStoreFormat.ToDocument(_peers), PeerStoreJsonContext.Default.PeerStoreDocument));
        Console.WriteLine($"// {Peers} peers: store file {new FileInfo(_loadStore.Path).Length} bytes, plain JSON {new FileInfo(_baselineLoadPath).Length} bytes");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Baseline = true, Description = "plain JSON write, no checks")]
    [BenchmarkCategory("Save")]
    public void SavePlainJson()
    {
        using var file = new FileStream(_baselinePath, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
        JsonSerializer.Serialize(file, PeerStoreFormat.ToDocument(_peers), PeerStoreJsonContext.Default.PeerStoreDocument);
    }

    [Benchmark(Description = "FilePeerStore.SaveAsync")]
    [BenchmarkCategory("Save")]
    public Task Save() => _store.SaveAsync(_peers, CancellationToken.None).AsTask();

    [Benchmark(Baseline = true, Description = "plain JSON read, no checks")]
    [BenchmarkCategory("Load")]
    public int LoadPlainJson()
        => JsonSerializer.Deserialize(File.ReadAllBytes(_baselineLoadPath), PeerStoreJsonContext.Default.PeerStoreDocument)!.Peers.Count;

    [Benchmark(Description = "FilePeerStore.LoadAsync")]
    [BenchmarkCategory("Load")]
    public async Task<int> Load() => (await _loadStore.LoadAsync(CancellationToken.None)).Count;

    private FilePeerStore CreateStore(string name)
        => new(Options.Create(new PeerStoreOptions { Path = Path.Combine(_directory, name) }), TimeProvider.System);

    /// <summary>A table like a long-running node's: half verified (with features and an address), a tenth bad.</summary>
    internal static PeerRecord[] CreatePeers(int count)
    {
        var peers = new PeerRecord[count];
        for (var i = 0; i < count; i++)
        {
            var host = PeerHost.Parse(string.Create(CultureInfo.InvariantCulture, $"electrum-{i}.example{i % 97}.org"));
            var verified = i % 2 == 0;
            peers[i] = new PeerRecord
            {
                Host = host,
                Ports = new PeerPorts(50001, 50002),
                Version = new ProtocolVersion(1, 4, 2),
                Source = verified ? PeerSources.Peer : "electrum.example.org",
                IPAddress = verified ? new IPAddress([(byte)(1 + (i % 200)), (byte)(i >> 16), (byte)(i >> 8), (byte)i]) : null,
                LastGood = verified ? Now.AddMinutes(-(i % 600)) : null,
                LastTry = Now.AddMinutes(-(i % 300)),
                TryCount = verified ? 0 : i % 3,
                BadReason = i % 10 == 9 ? "header mismatch at height 870000" : null,
                Features = verified
                    ? new PeerFeatures
                    {
                        Hosts = new Dictionary<PeerHost, PeerPorts> { [host] = new PeerPorts(50001, 50002) },
                        GenesisHash = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
                        HashFunction = "sha256",
                        ServerVersion = "ElectrumX 1.16.0",
                        ProtocolMin = new ProtocolVersion(1, 4),
                        ProtocolMax = new ProtocolVersion(1, 4, 2),
                    }
                    : null,
            };
        }

        return peers;
    }
}
