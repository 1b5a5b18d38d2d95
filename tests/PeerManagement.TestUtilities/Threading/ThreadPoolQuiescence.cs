using System.Runtime.CompilerServices;

namespace PeerManagement.TestUtilities.Threading;

/// <summary>
/// Waits until nothing is queued on the thread pool: the moment when work that a fake clock or a call set going has
/// run as far as it can without the clock moving. No wall clock is involved — each round queues itself behind every
/// work item queued so far. On a pool of one thread (the network simulator) one quiet round is exact; on a shared
/// pool a few quiet rounds in a row are asked for, and the rounds are bounded so a busy pool cannot hold a test.
/// </summary>
public static class ThreadPoolQuiescence
{
    /// <summary>Returns once <paramref name="quietRounds"/> rounds in a row found nothing queued, or after <paramref name="maxRounds"/> rounds.</summary>
    /// <param name="quietRounds">Rounds in a row with nothing queued.</param>
    /// <param name="maxRounds">The bound on rounds; <see cref="int.MaxValue"/> for none.</param>
    /// <returns>A task that completes when the pool is quiet.</returns>
    public static async Task SettleAsync(int quietRounds = 3, int maxRounds = 10_000)
    {
        var quiet = 0;
        for (var round = 0; round < maxRounds; round++)
        {
            await new BehindEverything();
            quiet = ThreadPool.PendingWorkItemCount == 0 ? quiet + 1 : 0;
            if (quiet >= quietRounds)
            {
                return;
            }
        }
    }

    // Queues the continuation on the global queue, behind every work item queued so far; Task.Yield from a pool
    // thread would take the thread's own queue, which runs last-in first-out.
    private readonly struct BehindEverything : ICriticalNotifyCompletion
    {
        public bool IsCompleted => false;

        public BehindEverything GetAwaiter() => this;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => ThreadPool.QueueUserWorkItem(static c => c(), continuation, preferLocal: false);

        public void UnsafeOnCompleted(Action continuation) => ThreadPool.UnsafeQueueUserWorkItem(static c => c(), continuation, preferLocal: false);
    }
}
