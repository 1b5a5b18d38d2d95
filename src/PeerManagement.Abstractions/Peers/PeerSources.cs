namespace PeerManagement;

/// <summary>
/// The well-known values of <see cref="PeerRecord.Source"/>: where we heard of a peer. A peer noted from
/// another peer's list has that peer's host name as its source until it is verified.
/// </summary>
public static class PeerSources
{
    /// <summary>A configured seed peer.</summary>
    public const string Seed = "seed";

    /// <summary>Added by an operator through the admin API.</summary>
    public const string Admin = "admin";

    /// <summary>Announced to us through <c>server.add_peer</c>.</summary>
    public const string AddPeer = "add_peer";

    /// <summary>Verified by us at least once.</summary>
    public const string Peer = "peer";

    /// <summary>One of our own identities.</summary>
    public const string Self = "self";
}
