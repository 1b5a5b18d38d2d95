using StackExchange.Redis;

namespace PeerManagement.Redis;

/// <summary>
/// The <c>server.add_peer</c> pause shared by the fleet: one Redis key per network, set on every announcement
/// (so a refused one starts the pause again, as the local rule does) and expiring after the pause; the announcement
/// is allowed when the key was absent. While Redis is down, the instance remembers announcements itself.
/// </summary>
internal sealed class RedisAddPeerGuard(RedisFleetConnection connection, TimeProvider timeProvider) : IAddPeerGuard
{
    private const int LocalCapacity = 10_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _local = new(StringComparer.Ordinal);

    public async ValueTask<bool> TryRecordAsync(string key, TimeSpan pause, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            var previous = await connection.Database
                .StringSetAndGetAsync(connection.Key("addpeer:" + key), 1, pause, when: When.Always)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            connection.ReportSuccess();
            return previous.IsNull;
        }
        catch (Exception ex) when (connection.ReportFailure(ex, "add_peer"))
        {
            return RecordLocally(key, pause);
        }
    }

    private bool RecordLocally(string key, TimeSpan pause)
    {
        var now = timeProvider.GetUtcNow();
        lock (_gate)
        {
            if (_local.Count >= LocalCapacity)
            {
                // Bounded: drop what has lapsed, and everything if a flood of networks still fills it.
                foreach (var stale in _local.Where(e => e.Value <= now).Select(e => e.Key).ToList())
                {
                    _local.Remove(stale);
                }

                if (_local.Count >= LocalCapacity)
                {
                    _local.Clear();
                }
            }

            var paused = _local.TryGetValue(key, out var until) && now < until;
            _local[key] = now + pause;
            return !paused;
        }
    }
}
