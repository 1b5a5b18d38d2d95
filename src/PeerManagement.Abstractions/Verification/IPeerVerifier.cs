namespace PeerManagement;

/// <summary>
/// Decides whether a peer serves our network, over an open session (the Electrum protocol by default:
/// <c>server.version</c>, then headers, features and the peer list). Blacklist and bucket rules are applied
/// by the manager before the verifier runs.
/// </summary>
public interface IPeerVerifier
{
    /// <summary>Checks one peer.</summary>
    /// <param name="context">The peer and the session to it.</param>
    /// <param name="cancellationToken">Cancels the check (the manager stops, or the check's time is up).</param>
    /// <returns>Good with what the peer reported, bad with the rule it broke, or failed with why.</returns>
    /// <remarks>A peer's misbehaviour is a result, never an exception; only cancellation is thrown.</remarks>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<PeerVerificationResult> VerifyAsync(PeerVerificationContext context, CancellationToken cancellationToken);
}
