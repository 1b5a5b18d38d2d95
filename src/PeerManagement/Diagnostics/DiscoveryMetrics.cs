using System.Diagnostics.Metrics;

namespace PeerManagement;

/// <summary>
/// The discovery instruments, on the meter <see cref="PeerManagementDiagnostics.MeterName"/>: peers by status,
/// checks by outcome and check durations, and <c>server.peers.subscribe</c> answers by whether the cache had them. Owned by the <see cref="PeerManager"/>; created from the host's
/// <see cref="IMeterFactory"/>, or on a meter of its own when there is none.
/// </summary>
internal sealed class DiscoveryMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _checks;
    private readonly Histogram<double> _checkDuration;
    private readonly Counter<long> _peersAnswers;

    public DiscoveryMetrics(PeerTable table, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(table);
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(PeerManagementDiagnostics.MeterName) ?? new Meter(PeerManagementDiagnostics.MeterName);
        _meter.CreateObservableGauge(
            "peermanagement.peers",
            () => ObservePeers(table),
            unit: "{peer}",
            description: "Peers in the table, by status.");
        _checks = _meter.CreateCounter<long>("peermanagement.checks", unit: "{check}", description: "Peer checks, by outcome.");
        _checkDuration = _meter.CreateHistogram<double>("peermanagement.check.duration", unit: "s", description: "How long one peer check took.");
        _peersAnswers = _meter.CreateCounter<long>(
            "peermanagement.answers.peers_subscribe",
            unit: "{answer}",
            description: "server.peers.subscribe answers, by cache: hit (reused) or miss (built).");
    }

    public void RecordPeersAnswer(bool cacheHit)
    {
        if (_peersAnswers.Enabled)
        {
            _peersAnswers.Add(1, new KeyValuePair<string, object?>("cache", cacheHit ? "hit" : "miss"));
        }
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
