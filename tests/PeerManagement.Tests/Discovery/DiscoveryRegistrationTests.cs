using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.Tests.Discovery;

public class DiscoveryRegistrationTests
{
    private static ServiceProvider Build(Action<IPeerManagementBuilder> configure, Action<PeerManagementOptions>? options = null)
    {
        var time = new FakeTimeProvider(DiscoveryHarness.Start);
        var network = new InMemoryPeerNetwork(time);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<IPeerConnector>(network);
        services.AddSingleton<IJsonRpcSessionFactory>(network);
        configure(services.AddPeerManagement(options).UseChainView(new FakeChainView()));
        return services.BuildServiceProvider();
    }

    [Fact]
    public void The_defaults_are_the_electrum_verifier_and_one_hosted_service()
    {
        using var provider = Build(_ => { });

        provider.GetRequiredService<IPeerVerifier>().Should().BeOfType<ElectrumPeerVerifier>();
        provider.GetServices<IHostedService>().Should().ContainSingle(s => s is PeerManagerHostedService);
        provider.GetRequiredService<PeerManager>().Blacklist.HasSources.Should().BeFalse();
    }

    [Fact]
    public void Verifier_resolver_and_blacklist_sources_can_be_replaced_or_added()
    {
        var resolver = new FakeHostNameResolver();
        var file = Path.GetTempFileName();
        try
        {
            using var provider = Build(
                b => b.UseVerifier<NeverVerifier>()
                    .UseHostNameResolver(resolver)
                    .AddBlacklist("a.example.org")
                    .AddBlacklistFile(file)
                    .AddBlacklistSource(new StaticBlacklistSource(["b.example.org"])),
                o => o.BlacklistUrl = new Uri("https://lists.example.org/blacklist.json"));

            provider.GetRequiredService<IPeerVerifier>().Should().BeOfType<NeverVerifier>();
            provider.GetRequiredService<IHostNameResolver>().Should().BeSameAs(resolver);
            provider.GetServices<IBlacklistSource>().Should().HaveCount(3);
            provider.GetRequiredService<PeerManager>().Blacklist.HasSources.Should().BeTrue();
        }
        finally
        {
            File.Delete(file);
        }
    }

    private sealed class NeverVerifier : IPeerVerifier
    {
        public ValueTask<PeerVerificationResult> VerifyAsync(PeerVerificationContext context, CancellationToken cancellationToken)
            => ValueTask.FromResult(PeerVerificationResult.Failed("never"));
    }
}
