using System.Net;
using Microsoft.Extensions.Options;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.Benchmarks.Discovery;

/// <summary>Builds managers over in-memory networks of scripted peers for the discovery benchmarks.</summary>
internal static class DiscoveryBenchmarkSetup
{
    public static string Host(int i) => $"p{i}.example.org";

    public static IPAddress Address(int i) => new([44, (byte)(i >> 16), (byte)(i >> 8), (byte)(i & 0xFF)]);

    public static (PeerManager Manager, PeerTable Table, InMemoryPeerNetwork Network) Create(TimeProvider time, int peers, int concurrency, bool addToNetwork)
    {
        var options = new PeerManagementOptions { MaxConcurrentChecks = concurrency, Announce = false };
        var chain = new FakeChainView();
        var network = new InMemoryPeerNetwork(time);
        var table = new PeerTable(time, options.StaleAfter);
        for (var i = 0; i < peers; i++)
        {
            if (addToNetwork)
            {
                network.Add(ScriptedElectrumPeerBuilder.For(Host(i), chain).At(Address(i).ToString()).Build());
            }
        }

        var manager = new PeerManager(table, Options.Create(options), network, network, chain, new InMemoryPeerStore(), [], time, random: new Random(1));
        return (manager, table, network);
    }
}
