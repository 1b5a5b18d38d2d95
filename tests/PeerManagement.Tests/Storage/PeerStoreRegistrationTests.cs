using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PeerManagement.Tests.Storage;

public sealed class PeerStoreRegistrationTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Default_store_is_in_memory_and_the_background_saver_is_a_hosted_service()
    {
        var services = new ServiceCollection();
        services.AddPeerManagement();
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IPeerStore>().Should().BeOfType<InMemoryPeerStore>();
        provider.GetServices<IHostedService>().Should().ContainSingle(s => s is PeerStoreWriter);
        provider.GetRequiredService<IOptions<PeerStoreOptions>>().Value.SaveInterval.Should().Be(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void UseFileStore_makes_the_file_store_the_store_with_the_full_path()
    {
        var services = new ServiceCollection();
        services.AddPeerManagement().UseFileStore(_directory.File("peers.json"));
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IPeerStore>().Should().BeOfType<FilePeerStore>()
            .Which.Path.Should().Be(_directory.File("peers.json"));
    }

    [Fact]
    public void Run_time_bans_are_kept_in_memory_by_default_and_beside_the_file_store_with_it()
    {
        var plain = new ServiceCollection();
        plain.AddPeerManagement();
        var withFile = new ServiceCollection();
        withFile.AddPeerManagement().UseFileStore(_directory.File("peers.json"));
        using var plainProvider = plain.BuildServiceProvider();
        using var fileProvider = withFile.BuildServiceProvider();

        plainProvider.GetRequiredService<IBanStore>().Should().BeOfType<InMemoryBanStore>();
        fileProvider.GetRequiredService<IBanStore>().Should().BeOfType<FileBanStore>()
            .Which.Path.Should().Be(_directory.File("peers.json.bans"));
    }

    [Fact]
    public void UseFileStore_with_settings_applies_them()
    {
        var services = new ServiceCollection();
        services.AddPeerManagement().UseFileStore(o =>
        {
            o.Path = _directory.File("peers.json");
            o.SaveInterval = TimeSpan.FromSeconds(30);
        });
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IOptions<PeerStoreOptions>>().Value.SaveInterval.Should().Be(TimeSpan.FromSeconds(30));
        provider.GetRequiredService<IPeerStore>().Should().BeOfType<FilePeerStore>();
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void UseFileStore_without_a_file_name_throws_naming_the_argument(string path)
    {
        var builder = new ServiceCollection().AddPeerManagement();

        var use = () => builder.UseFileStore(path);

        use.Should().Throw<ArgumentException>().WithParameterName("path");
    }

    [Fact]
    public void File_store_without_a_path_fails_validation_naming_the_setting()
    {
        var services = new ServiceCollection();
        services.AddPeerManagement().UseFileStore(o => o.SaveInterval = TimeSpan.FromSeconds(5));
        using var provider = services.BuildServiceProvider();

        var read = () => provider.GetRequiredService<IOptions<PeerStoreOptions>>().Value;

        read.Should().Throw<OptionsValidationException>().WithMessage("*PeerStoreOptions.Path*");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Save_interval_that_is_not_positive_fails_validation(int seconds)
    {
        var services = new ServiceCollection();
        services.AddPeerManagement();
        services.Configure<PeerStoreOptions>(o => o.SaveInterval = TimeSpan.FromSeconds(seconds));
        using var provider = services.BuildServiceProvider();

        var read = () => provider.GetRequiredService<IOptions<PeerStoreOptions>>().Value;

        read.Should().Throw<OptionsValidationException>().WithMessage("*SaveInterval*");
    }

    [Fact]
    public void Size_limit_below_one_KiB_fails_validation()
    {
        var services = new ServiceCollection();
        services.AddPeerManagement();
        services.Configure<PeerStoreOptions>(o => o.MaxFileBytes = 10);
        using var provider = services.BuildServiceProvider();

        var read = () => provider.GetRequiredService<IOptions<PeerStoreOptions>>().Value;

        read.Should().Throw<OptionsValidationException>().WithMessage("*MaxFileBytes*");
    }

    [Fact]
    public async Task Restarted_host_with_a_file_store_gets_back_the_peers_saved_at_stop()
    {
        var path = _directory.File("peers.json");
        var peers = StoreTestData.EveryKind();
        using (var first = BuildHost(path))
        {
            await first.StartAsync(Ct);
            var table = first.Services.GetRequiredService<PeerTable>();
            foreach (var peer in peers)
            {
                table.TryAdd(peer);
            }

            await first.StopAsync(Ct);
        }

        using var second = BuildHost(path);
        await second.StartAsync(Ct);
        var loaded = await second.Services.GetRequiredService<IPeerStore>().LoadAsync(Ct);
        await second.StopAsync(Ct);

        loaded.OrderBy(p => p.Host.Value).ShouldEqual(peers.OrderBy(p => p.Host.Value));
    }

    private static IHost BuildHost(string path)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddPeerManagement().UseFileStore(path);
        return builder.Build();
    }
}
