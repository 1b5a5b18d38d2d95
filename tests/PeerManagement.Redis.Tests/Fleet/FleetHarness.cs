using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using PeerManagement.TestUtilities.Electrum;
using PeerManagement.TestUtilities.Time;
using StackExchange.Redis;

namespace PeerManagement.Redis.Tests.Fleet;

/// <summary>
/// Instances of one fleet in one process: each a <see cref="PeerManager"/> with its own connection to the test's
/// Redis and its own view of one scripted network (so the checks of each instance are counted apart), on one fake
/// clock. Redis's key expiry runs on real time, so leases are short.
/// </summary>
internal sealed class FleetHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private readonly List<ScriptedElectrumPeer> _peers = [];
    private readonly List<IAsyncDisposable> _owned = [];

    public FleetHarness(RedisServer redis, TimeSpan leaseLength)
    {
        Redis = redis;
        LeaseLength = leaseLength;
    }

    public RedisServer Redis { get; }

    public TimeSpan LeaseLength { get; }

    public string Prefix { get; } = "fleet";

    public WatchedTimeProvider Time { get; } = new(Start);

    public FakeChainView Chain { get; } = new();

    public FakeLogCollector Logs { get; } = new();

    public List<FleetInstance> Instances { get; } = [];

    public List<string> Seeds { get; } = [];

    public static CancellationToken Token => TestContext.Current.CancellationToken;

    public PeerManagementOptions Options()
    {
        // Pull discovery off: these tests count the checks of the schedule, and its early checks are tested on their own.
        var options = new PeerManagementOptions { Announce = false, PeerListRefreshInterval = TimeSpan.Zero };
        foreach (var seed in Seeds)
        {
            options.SeedPeers.Add(seed + " s t");
        }

        return options;
    }

    /// <summary>A peer of the network, at a public address of its own bucket.</summary>
    public ScriptedElectrumPeer AddPeer(string host, int index)
    {
        var peer = ScriptedElectrumPeerBuilder.For(host, Chain).At($"44.{10 + index}.0.1").Build();
        _peers.Add(peer);
        foreach (var instance in Instances)
        {
            instance.Network.Add(peer);
        }

        return peer;
    }

    /// <summary>Creates (does not start) an instance of the fleet.</summary>
    public async Task<FleetInstance> AddInstanceAsync(string name)
    {
        var multiplexer = await Redis.ConnectAsync();
        var connection = new RedisFleetConnection(multiplexer, ownsMultiplexer: true, new PeerManagementRedisOptions { KeyPrefix = Prefix, LeaseLength = LeaseLength }, Loggers(name), null);
        var network = new InMemoryPeerNetwork(Time);
        foreach (var peer in _peers)
        {
            network.Add(peer);
        }

        var options = Options();
        var table = new PeerTable(Time, options.StaleAfter);
        var fleet = new PeerFleetCoordination
        {
            CheckLease = new RedisCheckLease(connection),
            Records = new RedisRecordExchange(connection),
            AddPeerGuard = new RedisAddPeerGuard(connection, Time),
        };
        var manager = new PeerManager(
            table, Microsoft.Extensions.Options.Options.Create(options), network, network, Chain, new InMemoryPeerStore(), [], Time,
            Loggers(name), resolver: new FakeHostNameResolver(), random: new Random(42), fleet: fleet);
        var instance = new FleetInstance(name, manager, network, connection);
        Instances.Add(instance);
        _owned.Add(connection);
        return instance;
    }

    public ILoggerFactory Loggers(string name)
        => LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(Logs)).SetMinimumLevel(LogLevel.Debug));

    /// <summary>Polls a condition until it holds, within a deadline (Redis and pub/sub run on real time).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string because, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                condition().Should().BeTrue("{0} within {1} ms", because, timeoutMs);
            }

            await Task.Delay(5, Token);
        }
    }

    /// <summary>Waits until no check lease is held in Redis (they lapse on Redis's real clock).</summary>
    public async Task WaitForLeasesToLapseAsync()
    {
        await using var client = await Redis.ConnectAsync();
        var server = client.GetServers()[0];
        await WaitUntilAsync(() => !server.Keys(pattern: Prefix + ":lease:*").Any(), "every lease should lapse");
    }

    /// <summary>Checks made of a host, by each instance.</summary>
    public int[] ChecksOf(string host) => [.. Instances.Select(i => i.Network.AttemptsTo(host).Count)];

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in Instances)
        {
            await instance.Manager.DisposeAsync();
        }

        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }
}

/// <summary>One instance of a test fleet.</summary>
internal sealed record FleetInstance(string Name, PeerManager Manager, InMemoryPeerNetwork Network, RedisFleetConnection Connection)
{
    public PeerStatus? Status(string host) => Manager.Table.Find(PeerHost.Parse(host))?.Status;

    public PeerRecord? Record(string host) => Manager.Table.Find(PeerHost.Parse(host))?.Peer;
}
