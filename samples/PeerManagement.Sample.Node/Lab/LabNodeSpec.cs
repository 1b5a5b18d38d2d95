namespace PeerManagement.Sample.Node.Lab;

/// <summary>What one lab node is: its name, loopback address, chain, seed and whether the others blacklist it.</summary>
/// <param name="Name">Shown in the table.</param>
/// <param name="Address">Its own loopback address (listener and outgoing connections).</param>
/// <param name="Network">The synthetic chain's name; another name means another genesis (a misbehaving node).</param>
/// <param name="SeedIndex">The index of the node it is seeded with.</param>
/// <param name="Kind">Honest, wrong genesis or blacklisted.</param>
public sealed record LabNodeSpec(string Name, string Address, string Network, int SeedIndex, LabNodeKind Kind);

/// <summary>The role of a lab node.</summary>
public enum LabNodeKind
{
    /// <summary>Serves the shared chain; must end up good everywhere.</summary>
    Honest,

    /// <summary>Serves another chain (another genesis hash): must end up bad.</summary>
    WrongGenesis,

    /// <summary>Serves the shared chain but is named in the other nodes' blacklist: refused before it enters their tables (or bad, if it was there before).</summary>
    Blacklisted,
}
