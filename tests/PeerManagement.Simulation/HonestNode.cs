using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace PeerManagement.Simulation;

/// <summary>An honest node: a real <see cref="PeerManager"/> with its own table, answering through its request handler.</summary>
internal sealed class HonestNode : SimulatedServer, IAsyncDisposable
{
    private readonly IJsonRpcRequestHandler _handler;
    private readonly SimulatedChain _chain;

    public HonestNode(int index, string host, IPAddress address, IEnumerable<string> seeds, Simulation simulation, Action<PeerManagementOptions> configure)
        : base(address)
    {
        ServerKey = string.Create(CultureInfo.InvariantCulture, $"{index + 1:X16}").PadRight(64, '0');
        Index = index;
        _chain = simulation.Chain;
        Host = host;
        var options = new PeerManagementOptions { MaxConcurrentChecks = 4 };
        options.Identities.Add(host + " s50002 t50001");
        foreach (var seed in seeds)
        {
            options.SeedPeers.Add(seed + " s50002 t50001");
        }

        configure(options);
        Manager = new PeerManager(
            new PeerTable(simulation.Time, options.StaleAfter),
            Options.Create(options),
            simulation.Network.ConnectorFor(address),
            simulation.Network,
            simulation.Chain,
            new InMemoryPeerStore(),
            [],
            simulation.Time,
            resolver: simulation.Network,
            random: new Random(simulation.Seed * 100_003 + index));
        _handler = Manager.CreateRequestHandler();
    }

    public int Index { get; }

    public string Host { get; }

    public PeerManager Manager { get; }

    public override async ValueTask<JsonElement> AnswerAsync(string host, string method, JsonElement parameters, IJsonRpcSession caller, CancellationToken cancellationToken)
    {
        if (ChainAnswer(method, parameters, _chain) is { } chainAnswer)
        {
            return chainAnswer;
        }

        var answer = await _handler.HandleAsync(new JsonRpcCall(method, parameters, false, caller), cancellationToken).ConfigureAwait(false);
        return JsonSerializer.SerializeToElement(answer);
    }

    public ValueTask DisposeAsync() => Manager.DisposeAsync();
}
