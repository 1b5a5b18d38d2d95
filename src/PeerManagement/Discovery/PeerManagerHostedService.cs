using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PeerManagement;

/// <summary>
/// Runs the container's <see cref="PeerManager"/> with the host. When a service discovery needs is not registered
/// (no <see cref="IChainView"/>, connector or session factory), it logs why and leaves discovery off instead of
/// failing the host: hosts that only use other parts of the library keep working.
/// </summary>
internal sealed class PeerManagerHostedService(IServiceProvider services) : IHostedService
{
    private PeerManager? _manager;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var missing = services.GetService<IChainView>() is null ? nameof(IChainView)
            : services.GetService<IPeerConnector>() is null ? nameof(IPeerConnector)
            : services.GetService<IJsonRpcSessionFactory>() is null ? nameof(IJsonRpcSessionFactory)
            : null;
        if (missing is not null)
        {
            var logger = services.GetService<ILoggerFactory>()?.CreateLogger("PeerManagement.Discovery") ?? NullLogger.Instance;
            Log.DiscoveryNotConfigured(logger, missing);
            return;
        }

        _manager = services.GetRequiredService<PeerManager>();
        await _manager.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken)
        => _manager?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
