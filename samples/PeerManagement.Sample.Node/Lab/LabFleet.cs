using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PeerManagement.Redis;
using PeerManagement.Sample.Node.Chain;

namespace PeerManagement.Sample.Node.Lab;

/// <summary>
/// The lab's fleet (<c>--redis</c>): instances sharing one peer table on Redis, seeded with every lab node, that
/// check the lab's nodes between them. Each instance counts the checks it made itself (the library's
/// "Checked ..." log line, event 105), so the run shows the checks divided among the instances.
/// </summary>
public sealed class LabFleet : IAsyncDisposable
{
    private const int CheckedEventId = 105;

    private readonly List<(string Name, IHost Host, CheckCounter Checks)> _instances = [];

    /// <summary>The checks each instance made, by instance name.</summary>
    public IReadOnlyList<(string Name, int Checks)> Checks => [.. _instances.Select(i => (i.Name, i.Checks.Count))];

    /// <summary>The instances' peer managers.</summary>
    public IEnumerable<PeerManager> Managers => _instances.Select(i => i.Host.Services.GetRequiredService<PeerManager>());

    /// <summary>Starts the fleet.</summary>
    /// <param name="nodes">The lab's nodes (their real names seed every instance).</param>
    /// <param name="blacklist">The lab's blacklist.</param>
    /// <param name="lab">The lab's settings (<see cref="LabSettings.Redis"/> set).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running fleet.</returns>
    public static async Task<LabFleet> StartAsync(IReadOnlyList<LabNode> nodes, IReadOnlyList<string> blacklist, LabSettings lab, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(lab);
        var fleet = new LabFleet();
        // A prefix of this run only: a fleet left over from an earlier run does not mix in.
        var prefix = "sample-lab-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            for (var i = 1; i <= lab.FleetInstances; i++)
            {
                var checks = new CheckCounter();
                var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
                builder.Logging.AddProvider(checks).SetMinimumLevel(LogLevel.Debug);
                var peers = builder.Services.AddPeerManagement(options =>
                    {
                        foreach (var node in nodes)
                        {
                            options.SeedPeers.Add(node.RealName);
                        }

                        options.Announce = false;
                        options.AllowNonPublicPeers = true;
                        options.Wakeup = lab.Wakeup;
                        options.StaleAfter = lab.StaleAfter;
                        options.ForgetAfterTries = 1000;
                        options.RequestTimeout = TimeSpan.FromSeconds(5);
                    })
                    .UseChainView(new SyntheticChain(lab.Network, lab.ChainHeight))
                    .ConfigureConnector(connector => connector.LocalAddress = "127.0.0.1")
                    .UseRedis(lab.Redis!, redis =>
                    {
                        redis.KeyPrefix = prefix;
                        redis.LeaseLength = lab.Wakeup;
                    });
                if (blacklist.Count > 0)
                {
                    peers.AddBlacklist(blacklist);
                }

                var host = builder.Build();
                InvalidSettingsException.ThrowIfAny(host.Services);
                fleet._instances.Add(($"fleet-{i}", host, checks));
                await host.StartAsync(cancellationToken).ConfigureAwait(false);
            }

            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Whether every instance holds every honest node as good, and the fleet made <paramref name="rounds"/> checks per node.</summary>
    /// <param name="honest">The honest lab nodes.</param>
    /// <param name="all">Every lab node.</param>
    /// <param name="rounds">The rounds of checks to wait for.</param>
    /// <returns>Whether the fleet is done.</returns>
    public bool IsDone(IReadOnlyList<LabNode> honest, IReadOnlyList<LabNode> all, int rounds)
        => Managers.All(m => honest.All(n => m.Table.Find(PeerHost.Parse(n.Spec.Address))?.Status == PeerStatus.Good))
            && Checks.Sum(c => c.Checks) >= rounds * all.Count;

    /// <summary>The summary lines.</summary>
    /// <param name="nodes">How many lab nodes the fleet checks.</param>
    /// <returns>The lines.</returns>
    public IEnumerable<string> Summary(int nodes)
    {
        var total = Checks.Sum(c => c.Checks);
        yield return $"Fleet of {_instances.Count} instances sharing one table on Redis: {total} checks of {nodes} nodes in all ("
            + string.Join(", ", Checks.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Name} {c.Checks}"))) + ").";
        yield return $"  Alone, each instance would have checked every node itself: about {total * _instances.Count} checks.";
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var (_, host, _) in _instances)
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await host.StopAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Disposing ends it.
            }

            host.Dispose();
        }
    }

    /// <summary>Counts the "Checked ..." lines of one instance.</summary>
    private sealed class CheckCounter : ILoggerProvider, ILogger
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == CheckedEventId)
            {
                Interlocked.Increment(ref _count);
            }
        }

        public void Dispose()
        {
        }
    }
}
