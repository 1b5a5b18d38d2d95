namespace PeerManagement.Sample.Node.Terminal;

/// <summary>One line of the status display: a node, its table's counts and what last happened there.</summary>
/// <param name="Name">The node's name.</param>
/// <param name="Counts">Its table's counts.</param>
/// <param name="LastEvent">The last status change it saw, if any.</param>
public sealed record NodeStatus(string Name, PeerCounts Counts, string? LastEvent);
