namespace PeerManagement;

/// <summary>One peer as seen at one moment: its record, its status then, and its transient alternative ports.</summary>
/// <param name="Peer">The peer's record.</param>
/// <param name="Status">Its status when the snapshot was taken.</param>
/// <param name="AlternativePorts">Other ports heard of for this host, tried after its own (not persisted).</param>
public sealed record PeerSnapshot(PeerRecord Peer, PeerStatus Status, IReadOnlyList<PeerPorts> AlternativePorts);
