namespace PeerManagement;

/// <summary>How many peers the table holds in each status.</summary>
/// <param name="Bad">Peers marked bad.</param>
/// <param name="Good">Peers verified within the stale interval.</param>
/// <param name="Never">Peers never verified.</param>
/// <param name="Stale">Peers verified once, but not recently.</param>
public readonly record struct PeerCounts(int Bad, int Good, int Never, int Stale)
{
    /// <summary>All peers.</summary>
    public int Total => Bad + Good + Never + Stale;
}
