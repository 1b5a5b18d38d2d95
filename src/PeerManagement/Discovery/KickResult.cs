namespace PeerManagement;

/// <summary>What <see cref="PeerManager.KickAsync"/> did.</summary>
/// <param name="Forgotten">The peers forgotten, in host order.</param>
/// <param name="SessionsClosed">How many sessions were closed: checks in progress and incoming sessions on guarded listeners.</param>
/// <param name="Ban">The ban added, when one was asked for.</param>
public sealed record KickResult(IReadOnlyList<PeerHost> Forgotten, int SessionsClosed, PeerBan? Ban);
