using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PeerManagement;

/// <summary>
/// The library's instruments, on the meter <see cref="PeerManagementDiagnostics.MeterName"/>: peers by status,
/// checks by outcome, check durations and rate-limiter decisions. Created from the host's
/// <see cref="IMeterFactory"/> when one is registered.
/// </summary>
internal sealed class PeerManagementMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _checks;
    private readonly Histogram<double> _checkDuration;
    private readonly Counter<long> _rateLimiterDecisions;

    public PeerManagementMetrics(PeerTable table, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (meterFactory is null)
        {
            _meter = new Meter(PeerManagementDiagnostics.MeterName);
            _ownsMeter = true;
        }
        else
        {
            _meter = meterFactory.Create(PeerManagementDiagnostics.MeterName);
        }

        _meter.CreateObservableGauge(
            "peermanagement.peers",
            () => ObservePeers(table),
            unit: "{peer}",
            description: "Peers in the table, by status.");
        _checks = _meter.CreateCounter<long>("peermanagement.checks", unit: "{check}", description: "Peer checks, by outcome.");
        _checkDuration = _meter.CreateHistogram<double>("peermanagement.check.duration", unit: "s", description: "How long one peer check took.");
        _rateLimiterDecisions = _meter.CreateCounter<long>("peermanagement.rate_limiter.decisions", unit: "{request}", description: "Rate-limiter decisions: granted, delayed or rejected.");
    }

    public void RecordCheck(PeerCheckOutcome outcome, TimeSpan duration)
    {
        if (!_checks.Enabled && !_checkDuration.Enabled)
        {
            return;
        }

        var tag = new KeyValuePair<string, object?>("outcome", OutcomeName(outcome));
        _checks.Add(1, tag);
        _checkDuration.Record(duration.TotalSeconds, tag);
    }

    public void RecordRateLimiterDecision(string decision)
    {
        if (_rateLimiterDecisions.Enabled)
        {
            _rateLimiterDecisions.Add(1, new KeyValuePair<string, object?>("decision", decision));
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static string OutcomeName(PeerCheckOutcome outcome) => outcome switch
    {
        PeerCheckOutcome.Good => "good",
        PeerCheckOutcome.Bad => "bad",
        _ => "failed",
    };

    private static IEnumerable<Measurement<int>> ObservePeers(PeerTable table)
    {
        var counts = table.GetInfo();
        return
        [
            new(counts.Good, new KeyValuePair<string, object?>("status", "good")),
            new(counts.Stale, new KeyValuePair<string, object?>("status", "stale")),
            new(counts.Never, new KeyValuePair<string, object?>("status", "never")),
            new(counts.Bad, new KeyValuePair<string, object?>("status", "bad")),
        ];
    }
}
