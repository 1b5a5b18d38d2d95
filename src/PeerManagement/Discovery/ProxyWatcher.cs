using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// The one owner of proxy detection: looks for the proxy at start and, while none is known, again every
/// <see cref="ProxyOptions.ProxyRetryInterval"/> (one look per interval; the connector never looks by itself); once
/// one is found, onion seeds (dropped while there was none) are imported.
/// </summary>
internal sealed class ProxyWatcher(IProxyConnector proxy, ProxyOptions options, TimeProvider timeProvider, ILogger logger)
{
    public bool Found => proxy.ProxyEndPoint is not null;

    /// <summary>One look, bounded by <see cref="ProxyOptions.DetectTimeout"/>; a failure is logged, never thrown.</summary>
    public async Task DetectOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Bounds a plug-in connector too; the default one also bounds each port's probe by ProbeTimeout.
            using var timeout = new CancellationTokenSource(options.DetectTimeout, timeProvider);
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
