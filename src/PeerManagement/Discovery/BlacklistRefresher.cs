using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// Refreshes the blacklist every <see cref="PeerManagementOptions.BlacklistRefreshInterval"/>, and after each
/// refresh wakes every peer it now covers, so that its next check marks it bad.
/// </summary>
internal sealed class BlacklistRefresher(PeerBlacklist blacklist, PeerTable table, PeerCheckScheduler scheduler, TimeSpan interval, TimeProvider timeProvider, ILogger logger)
{
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await blacklist.RefreshAsync(cancellationToken).ConfigureAwait(false);
        var now = timeProvider.GetUtcNow();
        foreach (var record in table.GetRecords())
        {
            if (!record.IsBad && blacklist.IsBlacklisted(record.Host, record.IPAddress, now))
            {
                Log.BlacklistWakesPeer(logger, record.Host.Value);
                scheduler.Wake(record.Host);
            }
        }
    }

    /// <summary>Refreshes every interval until <paramref name="cancellationToken"/> is cancelled; never throws.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, timeProvider, cancellationToken).ConfigureAwait(false);
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
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
