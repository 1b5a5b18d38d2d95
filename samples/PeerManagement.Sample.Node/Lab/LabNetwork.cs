using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using PeerManagement.Sample.Node.Terminal;

namespace PeerManagement.Sample.Node.Lab;

/// <summary>
/// The sample's default run: a network of nodes on loopback sharing a synthetic chain, each seeded with the next
/// one (a ring), of which one serves another chain and one is blacklisted by all the others. It shows the
/// tables until every honest node lists every other honest node as good (and the two others, where known, as
/// bad), then asks each honest node for its peer list over a real session and checks that neither appears.
/// </summary>
public sealed class LabNetwork
{
    private readonly LabSettings _settings;
    private readonly StatusDisplay _display;

    /// <summary>Creates the runner.</summary>
    /// <param name="settings">The network's settings.</param>
    /// <param name="display">Where the table goes.</param>
    public LabNetwork(LabSettings settings, StatusDisplay display)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(display);
        if (settings.Nodes < 4)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Nodes, "The lab needs at least 4 nodes.");
        }

        _settings = settings;
        _display = display;
    }

    /// <summary>The nodes a run starts.</summary>
    /// <param name="settings">The settings.</param>
    /// <returns>One spec per node.</returns>
    public static IReadOnlyList<LabNodeSpec> Plan(LabSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var n = settings.Nodes;
        return Enumerable.Range(1, n).Select(i =>
        {
            var kind = i == n - 1 ? LabNodeKind.WrongGenesis : i == n ? LabNodeKind.Blacklisted : LabNodeKind.Honest;
            var network = kind == LabNodeKind.WrongGenesis ? settings.Network + "-fork" : settings.Network;
            return new LabNodeSpec($"node-{i}", LabSettings.AddressOf(i), network, i % n, kind);
        }).ToList();
    }

    /// <summary>Runs the network until it converges, the time limit passes or <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="cancellationToken">Stops the run (Ctrl+C); the stores are saved either way.</param>
    /// <returns>How it ended.</returns>
    public async Task<LabResult> RunAsync(CancellationToken cancellationToken)
    {
        var specs = Plan(_settings);
        var nodes = new List<LabNode>(specs.Count);
        var clock = Stopwatch.StartNew();
        LabFleet? fleet = null;
        try
        {
            foreach (var spec in specs)
            {
                nodes.Add(await ListenAsync(spec, cancellationToken).ConfigureAwait(false));
            }

            var blacklist = specs.Where(s => s.Kind == LabNodeKind.Blacklisted).Select(s => s.Address).ToList();
            _display.WriteLine($"Lab network of {nodes.Count} nodes on loopback, data in {_settings.DataDirectory}");
            foreach (var node in nodes)
            {
                var role = node.Spec.Kind switch
                {
                    LabNodeKind.WrongGenesis => "  serves another chain (wrong genesis): must end up bad",
                    LabNodeKind.Blacklisted => "  blacklisted by the others: must be refused or bad",
                    _ => string.Empty,
                };
                _display.WriteLine($"  {node.Spec.Name} {node.RealName,-20} seed {nodes[node.Spec.SeedIndex].Spec.Name}{role}");
            }

            var startedAt = clock.Elapsed;
            var knownAtStart = 0;
            foreach (var node in nodes)
            {
                var seed = nodes[node.Spec.SeedIndex].RealName;
                await node.StartAsync(seed, node.Spec.Kind == LabNodeKind.Blacklisted ? [] : blacklist, _settings, cancellationToken).ConfigureAwait(false);
                knownAtStart += node.Manager.Table.Count;
            }

            _display.WriteLine($"Started; the nodes hold {knownAtStart} peers between them (seeds plus their stores).");
            if (_settings.Redis is not null)
            {
                fleet = await LabFleet.StartAsync(nodes, blacklist, _settings, cancellationToken).ConfigureAwait(false);
                _display.WriteLine($"A fleet of {_settings.FleetInstances} instances sharing one table on Redis {_settings.Redis} checks the lab's nodes too.");
            }

            var result = await WatchAsync(nodes, clock, startedAt, cancellationToken).ConfigureAwait(false);
            if (fleet is not null && result.Converged)
            {
                result = await WatchFleetAsync(fleet, nodes, clock, startedAt, result, cancellationToken).ConfigureAwait(false);
            }

            return result with { PeersKnownAtStart = knownAtStart };
        }
        finally
        {
            if (fleet is not null)
            {
                await fleet.DisposeAsync().ConfigureAwait(false);
            }

            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            foreach (var node in nodes)
            {
                try
                {
                    await node.StopAsync(stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopping took too long; disposing below ends it.
                }

                await node.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<LabNode> ListenAsync(LabNodeSpec spec, CancellationToken cancellationToken)
    {
        if (_settings.Port != 0)
        {
            try
            {
                return await LabNode.ListenAsync(spec, _settings.Port, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                _display.WriteLine($"  {spec.Address}:{_settings.Port} is taken; {spec.Name} listens on a port the system chooses");
            }
        }

        return await LabNode.ListenAsync(spec, 0, cancellationToken).ConfigureAwait(false);
    }

    private async Task<LabResult> WatchAsync(List<LabNode> nodes, Stopwatch clock, TimeSpan startedAt, CancellationToken cancellationToken)
    {
        var honest = nodes.Where(n => n.Spec.Kind == LabNodeKind.Honest).ToList();
        var misbehaving = nodes.Where(n => n.Spec.Kind != LabNodeKind.Honest).ToList();
        using var timer = new PeriodicTimer(_settings.Refresh);
        string? missing;
        while (true)
        {
            missing = FindMissing(honest, misbehaving);
            Show(nodes, clock.Elapsed, missing);
            if (missing is null)
            {
                break;
            }

            if (clock.Elapsed - startedAt > _settings.TimeLimit)
            {
                var reason = $"not converged within {_settings.TimeLimit.TotalSeconds:0} s: {missing}";
                _display.WriteLine($"FAILED: {reason}");
                return new LabResult(false, clock.Elapsed - startedAt, reason, new Dictionary<string, IReadOnlyList<string>>(), BadVerdicts(nodes, misbehaving), 0);
            }

            try
            {
                await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _display.WriteLine("Stopped before converging; the stores are saved.");
                return new LabResult(false, clock.Elapsed - startedAt, "stopped", new Dictionary<string, IReadOnlyList<string>>(), BadVerdicts(nodes, misbehaving), 0);
            }
        }

        var converged = clock.Elapsed - startedAt;
        var verdicts = BadVerdicts(nodes, misbehaving);
        var answers = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        string? failure = null;
        foreach (var node in honest)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var hosts = await node.AskPeersAsync("127.0.0.1", timeout.Token).ConfigureAwait(false);
            answers[node.Spec.Name] = hosts;
            foreach (var bad in misbehaving.Where(b => hosts.Contains(b.Spec.Address)))
            {
                failure ??= $"{node.Spec.Name} lists {bad.Spec.Name} ({bad.Spec.Address}) in its server.peers.subscribe answer";
            }
        }

        _display.WriteLine(string.Empty);
        if (!_display.IsInteractive)
        {
            foreach (var line in StatusDisplay.FormatTable(Rows(nodes)))
            {
                _display.WriteLine(line);
            }
        }

        _display.WriteLine($"Converged {converged.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s after the first node started: each of the {honest.Count} honest nodes lists the other {honest.Count - 1} as good.");
        foreach (var bad in misbehaving)
        {
            var held = verdicts[bad.Spec.Name];
            _display.WriteLine($"  {bad.Spec.Name} ({bad.Spec.Address}) is bad or refused in {(held.Count == 0 ? "no table (no node kept it)" : string.Join(", ", held))}");
        }

        foreach (var (name, hosts) in answers)
        {
            _display.WriteLine($"  {name} answers server.peers.subscribe with {hosts.Count} peers: {string.Join(' ', hosts.Order(StringComparer.Ordinal))}");
        }

        _display.WriteLine(failure is null
            ? $"No node lists {string.Join(" or ", misbehaving.Select(b => b.Spec.Address))} in its answer."
            : $"FAILED: {failure}");
        if (_settings.AskRate > 0 && failure is null)
        {
            _display.WriteLine($"Asking {honest[0].Spec.Name} server.peers.subscribe {_settings.AskRate} times a second for {_settings.AskDuration.TotalSeconds:0} s while the nodes keep checking...");
            _display.WriteLine(await LabAskLoad.RunAsync(honest[0], _settings.AskRate, _settings.AskDuration, cancellationToken).ConfigureAwait(false));
        }

        return new LabResult(failure is null, converged, failure, answers, verdicts, 0);
    }

    /// <summary>Waits for the fleet to hold every honest node as good after its rounds of checks, then prints its counts.</summary>
    private async Task<LabResult> WatchFleetAsync(LabFleet fleet, List<LabNode> nodes, Stopwatch clock, TimeSpan startedAt, LabResult result, CancellationToken cancellationToken)
    {
        var honest = nodes.Where(n => n.Spec.Kind == LabNodeKind.Honest).ToList();
        using var timer = new PeriodicTimer(_settings.Refresh);
        while (!fleet.IsDone(honest, nodes, _settings.FleetRounds))
        {
            if (clock.Elapsed - startedAt > _settings.TimeLimit)
            {
                var reason = $"the fleet did not finish {_settings.FleetRounds} rounds of checks within {_settings.TimeLimit.TotalSeconds:0} s";
                _display.WriteLine($"FAILED: {reason}");
                return result with { Converged = false, Reason = reason };
            }

            await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var line in fleet.Summary(nodes.Count))
        {
            _display.WriteLine(line);
        }

        return result;
    }

    /// <summary>What is still missing for convergence, or <see langword="null"/> when nothing is.</summary>
    private static string? FindMissing(List<LabNode> honest, List<LabNode> misbehaving)
    {
        var missing = 0;
        string? first = null;
        foreach (var node in honest)
        {
            var table = node.Manager.Table;
            foreach (var other in honest.Where(o => o != node))
            {
                if (table.Find(PeerHost.Parse(other.Spec.Address))?.Status != PeerStatus.Good)
                {
                    missing++;
                    first ??= $"{node.Spec.Name} does not hold {other.Spec.Name} as good";
                }
            }

            foreach (var bad in misbehaving)
            {
                if (table.Find(PeerHost.Parse(bad.Spec.Address)) is { } entry && entry.Status != PeerStatus.Bad)
                {
                    missing++;
                    first ??= $"{node.Spec.Name} holds {bad.Spec.Name} as {entry.Status.ToString().ToLowerInvariant()}";
                }
            }
        }

        // A blacklisted node is refused before it enters a table; the node on another chain must be caught by a check.
        foreach (var bad in misbehaving.Where(b => b.Spec.Kind != LabNodeKind.Blacklisted))
        {
            if (!honest.Any(n => n.Manager.Table.Find(PeerHost.Parse(bad.Spec.Address))?.Status == PeerStatus.Bad))
            {
                missing++;
                first ??= $"no node has found {bad.Spec.Name} bad yet";
            }
        }

        return first is null ? null : $"{missing} links missing, e.g. {first}";
    }

    private static Dictionary<string, IReadOnlyList<string>> BadVerdicts(List<LabNode> nodes, List<LabNode> misbehaving)
    {
        var verdicts = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var bad in misbehaving)
        {
            var host = PeerHost.Parse(bad.Spec.Address);
            verdicts[bad.Spec.Name] = nodes
                .Where(n => n.Spec.Kind == LabNodeKind.Honest)
                .Select(n => (n, Record: n.Manager.Table.GetRecords().FirstOrDefault(r => r.Host == host)))
                .Where(x => x.Record is { IsBad: true } || (x.Record is null && bad.Spec.Kind == LabNodeKind.Blacklisted))
                .Select(x => x.Record is null ? $"{x.n.Spec.Name} (refused: blacklisted)" : $"{x.n.Spec.Name} (\"{x.Record.BadReason}\")")
                .ToList();
        }

        return verdicts;
    }

    private void Show(List<LabNode> nodes, TimeSpan elapsed, string? missing)
    {
        var rows = Rows(nodes);
        var footer = $"{elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture),5} s  {missing ?? "converged"}";
        _display.Show(rows, footer);
    }

    private static List<NodeStatus> Rows(List<LabNode> nodes)
        => nodes.Select(n => new NodeStatus($"{n.Spec.Name} {n.Spec.Address}{Marker(n.Spec.Kind)}", n.Manager.GetInfo(), n.LastEvent)).ToList();

    private static string Marker(LabNodeKind kind) => kind switch
    {
        LabNodeKind.WrongGenesis => " ✗g",
        LabNodeKind.Blacklisted => " ✗b",
        _ => string.Empty,
    };
}
