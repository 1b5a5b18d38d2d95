using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// Saves the peer table to the <see cref="IPeerStore"/> in the background: a change arms a timer of
/// <see cref="PeerStoreOptions.SaveInterval"/>, and when it fires the whole table is saved once, however many
/// changes came in between; the last save happens at stop. Saves never overlap. A failed save is logged and
/// retried after another interval; the table in memory is not touched by saving.
/// </summary>
internal sealed class PeerStoreWriter : IHostedService, IAsyncDisposable, IDisposable
{
    private readonly Lock _gate = new();
    private readonly PeerTable _table;
    private readonly IPeerStore _store;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _disposing = new();

    private State _state;
    private bool _timerArmed;
    private bool _saving;
    private Task _currentSave = Task.CompletedTask;
    private long _savedVersion;
    private long _saveCount;

    public PeerStoreWriter(PeerTable table, IPeerStore store, IOptions<PeerStoreOptions> options, TimeProvider timeProvider, ILogger<PeerStoreWriter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _table = table;
        _store = store;
        _interval = options.Value.SaveInterval;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_interval, TimeSpan.Zero, "options.SaveInterval");
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _timer = timeProvider.CreateTimer(static s => ((PeerStoreWriter)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private enum State
    {
        Created,
        Running,
        Stopped,
    }

    /// <summary>How many saves completed successfully (for tests and diagnostics).</summary>
    internal long SaveCount => Interlocked.Read(ref _saveCount);

    /// <summary>The save started last by the timer (completed when none runs); it never faults.</summary>
    internal Task CurrentSave
    {
        get
        {
            lock (_gate)
            {
                return _currentSave;
            }
        }
    }

    /// <summary>Starts watching the table. Only changes from now on are saved.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_state != State.Created)
            {
                return Task.CompletedTask;
            }

            _state = State.Running;
            _savedVersion = _table.Version;
        }

        _table.Changed += OnChanged;
        return Task.CompletedTask;
    }

    /// <summary>Stops watching, waits for a save in progress, then saves the table once more if it changed.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task running;
        lock (_gate)
        {
            if (_state != State.Running)
            {
                return;
            }

            _state = State.Stopped;
            DisarmTimer();
            running = _currentSave;
        }

        _table.Changed -= OnChanged;
        try
        {
            await running.WaitAsync(cancellationToken).ConfigureAwait(false);
            var version = _table.Version;
            if (version != Volatile.Read(ref _savedVersion))
            {
                await SaveAsync(version, _table.GetRecords(), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.StoreFinalSaveCancelled(_logger);
        }
#pragma warning disable CA1031 // A failed last save is logged; stopping the host goes on.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.StoreFinalSaveFailed(_logger, e);
        }
    }

    /// <summary>
    /// Stops watching, cancels a save in progress and waits for it to end, without a last save (that is
    /// <see cref="StopAsync"/>'s job).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        var running = BeginDispose();
        await running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _timer.Dispose();
    }

    /// <summary>Stops watching and cancels a save in progress, without waiting for it (containers disposed synchronously).</summary>
    public void Dispose()
    {
        BeginDispose();
        _timer.Dispose();
    }

    private Task BeginDispose()
    {
        Task running;
        lock (_gate)
        {
            if (_state == State.Running)
            {
                _table.Changed -= OnChanged;
            }

            _state = State.Stopped;
            DisarmTimer();
            running = _currentSave;
        }

        // Never disposed: a save still running may read its token.
        _disposing.Cancel();
        return running;
    }

    private void OnChanged(object? sender, PeerStatusChange change)
    {
        lock (_gate)
        {
            // While a save runs, the change is picked up when it ends (the version differs then).
            if (_state == State.Running && !_timerArmed && !_saving)
            {
                ArmTimer();
            }
        }
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            _timerArmed = false;
            if (_state != State.Running || _saving)
            {
                return;
            }

            _saving = true;

            // The snapshot is taken now (a copy of references, cheap); writing it happens off the timer's thread, so
            // serialising a big table holds up neither the clock nor the table's writers.
            var version = _table.Version;
            var records = _table.GetRecords();
            _currentSave = Task.Run(() => SaveInBackgroundAsync(version, records));
        }
    }

    private async Task SaveInBackgroundAsync(long version, IReadOnlyList<PeerRecord> records)
    {
        try
        {
            await SaveAsync(version, records, _disposing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
        {
            // Disposed while saving: the previous copy stays.
        }
#pragma warning disable CA1031 // Whatever the store throws, the table stays as it is and the save is retried.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.StoreSaveFailed(_logger, e, _interval);
        }
        finally
        {
            lock (_gate)
            {
                _saving = false;
                if (_state == State.Running && _table.Version != Volatile.Read(ref _savedVersion))
                {
                    ArmTimer();
                }
            }
        }
    }

    private async Task SaveAsync(long version, IReadOnlyList<PeerRecord> records, CancellationToken cancellationToken)
    {
        // The caller reads the version before the records, so the records are at least that recent.
        await _store.SaveAsync(records, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _savedVersion, version);
        Interlocked.Increment(ref _saveCount);
        Log.StoreTableSaved(_logger, records.Count, version);
    }

    private void ArmTimer()
    {
        _timerArmed = true;
        _timer.Change(_interval, Timeout.InfiniteTimeSpan);
    }

    private void DisarmTimer()
    {
        _timerArmed = false;
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }
}
