namespace PeerManagement;

/// <summary>A peer's status changed (it was added, checked, marked bad, or forgotten).</summary>
/// <param name="Host">The peer's host.</param>
/// <param name="OldStatus">The status before, or <see langword="null"/> when the peer was just added.</param>
/// <param name="NewStatus">The status after, or <see langword="null"/> when the peer was forgotten.</param>
/// <param name="Reason">Why, when the peer turned bad or failed; otherwise <see langword="null"/>.</param>
/// <param name="Time">When it happened.</param>
public sealed record PeerStatusChange(PeerHost Host, PeerStatus? OldStatus, PeerStatus? NewStatus, string? Reason, DateTimeOffset Time);
