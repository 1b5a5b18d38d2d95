using System.Globalization;
using System.Net;
using System.Text.Json;
using PeerManagement.TestUtilities.Threading;

namespace PeerManagement.Simulation;

/// <summary>
/// Honest nodes (real <see cref="PeerManager"/>s) and, in the attack scenarios, an attacker, on one
/// <see cref="SimulatedNetwork"/> and one fake clock. The clock moves only when every node is idle
/// (<see cref="ThreadPoolQuiescence"/>), so a run depends on nothing but its settings and seed.
/// </summary>
internal sealed class Simulation : IAsyncDisposable
{
    private static readonly IPAddress Client = IPAddress.Parse("198.51.100.10");
    private readonly List<HonestNode> _nodes = [];
    private readonly Action<PeerManagementOptions> _configure;
    private int _nextIndex;

    public Simulation(int seed, Action<PeerManagementOptions> configure)
    {
        Seed = seed;
        Random = new Random(seed);
        _configure = configure;
    }

    public int Seed { get; }

    public Random Random { get; }

    public SimulatedClock Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public SimulatedNetwork Network { get; } = new();

    public SimulatedChain Chain { get; } = new();

    public Attacker? Attacker { get; set; }

    public IReadOnlyList<HonestNode> LiveNodes => [.. _nodes.Where(n => n.IsUp)];

    public static string HostOf(int index) => string.Create(CultureInfo.InvariantCulture, $"n{index}.honest.example");

    /// <summary>
    /// Honest node <paramref name="index"/>'s address: every fourth node is on IPv6, in its own /48 (so its own /56
    /// bucket and its own add_peer pause network), the others on IPv4, each in its own /16.
    /// </summary>
    public static IPAddress AddressOf(int index)
        => IPAddress.Parse(index % 4 == 3
            ? string.Create(CultureInfo.InvariantCulture, $"2a0{(index >> 16) & 0xf:x}:{index & 0xffff:x}:1::1")
            : string.Create(CultureInfo.InvariantCulture, $"{11 + index % 89}.{index / 89 % 256}.{index * 7 % 250 + 1}.1"));

    /// <summary>Whether a host is an honest node's (up or gone).</summary>
    public static bool IsHonest(string host) => host.EndsWith(".honest.example", StringComparison.Ordinal);

    /// <summary>Starts a new honest node, seeded with up to three live nodes.</summary>
    public async Task<HonestNode> StartNodeAsync(CancellationToken cancellationToken)
    {
        var index = _nextIndex++;
        var live = LiveNodes;
        var seeds = live.Count == 0 ? [] : Enumerable.Range(0, Math.Min(3, live.Count)).Select(_ => live[Random.Next(live.Count)].Host).Distinct().ToList();
        var address = AddressOf(index);
        var node = new HonestNode(index, HostOf(index), address, seeds, this, _configure);
        Network.Listen(node);
        Network.Name(node.Host, address);
        _nodes.Add(node);
        await node.Manager.StartAsync(cancellationToken).ConfigureAwait(false);
        return node;
    }

    /// <summary>Takes a node off the network: it stops answering and stops checking.</summary>
    public async Task StopNodeAsync(HonestNode node)
    {
        node.IsUp = false;
        await node.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Moves the clock by <paramref name="step"/>, letting every node finish what the moment brings first.</summary>
    public async Task StepAsync(TimeSpan step)
    {
        await ThreadPoolQuiescence.SettleAsync(quietRounds: 1, maxRounds: int.MaxValue).ConfigureAwait(false);
        Time.Advance(step);
        await ThreadPoolQuiescence.SettleAsync(quietRounds: 1, maxRounds: int.MaxValue).ConfigureAwait(false);
    }

    /// <summary>What an honest node holds and answers now.</summary>
    public async Task<NodeView> ViewAsync(HonestNode node, CancellationToken cancellationToken)
    {
        var good = node.Manager.GetPeers()
            .Where(p => p.Status == PeerStatus.Good && p.Peer.Host.Value != node.Host)
            .Select(p => p.Peer.Host.Value)
            .ToList();
        var answer = await Network.CallAsync(Client, node.Host, "server.peers.subscribe", null, cancellationToken).ConfigureAwait(false);
        var answered = answer.EnumerateArray().Select(e => e[1].GetString() ?? "").ToList();
        return new NodeView(node.Index, node.Manager.GetInfo().Total, good.Count, good.Count(IsHonest), answered.Count, answered.Count(IsHonest), answered);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Where(n => n.IsUp))
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>One honest node's table and answer at one moment.</summary>
internal readonly record struct NodeView(int Node, int Table, int Good, int HonestGood, int Answered, int HonestAnswered, IReadOnlyList<string> AnswerHosts)
{
    public double GoodHonestFraction => Good == 0 ? 1 : (double)HonestGood / Good;

    public double AnswerHonestFraction => Answered == 0 ? 1 : (double)HonestAnswered / Answered;
}
