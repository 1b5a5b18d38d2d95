using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace PeerManagement;

/// <summary>
/// Decides when each peer is checked: one priority queue of next-check times, one timer for the earliest of
/// them, and a fixed pool of workers. An idle entry costs a queue slot and a dictionary slot, never a timer or
/// a task of its own. An entry is never checked twice at once; a wake-up that arrives during its check runs it
/// again right after.
/// </summary>
internal sealed class PeerCheckScheduler : IAsyncDisposable
{
    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromDays(30);

    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly Func<PeerHost, CancellationToken, Task<DateTimeOffset?>> _check;
    private readonly int _workerCount;

    // The next-check time of every scheduled entry; the queue may hold stale items (lazy deletion).
    private readonly Dictionary<PeerHost, DateTimeOffset> _due = [];
    private readonly PriorityQueue<PeerHost, DateTimeOffset> _queue = new();

    // Entries being checked now, and whether they were woken meanwhile.
    private readonly Dictionary<PeerHost, bool> _running = [];
    private readonly Channel<PeerHost> _ready = Channel.CreateUnbounded<PeerHost>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });

    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITimer? _timer;
    private CancellationTokenSource? _stopping;
    private Task? _loop;
    private Task[] _workers = [];
    private DateTimeOffset _timerDue = DateTimeOffset.MaxValue;
    private int _inFlight;

    /// <summary>Creates a scheduler.</summary>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="workerCount">How many checks may run at once.</param>
    /// <param name="check">Runs one check; returns the next check time, or <see langword="null"/> when the entry is gone.</param>
    public PeerCheckScheduler(TimeProvider timeProvider, int workerCount, Func<PeerHost, CancellationToken, Task<DateTimeOffset?>> check)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(check);
        ArgumentOutOfRangeException.ThrowIfLessThan(workerCount, 1);
        _timeProvider = timeProvider;
        _workerCount = workerCount;
        _check = check;
    }

    /// <summary>Raised after every check with the host (tests and diagnostics).</summary>
    public event Action<PeerHost>? CheckCompleted;

    /// <summary>How many entries are scheduled or running.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _due.Count + _running.Count;
            }
        }
    }

    /// <summary>How many checks run now (taken by a worker).</summary>
    public int RunningCount => Volatile.Read(ref _inFlight);

    /// <summary>Starts the dispatch loop and the workers.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_stopping is not null)
            {
                return;
            }

            _stopping = new CancellationTokenSource();
            _timer = _timeProvider.CreateTimer(static s => ((PeerCheckScheduler)s!).Signal(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        var token = _stopping.Token;
        _workers = new Task[_workerCount];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = Task.Run(() => WorkAsync(token), CancellationToken.None);
        }

        _loop = Task.Run(() => DispatchAsync(token), CancellationToken.None);
    }

    /// <summary>Makes room for <paramref name="count"/> more entries at once, so a long list grows the schedule once.</summary>
    public void EnsureRoomFor(int count)
    {
        lock (_gate)
        {
            _due.EnsureCapacity(_due.Count + count);
            _queue.EnsureCapacity(_queue.Count + count);
        }
    }

    /// <summary>Schedules an entry at <paramref name="due"/>, or earlier if it is already due earlier.</summary>
    public void Schedule(PeerHost host, DateTimeOffset due) => Set(host, due, onlyEarlier: true);

    /// <summary>Schedules an entry at <paramref name="due"/>, replacing its current time.</summary>
    public void Reschedule(PeerHost host, DateTimeOffset due) => Set(host, due, onlyEarlier: false);

    /// <summary>Checks an entry as soon as a worker is free (after its current check, if one runs).</summary>
    public void Wake(PeerHost host)
    {
        lock (_gate)
        {
            if (_running.ContainsKey(host))
            {
                _running[host] = true;
                return;
            }
        }

        Set(host, _timeProvider.GetUtcNow(), onlyEarlier: true);
    }

    /// <summary>Removes an entry from the schedule (a check that runs finishes, but is not rescheduled by this).</summary>
    public void Unschedule(PeerHost host)
    {
        lock (_gate)
        {
            _due.Remove(host);
        }
    }

    /// <summary>The next-check time of an entry, or <see langword="null"/> when it is not scheduled (or running).</summary>
    public DateTimeOffset? GetDue(PeerHost host)
    {
        lock (_gate)
        {
            return _due.TryGetValue(host, out var due) ? due : null;
        }
    }

    /// <summary>Whether an entry is being checked now.</summary>
    public bool IsRunning(PeerHost host)
    {
        lock (_gate)
        {
            return _running.ContainsKey(host);
        }
    }

    /// <summary>Stops: cancels running checks and waits for the loop and the workers to end.</summary>
    public async ValueTask DisposeAsync()
    {
        CancellationTokenSource? stopping;
        lock (_gate)
        {
            stopping = _stopping;
            if (stopping is null || stopping.IsCancellationRequested)
            {
                return;
            }

            stopping.Cancel();
        }

        _ready.Writer.TryComplete();
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        Task[] tasks = _loop is null ? _workers : [_loop, .. _workers];
        await Task.WhenAll(tasks).ConfigureAwait(false);
        stopping.Dispose();
    }

    private void Set(PeerHost host, DateTimeOffset due, bool onlyEarlier)
    {
        lock (_gate)
        {
            if (_running.Count > 0 && _running.ContainsKey(host))
            {
                // Its completion reschedules it; only an immediate wake-up is remembered.
                if (due <= _timeProvider.GetUtcNow())
                {
                    _running[host] = true;
                }

                return;
            }

            // One lookup for the check and the write: a long peer list schedules thousands at once.
            ref var current = ref CollectionsMarshal.GetValueRefOrAddDefault(_due, host, out var exists);
            if (exists && (current == due || (onlyEarlier && current <= due)))
            {
                return;
            }

            current = due;
            _queue.Enqueue(host, due);
            CompactIfNeeded();
            if (due < _timerDue)
            {
                _signal.TrySetResult();
            }
        }
    }

    private void Signal()
    {
        lock (_gate)
        {
            _timerDue = DateTimeOffset.MaxValue;
            _signal.TrySetResult();
        }
    }

    private async Task DispatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Task wait;
                lock (_gate)
                {
                    if (_signal.Task.IsCompleted)
                    {
                        _signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }

                    wait = _signal.Task;
                    var now = _timeProvider.GetUtcNow();
                    while (_queue.TryPeek(out var host, out var due) && due <= now)
                    {
                        _queue.Dequeue();
                        if (!_due.TryGetValue(host, out var current) || current != due)
                        {
                            continue; // a stale item: the entry was rescheduled or removed
                        }

                        _due.Remove(host);
                        _running[host] = false;
                        _ready.Writer.TryWrite(host);
                    }

                    ArmTimer(now);
                }

                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void ArmTimer(DateTimeOffset now)
    {
        while (_queue.TryPeek(out var host, out var due))
        {
            if (_due.TryGetValue(host, out var current) && current == due)
            {
                if (due != _timerDue)
                {
                    // Timers cannot wait longer than about 49 days; a far time is reached in hops.
                    var delay = due - now;
                    delay = delay < TimeSpan.Zero ? TimeSpan.Zero : delay > MaxTimerDelay ? MaxTimerDelay : delay;
                    _timerDue = delay == MaxTimerDelay ? now + MaxTimerDelay : due;
                    _timer!.Change(delay, Timeout.InfiniteTimeSpan);
                }

                return;
            }

            _queue.Dequeue();
        }

        _timerDue = DateTimeOffset.MaxValue;
        _timer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _ready.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_ready.Reader.TryRead(out var host))
                {
                    DateTimeOffset? next = null;
                    Interlocked.Increment(ref _inFlight);
                    try
                    {
                        next = await _check(host, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _inFlight);
                        Complete(host, next, cancellationToken.IsCancellationRequested);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void Complete(PeerHost host, DateTimeOffset? next, bool stopping)
    {
        lock (_gate)
        {
            _running.Remove(host, out var woken);
            if (!stopping && next is { } due)
            {
                if (woken)
                {
                    due = _timeProvider.GetUtcNow();
                }

                _due[host] = due;
                _queue.Enqueue(host, due);
                CompactIfNeeded();
                if (due < _timerDue)
                {
                    _signal.TrySetResult();
                }
            }
        }

        CheckCompleted?.Invoke(host);
    }

    private void CompactIfNeeded()
    {
        // Stale items pile up when entries are woken repeatedly; rebuild once they outnumber live ones.
        if (_queue.Count > 64 && _queue.Count > 2 * _due.Count)
        {
            _queue.Clear();
            foreach (var (host, due) in _due)
            {
                _queue.Enqueue(host, due);
            }
        }
    }
}
