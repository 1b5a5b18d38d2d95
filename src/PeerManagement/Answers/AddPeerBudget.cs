namespace PeerManagement;

/// <summary>
/// How many peers <c>server.add_peer</c> may still add in the current interval, whoever calls: the pause per
/// network stops one operator, this stops a flood from many networks. A fixed window: at most
/// <c>budget</c> acceptances in any one interval, counted from the first acceptance after the previous one ended,
/// and at most <c>perNetwork</c> of them from one external network (IPv4 /16, IPv6 /56), so that a flood from a few
/// networks cannot spend the whole budget and starve the announcements of honest nodes.
/// </summary>
internal sealed class AddPeerBudget(int budget, TimeSpan interval, int perNetwork = int.MaxValue)
{
    private readonly Lock _gate = new();

    // At most `budget` networks: each took at least one acceptance of this window.
    private readonly Dictionary<NetworkPrefix, int> _byNetwork = [];
    private DateTimeOffset _windowEnd = DateTimeOffset.MinValue;
    private int _used;

    /// <summary>Takes one acceptance from the budget; <see langword="false"/> when this interval's budget, or the network's share of it, is spent.</summary>
    public bool TryTake(DateTimeOffset now, NetworkPrefix network)
    {
        lock (_gate)
        {
            if (!HasRoomLocked(now, network))
            {
                return false;
            }

            _used++;
            _byNetwork[network] = _byNetwork.GetValueOrDefault(network) + 1;
            return true;
        }
    }

    /// <summary>Whether an acceptance is still possible now (checked before costly work such as resolving names).</summary>
    public bool HasRoom(DateTimeOffset now, NetworkPrefix network)
    {
        lock (_gate)
        {
            return HasRoomLocked(now, network);
        }
    }

    private bool HasRoomLocked(DateTimeOffset now, NetworkPrefix network)
    {
        if (now >= _windowEnd)
        {
            _windowEnd = now + interval;
            _used = 0;
            _byNetwork.Clear();
        }

        return _used < budget && _byNetwork.GetValueOrDefault(network) < perNetwork;
    }
}
