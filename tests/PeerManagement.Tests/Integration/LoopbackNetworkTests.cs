using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.Tests.Integration;

/// <summary>
/// Real nodes over real loopback TCP: each node is its own container (<c>AddPeerManagement</c>), its own
/// <see cref="JsonRpcListener"/> on an OS-chosen port of its own loopback address, and the real
/// <see cref="TcpPeerConnector"/> bound to that address. The fake clock is moved only while every node is idle
/// (no check running or due), so no request or connect timeout can fire during real I/O.
/// </summary>
public sealed class LoopbackNetworkTests
{
    private const int Nodes = 20;
    private const int MaxRounds = 24;
    private static readonly TimeSpan RealTimeCap = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Twenty_nodes_each_seeded_with_one_other_all_list_every_other_as_good_over_loopback_tcp()
    {
        var addresses = Enumerable.Range(0, Nodes).Select(i => IPAddress.Parse($"127.0.0.{i + 2}")).ToArray();
        SkipUnlessLoopbackAddressesBind(addresses);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(RealTimeCap);
        var token = deadline.Token;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var chain = new FakeChainView();
        var stopwatch = Stopwatch.StartNew();

        await using var network = new LoopbackNetwork();
        var ports = new int[Nodes];
        for (var i = 0; i < Nodes; i++)
        {
            // Options are read when the manager is first resolved: after every listener has its port.
            var index = i;
            network.Nodes.Add(new LoopbackNode(addresses[i], time, chain, options =>
            {
                options.AllowNonPublicPeers = true;
                options.Identities.Add($"{addresses[index]} t{ports[index]}");
                options.SeedPeers.Add($"{addresses[(index + 1) % Nodes]} t{ports[(index + 1) % Nodes]}");
            }));
        }

        foreach (var (node, i) in network.Nodes.Select((n, i) => (n, i)))
        {
            ports[i] = await node.StartListenerAsync(token);
        }

        foreach (var node in network.Nodes)
        {
            await node.StartManagerAsync(token);
        }

        var rounds = 0;
        while (true)
        {
            await network.WaitUntilIdleAsync(time, token);
            if (network.Converged(addresses) || rounds == MaxRounds)
            {
                break;
            }

            // Jump to the earliest next check of any node: one scheduler round.
            var next = network.NextDue();
            next.Should().NotBeNull("a node that has not converged still has checks scheduled");
            time.Advance(next!.Value - time.GetUtcNow());
            rounds++;
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Nodes} loopback nodes converged after {rounds} rounds ({time.GetUtcNow() - time.Start:g} simulated) in " +
            $"{stopwatch.Elapsed.TotalSeconds:F1} s with {network.Nodes.Sum(n => n.Checks)} checks.");
        network.Converged(addresses).Should().BeTrue(
            $"every node lists every other as good within {MaxRounds} rounds; missing: {network.Missing(addresses)}");
        rounds.Should().BeLessThan(MaxRounds);
        network.Nodes.Should().OnlyContain(n => n.Manager.GetInfo().Bad == 0);
        network.Nodes.SelectMany(n => n.Manager.GetPeers()).Should().OnlyContain(
            p => p.Peer.TryCount == 0, "no request timed out: the clock moved only while no check was running");

        // Each peer was reached over TCP at its own loopback address, so the bucket rule kept all of them good.
        network.Nodes.SelectMany(n => n.Manager.GetPeers())
            .Should().OnlyContain(p => Equals(p.Peer.IPAddress, IPAddress.Parse(p.Peer.Host.Value)));
    }

    private static void SkipUnlessLoopbackAddressesBind(IEnumerable<IPAddress> addresses)
    {
        foreach (var address in addresses)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(address, 0));
            }
            catch (SocketException ex)
            {
                Assert.Skip($"Cannot bind the loopback address {address} ({ex.SocketErrorCode}); the loopback network needs one " +
                    "address per node (Linux routes all of 127.0.0.0/8).");
            }
        }
    }

    private sealed class LoopbackNetwork : IAsyncDisposable
    {
        public List<LoopbackNode> Nodes { get; } = [];

        public async Task WaitUntilIdleAsync(TimeProvider time, CancellationToken cancellationToken)
        {
            // Idle three polls in a row: a peer noted between two table reads is seen by the next poll.
            var quiet = 0;
            while (quiet < 3)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
                var now = time.GetUtcNow();
                quiet = Nodes.All(n => n.IsIdle(now)) ? quiet + 1 : 0;
            }
        }

        public DateTimeOffset? NextDue() => Nodes.Select(n => n.NextDue()).Where(d => d is not null).Min();

        public bool Converged(IReadOnlyList<IPAddress> addresses) => Missing(addresses).Length == 0;

        public string Missing(IReadOnlyList<IPAddress> addresses)
        {
            var missing = new List<string>();
            for (var i = 0; i < Nodes.Count; i++)
            {
                var good = Nodes[i].GoodHosts();
                var absent = addresses.Where((a, j) => j != i && !good.Contains(PeerHost.Parse(a.ToString()))).ToList();
                if (absent.Count > 0)
                {
                    missing.Add($"{addresses[i]} lacks {string.Join(", ", absent)}");
                }
            }

            return string.Join("; ", missing);
        }

        public async ValueTask DisposeAsync()
        {
            var errors = new List<Exception>();
            foreach (var node in Nodes)
            {
                try
                {
                    await node.DisposeAsync();
                }
                catch (Exception ex)
                {
                    errors.Add(ex);
                }
            }

            if (errors.Count > 0)
            {
                throw new AggregateException("Stopping the loopback nodes failed.", errors);
            }
        }
    }
}
