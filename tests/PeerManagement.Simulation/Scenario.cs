using System.Globalization;
using System.Text;

namespace PeerManagement.Simulation;

/// <summary>The attack (or none) a run simulates.</summary>
internal enum ScenarioKind
{
    /// <summary>Honest nodes only.</summary>
    Honest,

    /// <summary>Honest nodes only; every hour 10 % leave and as many join.</summary>
    Churn,

    /// <summary>The attacker owns 10× as many host names as there are honest nodes and announces them to every node.</summary>
    Sybil,

    /// <summary>The attacker announces its hosts to one victim, as often as the victim lets it.</summary>
    Eclipse,

    /// <summary>One operator (one TLS key) behind 10× the honest host names on 200 addresses, each in its own /16.</summary>
    Operator,
}

/// <summary>What a run is: the scenario, the network's size, how long, and the seed.</summary>
internal sealed record ScenarioSettings(ScenarioKind Kind, int Nodes, int Hours, int Seed, string? JsonPath = null, string? PlotPath = null)
{
    /// <summary>The defences switched off (<c>--off</c>): <c>bucket-rule</c>, <c>network-cap</c>, <c>network-entries</c>, <c>answer-limit</c>, <c>operator-cap</c>, <c>operator-limit</c>, <c>budget-share</c>, <c>pull</c>.</summary>
    public IReadOnlyList<string> Off { get; init; } = [];

    /// <summary>The nodes' options with the defences switched off.</summary>
    public void Configure(PeerManagementOptions options)
    {
        options.OneGoodPeerPerAddress = !Off.Contains("bucket-rule");
        options.LimitAnswerPerNetwork = !Off.Contains("answer-limit");
        options.LimitAnswerPerOperator = !Off.Contains("operator-limit");
        if (Off.Contains("budget-share"))
        {
            options.AddPeerBudgetPerNetwork = options.AddPeerBudget;
        }

        if (Off.Contains("pull"))
        {
            options.PeerListRefreshInterval = TimeSpan.Zero;
        }

        if (Off.Contains("operator-cap"))
        {
            options.MaxGoodPeersPerOperator = 0;
        }

        if (Off.Contains("network-cap"))
        {
            options.MaxGoodPeersPerNetwork = 0;
        }

        if (Off.Contains("network-entries"))
        {
            options.MaxPeersPerNetwork = 0;
        }

        if (MaxPeers is { } maxPeers)
        {
            options.MaxPeers = maxPeers;
        }
    }

    /// <summary>Each node's table size (<c>--max-peers</c>); the library's default when absent.</summary>
    public int? MaxPeers { get; init; }

    /// <summary>Managed memory in use before the run, to measure what the nodes hold.</summary>
    public long MemoryBaseline { get; init; }

    /// <summary>What <c>--off</c> accepts.</summary>
    public static readonly IReadOnlyList<string> Defences = ["bucket-rule", "network-cap", "network-entries", "operator-cap", "answer-limit", "operator-limit", "budget-share", "pull"];

    public static ScenarioSettings Parse(string[] args)
    {
        var kind = ScenarioKind.Honest;
        int nodes = 200, hours = 6, seed = 1;
        string? json = null, plot = null;
        string[] off = [];
        int? maxPeers = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--scenario": kind = Enum.Parse<ScenarioKind>(value, ignoreCase: true); break;
                case "--nodes": nodes = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--hours": hours = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--max-peers": maxPeers = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--json": json = value; break;
                case "--plot": plot = value; break;
                case "--off": off = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        if (args.Length % 2 != 0)
        {
            throw new ArgumentException($"option {args[^1]} has no value");
        }

        if (nodes < 2 || hours < 1)
        {
            throw new ArgumentException("a run needs at least 2 nodes and 1 hour");
        }

        if (off.Except(Defences).FirstOrDefault() is { } unknown)
        {
            throw new ArgumentException($"unknown defence {unknown} ({string.Join(", ", Defences)})");
        }

        return new ScenarioSettings(kind, nodes, hours, seed, json, plot) { Off = off, MaxPeers = maxPeers };
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"scenario {Kind}, {Nodes} honest nodes, {Hours} h, seed {Seed}")
        + (MaxPeers is { } maxPeers ? string.Create(CultureInfo.InvariantCulture, $", tables of {maxPeers}") : "")
        + (Off.Count > 0 ? ", off: " + string.Join(", ", Off) : "");
}

