using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.Tests.DependencyInjection;

public class PeerManagementServiceCollectionExtensionsTests
{
    [Fact]
    public void Adding_twice_registers_the_services_once_and_keeps_both_configurations()
    {
        var services = new ServiceCollection();
        services.AddPeerManagement(o => o.MaxConcurrentChecks = 3);
        var count = services.Count;

        services.AddPeerManagement(o => o.Announce = false);

        services.Count.Should().Be(count + 1, "only the second configure delegate is added");
        services.Where(d => d.ServiceType == typeof(PeerTable)).Should().ContainSingle();
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<PeerManagementOptions>>().Value;
        options.MaxConcurrentChecks.Should().Be(3);
        options.Announce.Should().BeFalse();
    }

    [Fact]
    public void Every_registered_service_of_the_library_resolves()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();

        // The one service a host must bring: its own view of the chain.
        services.AddSingleton<IChainView>(new PeerManagement.TestUtilities.Electrum.FakeChainView());
        services.AddPeerManagement();
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var libraryTypes = services
            .Select(d => d.ServiceType)
            .Where(t => !t.IsGenericTypeDefinition && t.Assembly.GetName().Name!.StartsWith("PeerManagement", StringComparison.Ordinal))
            .Distinct()
            .ToList();

        libraryTypes.Should().Contain([typeof(PeerTable), typeof(IPeerStore)]);
        foreach (var type in libraryTypes)
        {
            provider.GetServices(type).Should().NotBeEmpty().And.NotContainNulls($"{type} is registered");
        }

        provider.GetRequiredService<IPeerStore>().Should().BeOfType<InMemoryPeerStore>();
        provider.GetRequiredService<TimeProvider>().Should().BeSameAs(TimeProvider.System);
    }

    [Fact]
    public void A_service_registered_before_wins_over_the_default()
    {
        var store = new InMemoryPeerStore();
        var time = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<IPeerStore>(store);
        services.AddSingleton<TimeProvider>(time);

        services.AddPeerManagement();
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IPeerStore>().Should().BeSameAs(store);
        provider.GetRequiredService<TimeProvider>().Should().BeSameAs(time);
    }

    [Fact]
    public void A_store_set_through_the_builder_after_wins()
    {
        var store = new RecordingStore();
        var services = new ServiceCollection();

        services.AddPeerManagement().UseStore(store);
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IPeerStore>().Should().BeSameAs(store);
        services.Where(d => d.ServiceType == typeof(IPeerStore)).Should().ContainSingle();
    }

    [Fact]
    public void A_store_type_set_through_the_builder_is_created_by_the_container()
    {
        var services = new ServiceCollection();

        services.AddPeerManagement().UseStore<RecordingStore>();
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IPeerStore>().Should().BeOfType<RecordingStore>();
    }

    [Fact]
    public void The_table_takes_the_clock_and_stale_interval_from_the_container()
    {
        var time = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddPeerManagement(o => o.StaleAfter = TimeSpan.FromHours(1));
        using var provider = services.BuildServiceProvider();
        var table = provider.GetRequiredService<PeerTable>();

        table.Note(PeerRealName.Parse("a.example.org s", DefaultPorts.BitcoinMainnet), PeerSources.Seed, checkPorts: false);
        table.Update(PeerHost.Parse("a.example.org"), r => r with { LastGood = time.GetUtcNow() });
        time.Advance(TimeSpan.FromHours(1));

        table.StaleAfter.Should().Be(TimeSpan.FromHours(1));
        table.GetInfo().Stale.Should().Be(1);
    }

    [Fact]
    public void Null_arguments_are_refused()
    {
        var addToNull = () => ((IServiceCollection)null!).AddPeerManagement();
        var useNullStore = () => new ServiceCollection().AddPeerManagement().UseStore(null!);

        addToNull.Should().Throw<ArgumentNullException>();
        useNullStore.Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new ServiceCollection().AddPeerManagement().ConfigureProxy(null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new ServiceCollection().AddPeerManagement().ConfigureJsonRpc(null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => ((IPeerManagementBuilder)null!).ConfigureProxy(_ => { })).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Each_component_gets_its_own_options_from_the_builder()
    {
        var services = new ServiceCollection();
        services.AddPeerManagement(o => o.RequestTimeout = TimeSpan.FromSeconds(45))
            .ConfigureProxy(o => o.ProxyRetryInterval = TimeSpan.FromMinutes(1))
            .ConfigureJsonRpc(o => o.MaxBatchCalls = 7);
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IOptions<PeerManagementOptions>>().Value.RequestTimeout.Should().Be(TimeSpan.FromSeconds(45));
        provider.GetRequiredService<IOptions<ProxyOptions>>().Value.ProxyRetryInterval.Should().Be(TimeSpan.FromMinutes(1));
        var rpc = provider.GetRequiredService<IOptions<JsonRpcOptions>>().Value;
        rpc.MaxBatchCalls.Should().Be(7);
        rpc.RequestTimeout.Should().Be(TimeSpan.FromSeconds(30), "the sessions' default is their own, not the checks' RequestTimeout");
    }

    private sealed class RecordingStore : IPeerStore
    {
        public ValueTask<IReadOnlyList<PeerRecord>> LoadAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<PeerRecord>>([]);

        public ValueTask SaveAsync(IReadOnlyList<PeerRecord> peers, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
