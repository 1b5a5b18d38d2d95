using System.Diagnostics;

namespace PeerManagement;

/// <summary>The names hosts subscribe to for the library's metrics and traces.</summary>
public static class PeerManagementDiagnostics
{
    /// <summary>The name of the meter (<see cref="System.Diagnostics.Metrics.Meter"/>) of every instrument.</summary>
    public const string MeterName = "PeerManagement";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> with a span per peer check.</summary>
    public const string ActivitySourceName = "PeerManagement";

    internal static ActivitySource ActivitySource { get; } = new(ActivitySourceName);
}
