using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// The local table's side of an <see cref="IPeerRecordExchange"/>: sends every local change out with its version,
/// and applies the fleet's newer records (never an older or equal one), rescheduling the peer by the record's own
/// history so a check made elsewhere is not repeated here. It remembers which records came from the fleet, for
/// <see cref="FleetCheckGate"/>.
/// </summary>
internal sealed class FleetRecordSink : IPeerRecordSink
{
    // Set while a fleet record is applied, so the table's change event does not send it back out.
    [ThreadStatic]
    private static bool t_applying;

    private readonly PeerTable _table;
    private readonly IPeerRecordExchange _exchange;
    private readonly PeerAdmission _admission;
    private readonly PeerCheckScheduler _scheduler;
    private readonly CheckSchedule _schedule;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _fromFleet = new(StringComparer.Ordinal);

    public FleetRecordSink(PeerTable table, IPeerRecordExchange exchange, PeerAdmission admission, PeerCheckScheduler scheduler, CheckSchedule schedule, TimeProvider timeProvider, ILogger logger)
    {
        _table = table;
        _exchange = exchange;
        _admission = admission;
        _scheduler = scheduler;
        _schedule = schedule;
        _timeProvider = timeProvider;
        _logger = logger;
        table.Changed += OnTableChanged;
    }

    public Task RunAsync(CancellationToken cancellationToken) => _exchange.RunAsync(this, cancellationToken);

    /// <summary>Whether this record is the one the fleet last sent (checked by another instance).</summary>
    public bool IsFromFleet(PeerRecord record)
    {
        lock (_gate)
        {
            return _fromFleet.TryGetValue(record.Host.Value, out var version) && version == PeerRecordUpdate.VersionOf(record);
        }
    }

    public bool Apply(PeerRecordUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var host = update.Host;
        var local = _table.Find(host)?.Peer;
        if (local is not null && PeerRecordUpdate.VersionOf(local) >= update.Version)
        {
            return false;
        }

        t_applying = true;
        try
        {
            return update.Record is null ? ApplyForget(host, local) : ApplyRecord(host, update.Record, local, update.Version);
        }
        finally
        {
            t_applying = false;
        }
    }

    public IReadOnlyList<PeerRecordUpdate> Snapshot()
        => [.. _table.GetPeers().Select(static p => new PeerRecordUpdate(p.Peer.Host, p.Peer, PeerRecordUpdate.VersionOf(p.Peer)))];

    private bool ApplyForget(PeerHost host, PeerRecord? local)
    {
        // The operator's peers are never forgotten, whichever instance gave up on them.
        if (local is null || _admission.IsOperatorPeer(host) || !_table.Forget(host, "forgotten by another instance of the fleet"))
        {
            return false;
        }

        _scheduler.Unschedule(host);
        lock (_gate)
        {
            _fromFleet.Remove(host.Value);
        }

        return true;
    }

    private bool ApplyRecord(PeerHost host, PeerRecord record, PeerRecord? local, long version)
    {
        if (record.Host != host)
        {
            return false;
        }

        if (local is null)
        {
            // A peer new here takes the same path of admission rules as any other (blacklist, public, bound).
            if (_admission.RejectReason(host) is not null || _admission.IsFull || !_table.TryAdd(record))
            {
                return false;
            }
        }
        else if (_table.Update(host, _ => record) is null)
        {
            return false;
        }

        lock (_gate)
        {
            _fromFleet[host.Value] = version;
        }

        var now = _timeProvider.GetUtcNow();
        var due = _schedule.NextDue(record, _admission.IsOperatorPeer(host));
        _scheduler.Reschedule(host, due < now ? now : due);
        return true;
    }

    private void OnTableChanged(object? sender, PeerStatusChange change)
    {
        if (t_applying)
        {
            return;
        }

        try
        {
            if (change.NewStatus is null)
            {
                long version;
                lock (_gate)
                {
                    version = _fromFleet.Remove(change.Host.Value, out var last) ? Math.Max(last + 1, change.Time.UtcTicks) : change.Time.UtcTicks;
                }

                _exchange.Publish(new PeerRecordUpdate(change.Host, null, version));
            }
            else if (_table.Find(change.Host) is { } snapshot)
            {
                _exchange.Publish(new PeerRecordUpdate(change.Host, snapshot.Peer, PeerRecordUpdate.VersionOf(snapshot.Peer)));
            }
        }
        catch (Exception ex)
        {
            // The exchange must not throw; if it does, the table's change stands and the next change is sent.
            Log.StatusHandlerFailed(_logger, ex);
        }
    }
}
