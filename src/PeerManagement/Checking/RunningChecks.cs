namespace PeerManagement;

/// <summary>
/// The checks running now, by host, each with a token that a kick cancels: a kicked peer's check session is
/// closed at once rather than left to finish (and perhaps record the peer again).
/// </summary>
internal sealed class RunningChecks
{
    private readonly Lock _gate = new();
    private readonly Dictionary<PeerHost, CancellationTokenSource> _running = [];

    /// <summary>Registers a check of <paramref name="host"/>; dispose the answer when the check ends.</summary>
    public Registration Begin(PeerHost host, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        lock (_gate)
        {
            // The scheduler never runs two checks of one host at once; a direct test check may, and then the later one wins.
            _running[host] = source;
        }

        return new Registration(this, host, source);
    }

    /// <summary>Ends the check of <paramref name="host"/> if one runs.</summary>
    /// <returns>Whether one ran.</returns>
    public bool Cancel(PeerHost host)
    {
        CancellationTokenSource? source;
        lock (_gate)
        {
            if (!_running.Remove(host, out source))
            {
                return false;
            }
        }

        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The check ended meanwhile.
        }

        return true;
    }

    /// <summary>Whether a check of <paramref name="host"/> runs now.</summary>
    public bool IsRunning(PeerHost host)
    {
        lock (_gate)
        {
            return _running.ContainsKey(host);
        }
    }

    private void End(PeerHost host, CancellationTokenSource source)
    {
        lock (_gate)
        {
            if (_running.TryGetValue(host, out var current) && current == source)
            {
                _running.Remove(host);
            }
        }

        source.Dispose();
    }

    /// <summary>One running check.</summary>
    public readonly struct Registration(RunningChecks owner, PeerHost host, CancellationTokenSource source) : IDisposable
    {
        /// <summary>Cancelled when the check's own token is, or when the peer is kicked.</summary>
        public CancellationToken Token => source.Token;

        public void Dispose() => owner.End(host, source);
    }
}
