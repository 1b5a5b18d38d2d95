namespace PeerManagement;

/// <summary>What noting a candidate (<see cref="PeerTable.Note"/>, <see cref="PeerManager.AddPeerAsync"/>) did with it.</summary>
public enum PeerNoteResult
{
    /// <summary>The candidate was new and is now in the table.</summary>
    Added = 0,

    /// <summary>The candidate matches an entry already in the table; nothing changed.</summary>
    Known = 1,

    /// <summary>
    /// The candidate matches an entry but advertises other ports; they were remembered as alternatives, and the
    /// entry's check should be woken early.
    /// </summary>
    PortsChanged = 2,

    /// <summary>
    /// The candidate is new, but the table already holds <see cref="PeerManagementOptions.MaxPeers"/> peers, none of
    /// them bad, or the candidate's network holds <see cref="PeerManagementOptions.MaxPeersPerNetwork"/> peers, none of
    /// which may make room; and the candidate came from another node, not from the operator; it was not added.
    /// </summary>
    TableFull = 3,
}