/// <summary>Runs a scenario and reports, hour by hour, what the honest nodes hold and answer.</summary>
internal static class Scenario
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(1);

    public static async Task<ScenarioReport> RunAsync(ScenarioSettings settings, CancellationToken cancellationToken)
    {
        await using var simulation = new Simulation(settings.Seed, settings.Configure);
        var report = new ScenarioReport(settings);
        simulation.Attacker = settings.Kind switch
        {
            ScenarioKind.Sybil or ScenarioKind.Eclipse => new Attacker(simulation, hostCount: 10 * settings.Nodes, addressCount: 50, seed: settings.Seed + 7),
            ScenarioKind.Operator => new Attacker(simulation, hostCount: 10 * settings.Nodes, addressCount: 200, seed: settings.Seed + 7, oneOperator: true),
            _ => null,
        };

        // The attacker is there from the first moment: each node hears from it as soon as it starts, before its
        // table has filled with honest peers, and then every 10 minutes.
        for (var i = 0; i < settings.Nodes; i++)
        {
            var node = await simulation.StartNodeAsync(cancellationToken).ConfigureAwait(false);
            if (simulation.Attacker is { } attacker && (i == 0 || settings.Kind != ScenarioKind.Eclipse))
            {
                await attacker.AnnounceAsync(simulation.Network, node.Host, 50, cancellationToken).ConfigureAwait(false);
            }
        }

        var victim = simulation.LiveNodes[0];
        for (var minute = 1; minute <= settings.Hours * 60; minute++)
        {
            if (simulation.Attacker is { } attacker && minute % 10 == 0)
            {
                var targets = settings.Kind == ScenarioKind.Eclipse ? [victim] : simulation.LiveNodes;
                foreach (var target in targets)
                {
                    await attacker.AnnounceAsync(simulation.Network, target.Host, 50, cancellationToken).ConfigureAwait(false);
                }
            }

            await simulation.StepAsync(Step).ConfigureAwait(false);
            if (minute % 60 == 0)
            {
                var views = new List<NodeView>();
                foreach (var node in simulation.LiveNodes)
                {
                    views.Add(await simulation.ViewAsync(node, cancellationToken).ConfigureAwait(false));
                }

                report.Add(minute / 60, views, settings.Kind == ScenarioKind.Eclipse ? views.Single(v => v.Node == victim.Index) : null);
                if (settings.Kind == ScenarioKind.Churn)
                {
                    await ChurnAsync(simulation, report, minute / 60, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        var live = simulation.LiveNodes;
        report.BytesPerNode = (GC.GetTotalMemory(forceFullCollection: true) - settings.MemoryBaseline) / (double)live.Count;
        report.MessagesPerNodeHour = live.Sum(n => (double)simulation.Network.SentBy(n.Address)) / live.Count / settings.Hours;
        return report;
    }

    private static async Task ChurnAsync(Simulation simulation, ScenarioReport report, int hour, CancellationToken cancellationToken)
    {
        var live = simulation.LiveNodes.ToArray();
        var leaving = live.Length / 10;
        simulation.Random.Shuffle(live);
        foreach (var node in live[..leaving])
        {
            report.Departed(node.Host, hour);
            await simulation.StopNodeAsync(node).ConfigureAwait(false);
        }

        for (var i = 0; i < leaving; i++)
        {
            await simulation.StartNodeAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
