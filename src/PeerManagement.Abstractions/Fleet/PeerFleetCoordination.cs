namespace PeerManagement;

/// <summary>
/// The plug-in points through which several instances share one peer table (a fleet): each is optional, and a
/// missing one keeps this instance's local behaviour. Register one in the container (e.g. by a scale-out package)
/// and the peer manager uses it.
/// </summary>
public sealed class PeerFleetCoordination
{
    /// <summary>Who checks a peer now; <see langword="null"/>: this instance checks every peer when due.</summary>
    public IPeerCheckLease? CheckLease { get; init; }

    /// <summary>How records are shared; <see langword="null"/>: the table is this instance's alone.</summary>
    public IPeerRecordExchange? Records { get; init; }

    /// <summary>The memory of the <c>server.add_peer</c> pause; <see langword="null"/>: this instance's own.</summary>
    public IAddPeerGuard? AddPeerGuard { get; init; }
}
