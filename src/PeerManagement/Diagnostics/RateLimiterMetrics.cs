using System.Diagnostics.Metrics;

namespace PeerManagement;

/// <summary>
/// The decisions of one PeerManagement limiter (<see cref="PeerRateLimiter"/>, <see cref="PeerPartitionedRateLimiter{TKey}"/>),
/// counted by the limiter itself whoever calls it (the JSON-RPC handler, ASP.NET Core's middleware, a host), on the
/// meter <see cref="PeerManagementDiagnostics.MeterName"/>: <c>peermanagement.rate_limiter.decisions</c> with a
/// <c>decision</c> tag (granted, delayed, rejected). Created from the host's <see cref="IMeterFactory"/> when one is
/// given, else on a meter of its own that <see cref="Dispose"/> disposes.
/// </summary>
internal sealed class RateLimiterMetrics : IDisposable
{
    public const string Granted = "granted";
    public const string Delayed = "delayed";
    public const string Rejected = "rejected";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _decisions;

    public RateLimiterMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(PeerManagementDiagnostics.MeterName) ?? new Meter(PeerManagementDiagnostics.MeterName);
        _decisions = _meter.CreateCounter<long>("peermanagement.rate_limiter.decisions", unit: "{request}", description: "Rate-limiter decisions: granted, delayed or rejected.");
    }

    /// <summary>Whether anyone listens; checked before a decision is classified, so an unobserved limiter pays one test.</summary>
    public bool Enabled => _decisions.Enabled;

    public void Record(string decision) => _decisions.Add(1, new KeyValuePair<string, object?>("decision", decision));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
