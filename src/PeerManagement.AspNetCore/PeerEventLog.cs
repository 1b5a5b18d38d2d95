namespace PeerManagement.AspNetCore;

/// <summary>
/// The recent status changes of the peer manager, numbered, for <c>GET /peers/events?after=n</c>: a poller asks
/// for what came after the last number it saw. Keeps a bounded ring; a poller that falls behind it is told so.
/// </summary>
internal sealed class PeerEventLog : IDisposable
{
    private readonly Lock _gate = new();
    private readonly PeerManager _manager;
    private readonly (long Sequence, PeerStatusChange Change)[] _ring;
    private long _last;

    public PeerEventLog(PeerManager manager, Microsoft.Extensions.Options.IOptions<PeerManagementConsoleOptions> options)
    {
        _manager = manager;
        _ring = new (long, PeerStatusChange)[Math.Clamp(options.Value.RecentEventCount, 1, 100_000)];
        manager.StatusChanged += OnChanged;
    }

    /// <summary>The changes numbered above <paramref name="after"/> (oldest first), the last number, and whether some were lost.</summary>
    public (IReadOnlyList<(long Sequence, PeerStatusChange Change)> Events, long Last, bool Truncated) After(long after)
    {
        lock (_gate)
        {
            var first = Math.Max(1, _last - _ring.Length + 1);
            var from = Math.Max(after + 1, first);
            var events = new List<(long, PeerStatusChange)>((int)Math.Max(0, _last - from + 1));
            for (var sequence = from; sequence <= _last; sequence++)
            {
                events.Add(_ring[sequence % _ring.Length]);
            }

            return (events, _last, after + 1 < first && after < _last);
        }
    }

    public void Dispose() => _manager.StatusChanged -= OnChanged;

    private void OnChanged(object? sender, PeerStatusChange change)
    {
        lock (_gate)
        {
            _last++;
            _ring[_last % _ring.Length] = (_last, change);
        }
    }
}
