namespace PeerManagement.Simulation;

/// <summary>
/// The one clock of a simulated network. Time moves only by <see cref="Advance"/>, which fires the due timers in the
/// order of their due time (then of their creation), each with the clock set to its due time. Timers wait in a
/// priority queue, so a network of thousands of nodes, each with its own timers, costs a logarithm per timer rather
/// than a scan of every timer per tick. A timer due now runs at once, queued on the thread pool as a real timer's
/// callback would be.
/// </summary>
internal sealed class SimulatedClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly PriorityQueue<Timer, (long Due, long Sequence)> _due = new();
    private long _now = start.UtcTicks;
    private long _sequence;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow() => new(Volatile.Read(ref _now), TimeSpan.Zero);

    public override long GetTimestamp() => Volatile.Read(ref _now);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock by <paramref name="delta"/>, firing every timer due on the way.</summary>
    public void Advance(TimeSpan delta)
    {
        long end;
        lock (_gate)
        {
            end = _now + delta.Ticks;
        }

        while (true)
        {
            Timer timer;
            lock (_gate)
            {
                if (!_due.TryPeek(out timer!, out var key) || key.Due > end)
                {
                    _now = end;
                    return;
                }

                _due.Dequeue();
                if (timer.Key != key)
                {
                    continue; // changed or disposed since it was queued
                }

                _now = Math.Max(_now, key.Due);
                timer.Key = null;
                if (timer.Period > 0)
                {
                    Arm(timer, _now + timer.Period);
                }
            }

            timer.Fire();
        }
    }

    // Under _gate.
    private void Arm(Timer timer, long due)
    {
        var key = (due, _sequence++);
        timer.Key = key;
        _due.Enqueue(timer, key);
    }

    private sealed class Timer(SimulatedClock clock, TimerCallback callback, object? state) : ITimer
    {
        public (long Due, long Sequence)? Key { get; set; }

        public long Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var now = false;
            lock (clock._gate)
            {
                Key = null;
                Period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                if (dueTime <= TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
                {
                    now = true;
                    if (Period > 0)
                    {
                        clock.Arm(this, clock._now + Period);
                    }
                }
                else if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    clock.Arm(this, clock._now + dueTime.Ticks);
                }
            }

            if (now)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static t => t.Fire(), this, preferLocal: false);
            }

            return true;
        }

        private bool _disposed;

        public void Fire()
        {
            if (!Volatile.Read(ref _disposed))
            {
                callback(state);
            }
        }

        public void Dispose()
        {
            lock (clock._gate)
            {
                Key = null;
                Period = 0;
                _disposed = true;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
