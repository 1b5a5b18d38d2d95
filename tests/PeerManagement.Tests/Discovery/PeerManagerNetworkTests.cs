using PeerManagement.TestUtilities.Time;
using System.Net;
using Microsoft.Extensions.Options;
using PeerManagement.TestUtilities.Electrum;
using PeerManagement.TestUtilities.Threading;

namespace PeerManagement.Tests.Discovery;

public class PeerManagerNetworkTests
{
    [Fact]
    public async Task Twenty_nodes_each_seeded_with_one_other_all_learn_every_other_as_good()
    {
        const int Nodes = 20;
        var time = new WatchedTimeProvider(DiscoveryHarness.Start);
        var chain = new FakeChainView();
        var network = new InMemoryNodeNetwork(chain);
        var managers = new List<PeerManager>();
        var hosts = Enumerable.Range(0, Nodes).Select(i => $"44.{100 + i}.0.1").ToArray();
        try
        {
            for (var i = 0; i < Nodes; i++)
            {
                var options = new PeerManagementOptions { MaxConcurrentChecks = 4 };
                options.Identities.Add(hosts[i] + " s t");
                options.SeedPeers.Add(hosts[(i + 1) % Nodes] + " s t");
                var address = IPAddress.Parse(hosts[i]);
                var manager = new PeerManager(
                    new PeerTable(time, options.StaleAfter),
                    Options.Create(options),
                    network.ConnectorFor(address),
                    network,
                    chain,
                    new InMemoryPeerStore(),
                    [],
                    time,
                    resolver: new FakeHostNameResolver(),
                    random: new Random(i));
                network.Register(PeerHost.Parse(hosts[i]), address, manager);
                managers.Add(manager);
            }

            foreach (var manager in managers)
            {
                await manager.StartAsync(DiscoveryHarness.Token);
            }

            var harness = new DiscoveryHarness();
            var rounds = 0;
            await RunUntilAsync(() => managers.All(m => m.GetInfo().Good == Nodes), () =>
            {
                time.Advance(TimeSpan.FromMinutes(5));
                rounds++;
            });

            rounds.Should().BeLessThan(600, "the network converges within two days of simulated time");
            managers.Should().OnlyContain(m => m.GetInfo().Bad == 0);
        }
        finally
        {
            foreach (var manager in managers)
            {
                await manager.DisposeAsync();
            }
        }
    }

    private static async Task RunUntilAsync(Func<bool> done, Action step)
    {
        for (var i = 0; i < 600 && !done(); i++)
        {
            // Let the checks that are due finish before moving the clock.
            await ThreadPoolQuiescence.SettleAsync();

            if (!done())
            {
                step();
            }
        }

        done().Should().BeTrue();
    }
}
