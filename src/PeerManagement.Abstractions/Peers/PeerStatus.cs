namespace PeerManagement;

/// <summary>
/// The state of a peer, derived from its history and the clock; it is never stored.
/// </summary>
public enum PeerStatus
{
    /// <summary>Never verified successfully and not marked bad.</summary>
    Never = 0,

    /// <summary>Verified successfully within the stale interval.</summary>
    Good = 1,

    /// <summary>Verified successfully once, but not within the stale interval.</summary>
    Stale = 2,

    /// <summary>Marked bad (wrong network, blacklisted, protocol violation, ...).</summary>
    Bad = 3,
}
