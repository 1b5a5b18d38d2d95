using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PeerManagement.TestUtilities.Electrum;
using PeerManagement.TestUtilities.Time;

namespace PeerManagement.Tests.Discovery;

/// <summary>A manager wired to an in-memory network of scripted peers, a fake clock and a fixed-seed random.</summary>
internal sealed class DiscoveryHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private PeerManager? _manager;
    private PeerTable? _table;

    public DiscoveryHarness(Action<PeerManagementOptions>? configure = null)
    {
        Network = new InMemoryPeerNetwork(Time);
        Options.Identities.Add("node.example.net s t");
        configure?.Invoke(Options);
    }

    public WatchedTimeProvider Time { get; } = new(Start);

    public PeerManagementOptions Options { get; } = new();

    public FakeChainView Chain { get; } = new();

    public InMemoryPeerNetwork Network { get; }

    public IPeerStore Store { get; set; } = new InMemoryPeerStore();

    public List<IBlacklistSource> BlacklistSources { get; } = [];

    public FakeProxyConnector Proxy { get; } = new();

    public FakeHostNameResolver Resolver { get; } = new();

    public FakeLogCollector Logs { get; } = new();

    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    public IBanStore BanStore { get; set; } = new InMemoryBanStore();

    /// <summary>Detects the reachable address families; <see langword="null"/> (the default) assumes both.</summary>
    public IAddressFamilyProbe? AddressFamilyProbe { get; set; }

    /// <summary>The verifier; <see langword="null"/> (the default) for the Electrum protocol's.</summary>
    public IPeerVerifier? Verifier { get; set; }

    /// <summary>The fleet's plug-in points; <see langword="null"/> (the default) to work alone.</summary>
    public PeerFleetCoordination? Fleet { get; set; }

    public PeerTable Table => _table ??= new PeerTable(Time, Options.StaleAfter);

    public PeerManager Manager => _manager ??= new PeerManager(
        Table,
        Microsoft.Extensions.Options.Options.Create(Options),
        Network,
        Network,
        Chain,
        Store,
        BlacklistSources,
        Time,
        LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(Logs)).SetMinimumLevel(LogLevel.Debug)),
        Verifier,
        Proxy,
        Resolver,
        new Random(42),
        MeterFactory,
        proxyOptions: null,
        BanStore,
        AddressFamilyProbe,
        Fleet);

    public DateTimeOffset Now => Time.GetUtcNow();

    public static CancellationToken Token => TestContext.Current.CancellationToken;

    public ScriptedElectrumPeer AddPeer(string host, Func<ScriptedElectrumPeerBuilder, ScriptedElectrumPeerBuilder>? configure = null)
    {
        var builder = ScriptedElectrumPeerBuilder.For(host, Chain);
        if (!PeerHost.Parse(host).IsIPAddress && !PeerHost.Parse(host).IsOnion)
        {
            builder.At(AddressFor(host));
        }

        return Network.Add((configure?.Invoke(builder) ?? builder).Build());
    }

    /// <summary>Adds a peer to the network and its entry to the table (not scheduled).</summary>
    public ScriptedElectrumPeer AddKnownPeer(string host, Func<ScriptedElectrumPeerBuilder, ScriptedElectrumPeerBuilder>? configure = null, Func<PeerRecord, PeerRecord>? record = null)
    {
        var peer = AddPeer(host, configure);
        var entry = PeerRecord.FromRealName(PeerRealName.Parse(host + " s t", Options.DefaultPorts), PeerSources.Seed);
        Table.TryAdd(record?.Invoke(entry) ?? entry).Should().BeTrue();
        return peer;
    }

    public async Task<(PeerCheckOutcome? Outcome, DateTimeOffset? Next)> CheckAsync(string host)
        => await Manager.CheckPeerAsync(PeerHost.Parse(host), Token);

    /// <summary>Runs a check while moving the fake clock, for peers that never answer.</summary>
    public async Task<(PeerCheckOutcome? Outcome, DateTimeOffset? Next)> CheckWithClockAsync(string host, TimeSpan step)
    {
        var check = Manager.CheckPeerAsync(PeerHost.Parse(host), Token);
        await RunClockUntilAsync(() => check.IsCompleted, step);
        return await check;
    }

    public async Task RunClockUntilAsync(Func<bool> done, TimeSpan step, int maxSteps = 10_000)
    {
        for (var i = 0; i < maxSteps && !done(); i++)
        {
            // Paces the clock so that the I/O a step set going (in-memory pipes, on other threads) has its turn: the
            // thread pool's queue alone cannot tell that a read is half done.
            await Task.Delay(1, Token);
            if (!done())
            {
                Time.Advance(step);
            }
        }

        done().Should().BeTrue("the work should finish within {0} clock steps", maxSteps);
    }

    public static async Task WaitUntilAsync(Func<bool> condition, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                condition().Should().BeTrue("the condition should hold within {0} ms", timeoutMs);
            }

            // A poll with a deadline for work on other threads, not a wait for a timer: the fake clock does not move.
            await Task.Delay(2, Token);
        }
    }

    public PeerRecord? Record(string host) => Table.Find(PeerHost.Parse(host))?.Peer;

    public PeerStatus? Status(string host) => Table.Find(PeerHost.Parse(host))?.Status;

    public DateTimeOffset? Due(string host) => Manager.Scheduler.GetDue(PeerHost.Parse(host));

    public IReadOnlyList<FakeLogRecord> LogsWithId(int id) => [.. Logs.GetSnapshot().Where(r => r.Id.Id == id)];

    /// <summary>A stable public address for a host name (44.x.y.z).</summary>
    public static string AddressFor(string host)
    {
        var hash = (uint)StringComparer.Ordinal.GetHashCode(host);
        hash = (uint)host.Aggregate(17, (h, c) => unchecked((h * 31) + c));
        return $"44.{(hash >> 16) & 0xFF}.{(hash >> 8) & 0xFF}.{Math.Max(1, hash & 0xFF)}";
    }

    public static string Onion(int i)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var chars = new char[16];
        for (var k = 0; k < 16; k++)
        {
            chars[k] = alphabet[(i >> (k % 4 * 5)) & 31];
        }

        chars[15] = alphabet[i % 32];
        chars[14] = alphabet[(i / 32) % 32];
        chars[13] = alphabet[(i / 1024) % 32];
        return new string(chars) + ".onion";
    }

    public void KnowProxy() => Proxy.ProxyEndPoint = new IPEndPoint(IPAddress.Loopback, 9050);

    public async ValueTask DisposeAsync()
    {
        if (_manager is not null)
        {
            await _manager.DisposeAsync();
        }
    }
}
