using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement.TestUtilities.Electrum;

/// <summary>
/// Builds a <see cref="ScriptedElectrumPeer"/> that by default is a good peer of <see cref="FakeChainView"/>'s
/// network on ports t50001 / s50002; each method can be re-scripted (results, errors, silence, wrong types).
/// </summary>
public sealed class ScriptedElectrumPeerBuilder
{
    private readonly PeerHost _host;
    private readonly FakeChainView _chain;
    private readonly Dictionary<string, ScriptedAnswer> _answers = [];
    private readonly List<JsonArray> _reported = [];
    private IPAddress? _address;
    private int? _tcp = 50001;
    private int? _ssl = 50002;
    private int? _height;
    private string? _genesis;
    private bool _listsOwnHost = true;
    private HashSet<int>? _reachablePorts;
    private bool _reachable = true;
    private readonly Dictionary<string, (int? Tcp, int? Ssl)> _extraHosts = [];
    private string? _serverKey;

    public ScriptedElectrumPeerBuilder(string host, FakeChainView chain)
    {
        _host = PeerHost.Parse(host);
        _chain = chain;
        _address = _host.Address;
    }

    public static ScriptedElectrumPeerBuilder For(string host, FakeChainView chain) => new(host, chain);

    public ScriptedElectrumPeerBuilder At(string address)
    {
        _address = IPAddress.Parse(address);
        return this;
    }

    public ScriptedElectrumPeerBuilder PresentingKey(string serverKey)
    {
        _serverKey = serverKey;
        return this;
    }

    public ScriptedElectrumPeerBuilder WithPorts(int? tcp, int? ssl)
    {
        _tcp = tcp;
        _ssl = ssl;
        return this;
    }

    public ScriptedElectrumPeerBuilder AlsoNamed(string host, int? tcp = 50001, int? ssl = 50002)
    {
        _extraHosts[host] = (tcp, ssl);
        return this;
    }

    public ScriptedElectrumPeerBuilder AtHeight(int height)
    {
        _height = height;
        return this;
    }

    public ScriptedElectrumPeerBuilder WithGenesis(string genesis)
    {
        _genesis = genesis;
        return this;
    }

    public ScriptedElectrumPeerBuilder NotListingItsOwnHost()
    {
        _listsOwnHost = false;
        return this;
    }

    /// <summary>Adds an entry to its <c>server.peers.subscribe</c> answer.</summary>
    public ScriptedElectrumPeerBuilder Reporting(string host, params string[] tokens)
    {
        var features = new JsonArray();
        foreach (var token in tokens)
        {
            features.Add(token);
        }

        _reported.Add(new JsonArray(host, host, features));
        return this;
    }

    public ScriptedElectrumPeerBuilder Answering(string method, ScriptedAnswer answer)
    {
        _answers[method] = answer;
        return this;
    }

    public ScriptedElectrumPeerBuilder AnsweringJson(string method, string json) => Answering(method, ScriptedAnswer.OfJson(json));

    public ScriptedElectrumPeerBuilder Failing(string method, int code = -32603, string message = "internal error")
        => Answering(method, new ScriptedAnswer.Error(code, message));

    public ScriptedElectrumPeerBuilder Silent(string method) => Answering(method, new ScriptedAnswer.Never());

    public ScriptedElectrumPeerBuilder ReachableOnlyOn(params int[] ports)
    {
        _reachablePorts = [.. ports];
        return this;
    }

    public ScriptedElectrumPeerBuilder Unreachable()
    {
        _reachable = false;
        return this;
    }

    public ScriptedElectrumPeer Build()
    {
        var answers = new Dictionary<string, ScriptedAnswer>
        {
            ["server.version"] = ScriptedAnswer.Of(new JsonArray("ElectrumX 1.16.0", "1.4")),
            ["server.features"] = new ScriptedAnswer.Result(_ => Features()),
            ["blockchain.headers.subscribe"] = new ScriptedAnswer.Result(_ => new JsonObject { ["height"] = _height ?? _chain.TipHeight, ["hex"] = FakeChainView.HeaderAt(_height ?? _chain.TipHeight) }),
            ["blockchain.block.header"] = new ScriptedAnswer.Result(p => p.ValueKind == JsonValueKind.Array && p.GetArrayLength() > 0 && p[0].TryGetInt32(out var h)
                ? JsonValue.Create(FakeChainView.HeaderAt(h))
                : throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "bad height")),
            ["server.peers.subscribe"] = new ScriptedAnswer.Result(_ => new JsonArray([.. _reported.Select(r => (JsonNode)r.DeepClone())])),
            ["server.add_peer"] = ScriptedAnswer.Of(JsonValue.Create(true)),
        };

        foreach (var (method, answer) in _answers)
        {
            answers[method] = answer;
        }

        return new ScriptedElectrumPeer(_host, _address, answers, _reachablePorts, _reachable) { ServerKey = _serverKey };
    }

    private JsonObject Features()
    {
        var hosts = new JsonObject();
        if (_listsOwnHost)
        {
            hosts[_host.Value] = new JsonObject { ["tcp_port"] = _tcp, ["ssl_port"] = _ssl };
        }

        foreach (var (host, (tcp, ssl)) in _extraHosts)
        {
            hosts[host] = new JsonObject { ["tcp_port"] = tcp, ["ssl_port"] = ssl };
        }

        return new JsonObject
        {
            ["hosts"] = hosts,
            ["genesis_hash"] = _genesis ?? _chain.GenesisHash,
            ["hash_function"] = "sha256",
            ["server_version"] = "ElectrumX 1.16.0",
            ["protocol_min"] = "1.4",
            ["protocol_max"] = "1.4.2",
            ["pruning"] = null,
        };
    }
}
