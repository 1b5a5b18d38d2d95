using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// Looks for the proxy at start and, while none is known, again every
/// <see cref="PeerManagementOptions.ProxyRetryInterval"/>; once one is found, onion seeds (dropped while there was
/// none) are imported.
/// </summary>
internal sealed class ProxyWatcher(IProxyConnector proxy, PeerManagementOptions options, TimeProvider timeProvider, ILogger logger)
{
    public bool Found => proxy.ProxyEndPoint is not null;

    /// <summary>One look, bounded by the request timeout; a failure is logged, never thrown.</summary>
    public async Task DetectOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = new CancellationTokenSource(options.RequestTimeout, timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var endPoint = await proxy.DetectAsync(linked.Token).ConfigureAwait(false);
            if (endPoint is not null)
            {
                Log.ProxyInUse(logger, endPoint.ToString() ?? "?");
            }
            else
            {
                Log.NoProxyInUse(logger, options.ProxyRetryInterval);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.ProxyLookupFailed(logger, ex);
        }
    }

    /// <summary>Looks again every interval until a proxy is found, then calls <paramref name="found"/>; never throws.</summary>
    public async Task RunAsync(Action found, CancellationToken cancellationToken)
    {
        try
        {
            while (!Found)
            {
                await Task.Delay(options.ProxyRetryInterval, timeProvider, cancellationToken).ConfigureAwait(false);
                await DetectOnceAsync(cancellationToken).ConfigureAwait(false);
            }

            found();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.LoopCrashed(logger, ex);
        }
    }
}
