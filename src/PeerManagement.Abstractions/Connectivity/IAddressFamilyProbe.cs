namespace PeerManagement;

/// <summary>Tells whether this machine can reach public IPv4 and IPv6 addresses at all.</summary>
public interface IAddressFamilyProbe
{
    /// <summary>Looks at the machine's routes now.</summary>
    /// <param name="cancellationToken">Cancels the probe.</param>
    /// <returns>Which families can be reached.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<AddressFamilyReachability> ProbeAsync(CancellationToken cancellationToken);
}
