namespace PeerManagement;

/// <summary>
/// Whether this instance of a fleet checks a due peer now: not when another instance checked it since (its record
/// came from the fleet and is not due yet), nor when another instance holds its check lease; then it says when to
/// come back.
/// </summary>
internal sealed class FleetCheckGate(IPeerCheckLease? lease, FleetRecordSink? sink, CheckSchedule schedule, TimeProvider timeProvider)
{
    /// <summary>Returns <see langword="null"/> to check now, or the time to look again.</summary>
    public async ValueTask<DateTimeOffset?> DeferAsync(PeerRecord record, bool operatorPeer, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var due = schedule.NextDue(record, operatorPeer);
        if (sink?.IsFromFleet(record) == true && due > now)
        {
            return due;
        }

        if (lease is null || await lease.TryAcquireAsync(record.Host, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        // Another instance is checking it: its record will move the schedule; until then, look again later.
        var later = schedule.AfterSkip(now);
        return due > later ? due : later;
    }
}
