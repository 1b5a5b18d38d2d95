using BenchmarkDotNet.Attributes;

namespace PeerManagement.Benchmarks.Peers;

/// <summary>Parsing one advertised real name, as done for every entry of a peer list.</summary>
[MemoryDiagnoser]
public class PeerRealNameParseBenchmarks
{
    private const string Text = "Electrum.Example.ORG v1.4.2 s t p10000";

    /// <summary>The naive start: split into strings, nothing validated.</summary>
    [Benchmark(Baseline = true)]
    public string[] SplitOnly() => Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Benchmark]
    public PeerRealName Parse() => PeerRealName.Parse(Text, DefaultPorts.BitcoinMainnet);

    [Benchmark]
    public PeerRealName ParseLowerCaseHost() => PeerRealName.Parse("electrum.example.org v1.4.2 s t p10000", DefaultPorts.BitcoinMainnet);
}
