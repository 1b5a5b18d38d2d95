using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.TestUtilities.Time;

/// <summary>
/// A fake clock that counts the timers created on it and lets a test wait until code running on other threads has
/// armed one, so the test advances the clock exactly when the timer exists instead of sleeping on the wall clock.
/// </summary>
public sealed class WatchedTimeProvider : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private int _timersCreated;

    /// <summary>A clock starting at <paramref name="start"/>.</summary>
    public WatchedTimeProvider(DateTimeOffset start)
        : base(start)
    {
    }

    /// <summary>A clock starting at the fake provider's default time.</summary>
    public WatchedTimeProvider()
    {
    }

    /// <summary>How many timers were created so far.</summary>
    public int TimersCreated => Volatile.Read(ref _timersCreated);

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        lock (_gate)
        {
            var created = Interlocked.Increment(ref _timersCreated);
            _waiters.RemoveAll(w =>
            {
                if (created < w.Count)
                {
                    return false;
                }

                w.Signal.TrySetResult();
                return true;
            });
        }

        return timer;
    }

    /// <summary>Completes once at least <paramref name="count"/> timers have been created in all.</summary>
    public Task WaitForTimersAsync(int count, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_timersCreated >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
            return signal.Task.WaitAsync(cancellationToken);
        }
    }
}
