namespace PeerManagement;

/// <summary>What <see cref="PeerTable.Note"/> did with a candidate.</summary>
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
}
