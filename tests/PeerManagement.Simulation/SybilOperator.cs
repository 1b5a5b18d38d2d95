using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement.Simulation;

/// <summary>
/// One of the attacker's addresses. Every host name the attacker owns that resolves here is served as a perfect
/// Electrum server of our chain (checks pass at once), whose peer list names only the attacker's hosts.
/// </summary>
internal sealed class SybilOperator(IPAddress address, Attacker attacker) : SimulatedServer(address)
{
    /// <summary>The one TLS key behind every address of the attacker when it runs as one operator.</summary>
    public const string Key = "5B1A5B1A5B1A5B1A000000000000000000000000000000000000000000000000";

    /// <summary>With no <see cref="SimulatedServer.ServerKey"/>, a key of its own per host name: the strongest sybil, that no per-operator rule groups.</summary>
    public override string? ServerKeyFor(string host)
        => ServerKey ?? Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(host)));

    public override ValueTask<JsonElement> AnswerAsync(string host, string method, JsonElement parameters, IJsonRpcSession caller, CancellationToken cancellationToken)
    {
        if (ChainAnswer(method, parameters, attacker.Chain) is { } chainAnswer)
        {
            return ValueTask.FromResult(chainAnswer);
        }

        JsonNode? answer = method switch
        {
            "server.version" => new JsonArray("ElectrumX 1.16.0", "1.4"),
            "server.features" => Features(host, attacker.Chain.GenesisHash),
            "server.peers.subscribe" => attacker.PeerList(),
            "server.add_peer" => true,
            _ => throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, $"unknown method {method}"),
        };
        return ValueTask.FromResult(JsonSerializer.SerializeToElement(answer));
    }

    private static JsonObject Features(string host, string genesis) => new()
    {
        ["hosts"] = new JsonObject { [host] = new JsonObject { ["tcp_port"] = 50001, ["ssl_port"] = 50002 } },
        ["genesis_hash"] = genesis,
        ["hash_function"] = "sha256",
        ["server_version"] = "ElectrumX 1.16.0",
        ["protocol_min"] = "1.4",
        ["protocol_max"] = "1.4.2",
        ["pruning"] = null,
    };
}
