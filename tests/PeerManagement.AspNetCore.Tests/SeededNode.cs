using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace PeerManagement.AspNetCore.Tests;

/// <summary>
/// A node whose discovery runs on a seeded table (two good peers, one stale, one never checked, one bad) and
/// reaches no one: its connector never connects (a check waits until the node stops), there is no proxy, and the
/// address-family probe answers without looking.
/// </summary>
internal static class SeededNode
{
    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<IChainView>(new Chain());
        services.AddSingleton<IPeerConnector>(new NeverConnects());
        services.AddSingleton<IProxyConnector>(new NoProxy());
        services.AddSingleton<IAddressFamilyProbe>(new BothFamilies());
        services.AddSingleton<IPeerStore>(sp => new SeededStore(sp.GetRequiredService<TimeProvider>()));
    }

    private sealed class SeededStore(TimeProvider time) : IPeerStore
    {
        public ValueTask<IReadOnlyList<PeerRecord>> LoadAsync(CancellationToken cancellationToken)
        {
            var now = time.GetUtcNow();
            PeerRecord Peer(string host) => PeerRecord.FromRealName(PeerRealName.Parse(host + " s t", new DefaultPorts(50001, 50002)), PeerSources.Seed);
            IReadOnlyList<PeerRecord> peers =
            [
                Peer("alpha.example.org") with { LastGood = now.AddMinutes(-5), LastTry = now.AddMinutes(-5), IPAddress = IPAddress.Parse("44.10.0.1") },
                Peer("beta.example.org") with { LastGood = now.AddMinutes(-20), LastTry = now.AddMinutes(-20), IPAddress = IPAddress.Parse("44.20.0.1") },
                Peer("gamma.example.org") with { LastGood = now.AddHours(-5), LastTry = now.AddHours(-5) },
                Peer("delta.example.org"),
                Peer("evil.example.org") with { LastTry = now.AddMinutes(-1), TryCount = 1, BadReason = "incorrect genesis hash" },
            ];
            return ValueTask.FromResult(peers);
        }

        public ValueTask SaveAsync(IReadOnlyList<PeerRecord> peers, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class NeverConnects : IPeerConnector
    {
        public async ValueTask<PeerConnection> ConnectAsync(PeerEndpoint endpoint, bool useProxy, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new OperationCanceledException(cancellationToken);
        }
    }

    private sealed class NoProxy : IProxyConnector
    {
        public EndPoint? ProxyEndPoint => null;

        public ValueTask<EndPoint?> DetectAsync(CancellationToken cancellationToken) => ValueTask.FromResult<EndPoint?>(null);

        public ValueTask<Stream> ConnectAsync(PeerHost host, int port, CancellationToken cancellationToken) => throw new ProxyException("No proxy here.");
    }

    private sealed class BothFamilies : IAddressFamilyProbe
    {
        public ValueTask<AddressFamilyReachability> ProbeAsync(CancellationToken cancellationToken) => ValueTask.FromResult(AddressFamilyReachability.Both);
    }

    private sealed class Chain : IChainView
    {
        public string GenesisHash => "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";

        public ValueTask<int> GetTipHeightAsync(CancellationToken cancellationToken) => ValueTask.FromResult(800_000);

        public ValueTask<string?> GetHeaderHexAsync(int height, CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);
    }
}
