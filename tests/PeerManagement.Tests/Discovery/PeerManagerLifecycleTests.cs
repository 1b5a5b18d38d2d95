using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using PeerManagement.TestUtilities.Electrum;
using PeerManagement.TestUtilities.Threading;

namespace PeerManagement.Tests.Discovery;

// Not in parallel with other tests: one test here counts the process's unobserved task exceptions, which any other
// test running meanwhile could raise.
[Collection(nameof(UnobservedExceptionsCollection))]
public class PeerManagerLifecycleTests
{
    [Fact]
    public async Task Start_logs_the_mode_announce_identity_and_forced_proxy()
    {
        await using var h = new DiscoveryHarness(o => o.ForceProxy = true);

        await h.Manager.StartAsync(DiscoveryHarness.Token);

        h.LogsWithId(100).Should().ContainSingle().Which.Message.Should().Be(
            "Peer discovery On; announce True; own clearnet identity node.example.net s t; proxy forced True");
    }

    [Fact]
    public async Task On_mode_imports_our_identities_and_the_seeds_and_checks_them()
    {
        await using var h = new DiscoveryHarness(o => o.SeedPeers.Add("a.example.org s t"));
        h.AddPeer("a.example.org");

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        await DiscoveryHarness.WaitUntilAsync(() => h.Status("a.example.org") == PeerStatus.Good);

        h.Record("node.example.net")!.Source.Should().Be(PeerSources.Self);
    }

