using System.Runtime.CompilerServices;

namespace PeerManagement.Simulation;

/// <summary>
/// Waits until nothing else is queued on the thread pool. The simulation runs on a thread pool of exactly one
/// thread (Program.cs) with a fake clock and an in-memory network, so when nothing is queued every node is
/// waiting for the clock: the moment to move it. With one thread the order of the work is fixed too, which is
/// what makes a run repeatable.
/// </summary>
internal static class Quiescence
{
    public static async Task WaitAsync()
    {
        do
        {
            await new BehindEverything();
        }
        while (ThreadPool.PendingWorkItemCount > 0);
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
