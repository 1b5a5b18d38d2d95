using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement.Simulation;

/// <summary>Something listening at an address of the simulated network: an honest node or the attacker.</summary>
internal abstract class SimulatedServer(IPAddress address)
{
    /// <summary>The address its hosts resolve to.</summary>
    public IPAddress Address { get; } = address;

    /// <summary>Whether it accepts connections (a node that left does not).</summary>
    public bool IsUp { get; set; } = true;

    /// <summary>The TLS public key (SHA-256 hex) its connections present: one per operator.</summary>
    public string? ServerKey { get; init; }

    /// <summary>The key a connection to <paramref name="host"/> presents; <see cref="ServerKey"/> unless the server has a key per name.</summary>
    public virtual string? ServerKeyFor(string host) => ServerKey;

    /// <summary>Requests it answered.</summary>
    public long RequestsAnswered { get; set; }

    /// <summary>Answers one request made to <paramref name="host"/> by a caller at <paramref name="caller"/>.</summary>
    public abstract ValueTask<JsonElement> AnswerAsync(string host, string method, JsonElement parameters, IJsonRpcSession caller, CancellationToken cancellationToken);

    /// <summary>The answers every Electrum server gives about the chain.</summary>
    protected static JsonElement? ChainAnswer(string method, JsonElement parameters, SimulatedChain chain) => method switch
    {
        "blockchain.headers.subscribe" => JsonSerializer.SerializeToElement(new JsonObject { ["height"] = chain.TipHeight }),
        "blockchain.block.header" => JsonSerializer.SerializeToElement(SimulatedChain.HeaderAt(parameters[0].GetInt32())),
        _ => null,
    };
}