    [Fact]
    public async Task Self_mode_imports_no_seeds_and_contacts_no_one()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.Discovery = PeerDiscoveryMode.Self;
            o.SeedPeers.Add("a.example.org s t");
        });
        h.AddPeer("a.example.org");
        h.Proxy.Detectable = new IPEndPoint(IPAddress.Loopback, 9050);
        await h.Store.SaveAsync([PeerRecord.FromRealName(PeerRealName.Parse("b.example.org s", DefaultPorts.BitcoinMainnet), PeerSources.Peer)], DiscoveryHarness.Token);

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        h.Time.Advance(TimeSpan.FromHours(1));
        await ThreadPoolQuiescence.SettleAsync(); // whatever the hour set going has run

        h.Table.Count.Should().Be(0);
        h.Network.Attempts.Should().BeEmpty();
        h.Proxy.Detections.Should().Be(0);
        h.LogsWithId(111).Should().ContainSingle();
    }

    [Fact]
    public async Task Off_mode_runs_nothing()
    {
        var source = new CountingBlacklistSource();
        await using var h = new DiscoveryHarness(o =>
        {
            o.Discovery = PeerDiscoveryMode.Off;
            o.SeedPeers.Add("a.example.org s t");
        });
        h.BlacklistSources.Add(source);
        h.AddPeer("a.example.org");

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        h.Time.Advance(TimeSpan.FromHours(1));
        await ThreadPoolQuiescence.SettleAsync(); // whatever the hour set going has run

        h.Table.Count.Should().Be(0);
        h.Network.Attempts.Should().BeEmpty();
        h.Proxy.Detections.Should().Be(0);
        source.Fetches.Should().Be(0);
        h.LogsWithId(110).Should().ContainSingle();
    }

    [Fact]
    public async Task Stop_ends_every_check_and_loop_within_a_second_without_unobserved_exceptions()
    {
        // Tasks left faulted by tests that ran before are finalized now, before counting starts.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var unobserved = 0;
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, _) => Interlocked.Increment(ref unobserved);
        TaskScheduler.UnobservedTaskException += onUnobserved;
        try
        {
            var h = new DiscoveryHarness(o => o.BlacklistUrl = null);
            h.BlacklistSources.Add(new CountingBlacklistSource());
            for (var i = 0; i < 40; i++)
            {
                var host = $"slow{i}.example.org";
                h.AddPeer(host, p => p.At($"44.30.0.{i + 1}").Silent("server.peers.subscribe"));
                h.Options.SeedPeers.Add(host + " s t");
            }

            await h.Manager.StartAsync(DiscoveryHarness.Token);
            await DiscoveryHarness.WaitUntilAsync(() => h.Manager.Scheduler.RunningCount == h.Options.MaxConcurrentChecks);

            var stopwatch = Stopwatch.StartNew();
            await h.Manager.StopAsync(DiscoveryHarness.Token);
            stopwatch.Stop();

            stopwatch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1));
            h.Manager.Scheduler.RunningCount.Should().Be(0);
            h.Network.OpenSessions.Should().Be(0);
            await h.DisposeAsync();
        }
        finally
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }

        unobserved.Should().Be(0);
    }

    [Fact]
    public async Task Stop_before_start_and_twice_is_harmless_and_start_after_stop_throws()
    {
        await using var h = new DiscoveryHarness();

        await h.Manager.StopAsync(DiscoveryHarness.Token);
        await h.Manager.StopAsync(DiscoveryHarness.Token);

        var start = async () => await h.Manager.StartAsync(DiscoveryHarness.Token);
        await start.Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public async Task A_proxy_found_later_brings_in_the_onion_seeds()
    {
        var onion = DiscoveryHarness.Onion(9);
        await using var h = new DiscoveryHarness(o => o.SeedPeers.Add(onion + " s t"));
        h.AddPeer(onion);

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        h.Record(onion).Should().BeNull();
        h.LogsWithId(115).Should().ContainSingle();

        h.Proxy.Detectable = new IPEndPoint(IPAddress.Loopback, 9150);
        await h.RunClockUntilAsync(() => h.Status(onion) == PeerStatus.Good, TimeSpan.FromMinutes(1));

        h.LogsWithId(114).Should().ContainSingle();
        h.Proxy.Detections.Should().Be(2, "the manager looked at start and once more a retry interval (15 min) later");
        h.Network.AttemptsTo(onion).Should().OnlyContain(a => a.ViaProxy);
    }

    [Fact]
    public async Task The_host_runs_the_manager_as_a_hosted_service()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DiscoveryHarness.Start);
        var network = new InMemoryPeerNetwork(time);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton<IPeerConnector>(network);
        builder.Services.AddSingleton<IJsonRpcSessionFactory>(network);
        builder.Services.AddPeerManagement(o => o.Discovery = PeerDiscoveryMode.Self)
            .UseChainView(new FakeChainView())
            .AddBlacklist("banned.example.org");
        using var host = builder.Build();

        await host.StartAsync(DiscoveryHarness.Token);
        var manager = host.Services.GetRequiredService<PeerManager>();
        manager.Mode.Should().Be(PeerDiscoveryMode.Self);
        var start = async () => await manager.StartAsync(DiscoveryHarness.Token);
        await start.Should().NotThrowAsync("the host started it already; a second start does nothing");
        await host.StopAsync(DiscoveryHarness.Token);
        await start.Should().ThrowAsync<ObjectDisposedException>("the host stopped it");
    }

    [Fact]
    public async Task A_host_without_a_chain_view_starts_with_discovery_off_and_a_warning()
    {
        var collector = new FakeLogCollector();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddProvider(new FakeLoggerProvider(collector));
        builder.Services.AddPeerManagement();
        using var host = builder.Build();

        await host.StartAsync(DiscoveryHarness.Token);

        collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 132).Which.Message
            .Should().Be("Peer discovery does not run: no IChainView is registered");
        var manager = host.Services.GetRequiredService<PeerManager>();
        (await manager.AddPeerAsync("added.example.org s t", DiscoveryHarness.Token)).Should().Be(PeerNoteResult.Added,
            "the manager resolves and takes admin adds without a chain view");
        manager.GetPeers().Should().ContainSingle(p => p.Peer.Host.Value == "added.example.org");
        await host.StopAsync(DiscoveryHarness.Token);
    }

    private sealed class CountingBlacklistSource : IBlacklistSource
    {
        public int Fetches { get; private set; }

        public ValueTask<IReadOnlyList<string>> GetEntriesAsync(CancellationToken cancellationToken)
        {
            Fetches++;
            return ValueTask.FromResult<IReadOnlyList<string>>([]);
        }
    }
}

[CollectionDefinition(nameof(UnobservedExceptionsCollection), DisableParallelization = true)]
public sealed class UnobservedExceptionsCollection;
