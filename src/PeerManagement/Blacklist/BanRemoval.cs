namespace PeerManagement;

/// <summary>What <see cref="PeerManager.RemoveBanAsync"/> did.</summary>
public enum BanRemoval
{
    /// <summary>The run-time ban was removed.</summary>
    Removed,

    /// <summary>No ban has this match.</summary>
    NotFound,

    /// <summary>The entry comes from a configured source (code, file, URL) and cannot be removed at run time.</summary>
    Configured,

    /// <summary>The run-time ban was removed, but a configured entry with the same match still holds.</summary>
    RemovedButConfigured,
}
