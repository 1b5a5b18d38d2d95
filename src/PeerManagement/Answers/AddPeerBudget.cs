namespace PeerManagement;

/// <summary>
/// How many peers <c>server.add_peer</c> may still add in the current interval, whoever calls: the pause per
/// network stops one operator, this stops a flood from many networks. A fixed window: at most
/// <c>budget</c> acceptances in any one interval, counted from the first acceptance after the previous one ended.
/// </summary>
internal sealed class AddPeerBudget(int budget, TimeSpan interval)
{
    private readonly Lock _gate = new();
    private DateTimeOffset _windowEnd = DateTimeOffset.MinValue;
    private int _used;

    /// <summary>Takes one acceptance from the budget; <see langword="false"/> when this interval's budget is spent.</summary>
    public bool TryTake(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (now >= _windowEnd)
            {
                _windowEnd = now + interval;
                _used = 0;
            }

            if (_used >= budget)
            {
                return false;
            }

            _used++;
            return true;
        }
    }

    /// <summary>Whether an acceptance is still possible now (checked before costly work such as resolving names).</summary>
    public bool HasRoom(DateTimeOffset now)
    {
        lock (_gate)
        {
            return now >= _windowEnd || _used < budget;
        }
    }
}
