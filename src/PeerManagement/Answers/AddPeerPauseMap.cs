namespace PeerManagement;

/// <summary>
/// When each bucket last announced a peer through <c>server.add_peer</c>, bounded: entries older than the
/// pause are dropped, and when the map is still full the oldest entry goes (a flood of new buckets cannot grow
/// memory).
/// </summary>
internal sealed class AddPeerPauseMap(TimeSpan pause, int capacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _last = new(StringComparer.Ordinal);
    private readonly Queue<(string Bucket, DateTimeOffset Time)> _order = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _last.Count;
            }
        }
    }

    /// <summary>Records an announcement from <paramref name="bucket"/> now; <see langword="false"/> when it is within the pause of the previous one.</summary>
    public bool TryRecord(string bucket, DateTimeOffset now)
    {
        lock (_gate)
        {
            Trim(now);
            var paused = _last.TryGetValue(bucket, out var last) && now < last + pause;
            _last[bucket] = now;
            _order.Enqueue((bucket, now));
            while (_last.Count > capacity && _order.TryDequeue(out var oldest))
            {
                if (_last.TryGetValue(oldest.Bucket, out var time) && time == oldest.Time)
                {
                    _last.Remove(oldest.Bucket);
                }
            }

            // The queue holds at most one live item per bucket plus superseded ones; keep it from growing.
            if (_order.Count > 2 * capacity)
            {
                var live = _order.Where(i => _last.TryGetValue(i.Bucket, out var t) && t == i.Time).ToArray();
                _order.Clear();
                foreach (var item in live)
                {
                    _order.Enqueue(item);
                }
            }

            return !paused;
        }
    }

    private void Trim(DateTimeOffset now)
    {
        while (_order.TryPeek(out var oldest) && now >= oldest.Time + pause)
        {
            _order.Dequeue();
            if (_last.TryGetValue(oldest.Bucket, out var time) && time == oldest.Time)
            {
                _last.Remove(oldest.Bucket);
            }
        }
    }
}
