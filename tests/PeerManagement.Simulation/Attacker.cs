using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace PeerManagement.Simulation;

/// <summary>
/// The attacker: many host names on few addresses (50 addresses in 3 /16s, a TLS key per host name; or, as one
/// operator spreading out, each address in its own /16, all presenting one key), each a server that passes every
/// check and lists only the attacker's hosts, pushed into the honest nodes by <c>server.add_peer</c>.
/// </summary>
internal sealed class Attacker
{
    private readonly Random _random;
    private readonly List<(string Host, IPAddress Address)> _hosts = [];
    private readonly List<SybilOperator> _operators = [];

    public Attacker(Simulation simulation, int hostCount, int addressCount, int seed, bool oneOperator = false)
    {
        _random = new Random(seed);
        for (var i = 0; i < addressCount; i++)
        {
            // 3 /16s, one /24 per address: the most add_peer announcements its addresses can make. One operator:
            // one /16 per address (first octets 150–199), past every per-network rule, but one key.
            var address = IPAddress.Parse(oneOperator
                ? string.Create(CultureInfo.InvariantCulture, $"{150 + i % 50}.{i / 50 + 1}.0.7")
                : string.Create(CultureInfo.InvariantCulture, $"190.{10 + i % 3 * 10}.{i}.7"));
            var server = new SybilOperator(address, this) { ServerKey = oneOperator ? SybilOperator.Key : null };
            _operators.Add(server);
            simulation.Network.Listen(server);
        }

        for (var i = 0; i < hostCount; i++)
        {
            var host = string.Create(CultureInfo.InvariantCulture, $"s{i}.sybil{i % 97}.example");
            var address = _operators[i % addressCount].Address;
            _hosts.Add((host, address));
            simulation.Network.Name(host, address);
        }
    }

    public SimulatedChain Chain { get; } = new();

    public int HostCount => _hosts.Count;

    /// <summary>Whether a host is the attacker's.</summary>
    public static bool Owns(string host) => host.Contains(".sybil", StringComparison.Ordinal);

    /// <summary>A peer list of 50 of its hosts, different each time.</summary>
    public JsonArray PeerList()
    {
        var list = new JsonArray();
        for (var i = 0; i < 50; i++)
        {
            var (host, address) = _hosts[_random.Next(_hosts.Count)];
            list.Add(new JsonArray(address.ToString(), host, new JsonArray("v1.4", "s50002", "t50001")));
        }

        return list;
    }

    /// <summary>Announces hosts to one node by <c>server.add_peer</c>, from the address each host resolves to.</summary>
    public async Task AnnounceAsync(SimulatedNetwork network, string target, int announcements, CancellationToken cancellationToken)
    {
        for (var i = 0; i < announcements; i++)
        {
            var (host, address) = _hosts[_random.Next(_hosts.Count)];
            var features = new JsonObject { ["hosts"] = new JsonObject { [host] = new JsonObject { ["tcp_port"] = 50001, ["ssl_port"] = 50002 } } };
            try
            {
                await network.CallAsync(address, target, "server.add_peer", new JsonArray(features), cancellationToken).ConfigureAwait(false);
            }
            catch (PeerManagementException)
            {
                // The node is down or refused the call; the attacker carries on.
            }
        }
    }
}
