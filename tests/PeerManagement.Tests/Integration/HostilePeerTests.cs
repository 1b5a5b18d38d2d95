using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.Tests.Integration;

/// <summary>
/// A node under attack over real loopback TCP: peers that accept our check, flood us with requests and never read
/// our answers. They must cost a check worker no longer than a deadline, and stopping must stay bounded.
/// </summary>
public sealed class HostilePeerTests
{
    private const int Workers = 4;
    private static readonly IPAddress NodeAddress = IPAddress.Parse("127.0.41.1");
    private static readonly IPAddress HonestAddress = IPAddress.Parse("127.0.42.1");

    [Fact]
    public async Task Peers_that_flood_requests_and_never_read_cannot_stop_discovery_or_its_stop()
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        var token = bound.Token;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var chain = new FakeChainView();

        // As many hostile peers as the node has check workers: before the fix, they held every worker for good.
        var hostile = new List<FloodingPeer>();
        for (var i = 0; i < Workers; i++)
        {
            hostile.Add(FloodingPeer.Start(IPAddress.Parse($"127.0.43.{i + 1}")));
        }

        try
        {
            // Options are read when the manager is first resolved: after the listener has its port.
            var honestPort = 0;
            await using var honest = new LoopbackNode(HonestAddress, time, chain, o =>
            {
                o.AllowNonPublicPeers = true;
                o.Identities.Add($"{HonestAddress} t{honestPort}");
            });
            honestPort = await honest.StartListenerAsync(token);
            await honest.StartManagerAsync(token);

            var node = new LoopbackNode(NodeAddress, time, chain, o =>
            {
                o.AllowNonPublicPeers = true;
                o.Announce = false;
                o.MaxConcurrentChecks = Workers;
                foreach (var peer in hostile)
                {
                    o.SeedPeers.Add($"{peer.Address} t{peer.Port}");
                }
            });
            try
            {
                await node.StartListenerAsync(token);
                await node.StartManagerAsync(token);
                await WaitAsync(() => node.Manager.Scheduler.RunningCount == Workers && hostile.All(p => p.Connections > 0), token);

                await node.Manager.AddPeerAsync($"{HonestAddress} t{honestPort}", token);
                var honestHost = PeerHost.Parse(HonestAddress.ToString());
                bool Done() => node.Manager.Table.Find(honestHost)?.Status == PeerStatus.Good
                    && hostile.All(p => node.Manager.Table.Find(PeerHost.Parse(p.Address.ToString()))?.Peer.TryCount > 0);

                // Move the clock a second at a time: the request, write and check deadlines are on this clock.
                await PumpClockAsync(time, Done, token);

                node.Manager.Table.Find(honestHost)?.Status.Should().Be(
                    PeerStatus.Good, "the honest peer must be checked although every worker was first taken by a flooding peer");
                hostile.Should().OnlyContain(
                    p => node.Manager.Table.Find(PeerHost.Parse(p.Address.ToString()))!.Peer.TryCount > 0,
                    "a flooding peer that never answers is a failed try");
            }
            finally
            {
                // Stopping is bounded whatever the flooding peers do: sessions close after a grace on the node's
                // clock, so the clock keeps moving while the node stops (LoopbackNode.DisposeAsync fails after 15 s).
                var stopped = node.DisposeAsync().AsTask();
                await PumpClockAsync(time, () => stopped.IsCompleted, token);
                await stopped;
            }

        }
        finally
        {
            foreach (var peer in hostile)
            {
                await peer.DisposeAsync();
            }
        }
    }

    private static async Task PumpClockAsync(FakeTimeProvider time, Func<bool> done, CancellationToken cancellationToken)
    {
        for (var second = 0; second < 600 && !done(); second++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken);
            time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    private static async Task WaitAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
        }
    }

    /// <summary>
    /// Accepts connections, writes requests as fast as the socket takes them and never reads: our answers pile up
    /// until our writes block.
    /// </summary>
    private sealed class FloodingPeer : IAsyncDisposable
    {
        private static readonly byte[] Flood = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"jsonrpc\":\"2.0\",\"method\":\"server.ping\",\"id\":1}\n", 1000)));
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Socket> _sockets = [];
        private readonly Task _accepting;
        private int _connections;

        private FloodingPeer(IPAddress address)
        {
            Address = address;
            _listener = new TcpListener(address, 0);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _accepting = AcceptAsync();
        }

        public IPAddress Address { get; }

        public int Port { get; }

        public int Connections => Volatile.Read(ref _connections);

        public static FloodingPeer Start(IPAddress address) => new(address);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            lock (_sockets)
            {
                foreach (var socket in _sockets)
                {
                    socket.Dispose();
                }
            }

            await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                socket.ReceiveBufferSize = 4096;
                lock (_sockets)
                {
                    _sockets.Add(socket);
                }

                Interlocked.Increment(ref _connections);
                _ = FloodAsync(socket);
            }
        }

        private async Task FloodAsync(Socket socket)
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    await socket.SendAsync(Flood, SocketFlags.None, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The node closed the connection, or the test is over.
            }
        }
    }
}
