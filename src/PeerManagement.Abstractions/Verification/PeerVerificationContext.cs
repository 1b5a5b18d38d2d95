using System.Net;

namespace PeerManagement;

/// <summary>What a verifier gets for one check: the peer and an open session to it.</summary>
/// <param name="Peer">The peer's record before the check.</param>
/// <param name="Session">An open session to the peer.</param>
/// <param name="RemoteAddress">The address connected to, or <see langword="null"/> through a proxy.</param>
public sealed record PeerVerificationContext(PeerRecord Peer, IJsonRpcSession Session, IPAddress? RemoteAddress);
