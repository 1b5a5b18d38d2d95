using System.Diagnostics.Metrics;

namespace PeerManagement.Redis;

/// <summary>
/// The scale-out's own counts, on the meter <see cref="PeerManagementDiagnostics.MeterName"/>:
/// <c>peermanagement.rate_limiter.decisions</c> (as the local limiter's), <c>peermanagement.redis.outages</c> (Redis became unavailable, with a <c>reason</c> tag: unavailable, refused)
/// and <c>peermanagement.redis.local_decisions</c> (a decision taken locally because Redis was unavailable, with an
/// <c>operation</c> tag: lease, limiter, add_peer, publish).
/// </summary>
internal sealed class RedisMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _outages;
    private readonly Counter<long> _local;
    private readonly Counter<long> _decisions;

    public RedisMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(PeerManagementDiagnostics.MeterName) ?? new Meter(PeerManagementDiagnostics.MeterName);
        _outages = _meter.CreateCounter<long>("peermanagement.redis.outages", unit: "{outage}", description: "Times Redis became unavailable or refused writes.");
        // The same instrument as the local limiter's, so dashboards count fleet-wide decisions alike.
        _decisions = _meter.CreateCounter<long>("peermanagement.rate_limiter.decisions", unit: "{request}", description: "Rate-limiter decisions: granted, delayed or rejected.");
        _local = _meter.CreateCounter<long>("peermanagement.redis.local_decisions", unit: "{decision}", description: "Decisions taken locally while Redis was unavailable.");
    }

    public void RecordDecision(string decision)
    {
        if (_decisions.Enabled)
        {
            _decisions.Add(1, new KeyValuePair<string, object?>("decision", decision));
        }
    }

    public void RecordOutage(string reason) => _outages.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RecordLocal(string operation)
    {
        if (_local.Enabled)
        {
            _local.Add(1, new KeyValuePair<string, object?>("operation", operation));
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
