using System.Diagnostics.Metrics;

namespace PeerManagement;

/// <summary>
/// The rate-limiter instrument, on the meter <see cref="PeerManagementDiagnostics.MeterName"/>: decisions by kind
/// (granted, delayed, rejected). Created from the host's <see cref="IMeterFactory"/> when one is registered. The
/// discovery instruments are the peer manager's own (<see cref="DiscoveryMetrics"/>).
/// </summary>
internal sealed class PeerManagementMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _rateLimiterDecisions;

    public PeerManagementMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(PeerManagementDiagnostics.MeterName) ?? new Meter(PeerManagementDiagnostics.MeterName);
        _rateLimiterDecisions = _meter.CreateCounter<long>("peermanagement.rate_limiter.decisions", unit: "{request}", description: "Rate-limiter decisions: granted, delayed or rejected.");
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
}
