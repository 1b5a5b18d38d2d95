using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// Pull discovery: every <see cref="PeerManagementOptions.PeerListRefreshInterval"/> the good peer checked longest
/// ago is checked again early, which pulls its peer list (and announces us to it when it does not list us). Over
/// time every good peer is visited, honest ones included, whatever strangers announce; a node that heard mostly an
/// attacker in its first minutes does not wait for the first re-check of good peers to hear the others.
/// One timer; <see cref="Dispose"/> stops it.
/// </summary>
internal sealed class PeerListRefresher(PeerTable table, PeerCheckScheduler scheduler, OwnIdentities identities, TimeSpan interval, TimeProvider timeProvider, ILogger logger)
    : IDisposable
{
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private bool _disposed;

    /// <summary>Arms the timer (nothing when the interval is zero, i.e. pull discovery is off).</summary>
    public void Start()
    {
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        lock (_gate)
        {
            if (_disposed || _timer is not null)
            {
                return;
            }

            _timer = timeProvider.CreateTimer(static s => ((PeerListRefresher)s!).Tick(), this, interval, interval);
        }
    }

    /// <summary>Wakes the good peer checked longest ago; returns it, or <see langword="null"/> when none qualifies.</summary>
    public PeerHost? Tick()
    {
        try
        {
            // Not our own entries (their lists are ours) nor a peer whose check runs now (it is being refreshed).
            var oldest = table.FindOldestCheckedGood(r => !identities.Contains(r.Host) && !scheduler.IsRunning(r.Host));
            if (oldest is null)
            {
                return null;
            }

            Log.PeerListRefresh(logger, oldest.Host.Value, oldest.LastTry ?? oldest.LastGood ?? default);
            scheduler.Wake(oldest.Host);
            return oldest.Host;
        }
        catch (Exception ex)
        {
            // A timer callback must not throw; the next tick tries again.
            Log.LoopCrashed(logger, ex);
            return null;
        }
    }

    /// <summary>Stops the timer; a tick that runs now may still wake one peer.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }
}
