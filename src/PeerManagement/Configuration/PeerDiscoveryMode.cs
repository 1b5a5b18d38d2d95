namespace PeerManagement;

/// <summary>How much peer discovery a node does (<c>PEER_DISCOVERY</c>).</summary>
public enum PeerDiscoveryMode
{
    /// <summary>Discover, verify and answer peers (the default).</summary>
    On = 0,

    /// <summary>Only report our own identities: import no seeds and contact no one.</summary>
    Self = 1,

    /// <summary>Nothing runs; <c>server.add_peer</c> answers false.</summary>
    Off = 2,
}
