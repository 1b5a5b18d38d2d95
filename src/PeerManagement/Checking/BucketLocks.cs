namespace PeerManagement;

/// <summary>
/// One async lock per internal bucket, created on demand and dropped when nobody holds or waits for it, so
/// checks of peers in one bucket run one after the other and the bucket rule cannot race.
/// </summary>
internal sealed class BucketLocks
{
    private readonly Dictionary<string, Holder> _locks = new(StringComparer.Ordinal);

    /// <summary>How many buckets have a live lock (tests).</summary>
    public int Count
    {
        get
        {
            lock (_locks)
            {
                return _locks.Count;
            }
        }
    }

    public async Task<Releaser> AcquireAsync(string bucket, CancellationToken cancellationToken)
    {
        Holder holder;
        lock (_locks)
        {
            if (!_locks.TryGetValue(bucket, out holder!))
            {
                holder = new Holder();
                _locks.Add(bucket, holder);
            }

            holder.Users++;
        }

        try
        {
            await holder.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(bucket, holder);
            throw;
        }

        return new Releaser(this, bucket, holder);
    }

    private void Leave(string bucket, Holder holder)
    {
        lock (_locks)
        {
            if (--holder.Users == 0)
            {
                _locks.Remove(bucket);
                holder.Semaphore.Dispose();
            }
        }
    }

    internal readonly struct Releaser(BucketLocks owner, string bucket, Holder holder) : IDisposable
    {
        public void Dispose()
        {
            if (holder is null)
            {
                return; // the default value: no bucket was locked
            }

            holder.Semaphore.Release();
            owner.Leave(bucket, holder);
        }
    }

    internal sealed class Holder
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int Users { get; set; }
    }
}
