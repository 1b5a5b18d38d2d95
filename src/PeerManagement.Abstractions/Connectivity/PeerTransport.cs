namespace PeerManagement;

/// <summary>How a peer's port is spoken to.</summary>
public enum PeerTransport
{
    /// <summary>Plain TCP.</summary>
    Tcp = 0,

    /// <summary>TLS over TCP.</summary>
    Ssl = 1,
}
