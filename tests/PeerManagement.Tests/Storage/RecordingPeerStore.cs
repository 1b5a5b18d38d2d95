namespace PeerManagement.Tests.Storage;

/// <summary>A store that records every save, can fail saves, and can hold a save until released.</summary>
internal sealed class RecordingPeerStore : IPeerStore
{
    private readonly Lock _gate = new();
    private readonly List<IReadOnlyList<PeerRecord>> _saves = [];
    private int _running;

    /// <summary>How many of the next saves throw an <see cref="IOException"/>.</summary>
    public int FailNext { get; set; }

    /// <summary>When set, a save waits for this task before completing.</summary>
    public Task? Hold { get; set; }

    public int MaxConcurrentSaves { get; private set; }

    public int Attempts { get; private set; }

    public IReadOnlyList<IReadOnlyList<PeerRecord>> Saves
    {
        get
        {
            lock (_gate)
            {
                return _saves.ToArray();
            }
        }
    }

    public ValueTask<IReadOnlyList<PeerRecord>> LoadAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_saves.Count == 0 ? [] : _saves[^1]);
        }
    }

    public async ValueTask SaveAsync(IReadOnlyList<PeerRecord> peers, CancellationToken cancellationToken)
    {
        Task? hold;
        lock (_gate)
        {
            Attempts++;
            MaxConcurrentSaves = Math.Max(MaxConcurrentSaves, ++_running);
            hold = Hold;
        }

        try
        {
            if (hold is not null)
            {
                await hold.WaitAsync(cancellationToken);
            }

            lock (_gate)
            {
                if (FailNext > 0)
                {
                    FailNext--;
                    throw new IOException("No space left on device");
                }

                _saves.Add(peers.ToArray());
            }
        }
        finally
        {
            lock (_gate)
            {
                _running--;
            }
        }
    }
}
