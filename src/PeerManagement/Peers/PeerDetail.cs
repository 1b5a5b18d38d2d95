namespace PeerManagement;

/// <summary>Everything known of one peer, for an operator who asks why it looks as it does.</summary>
/// <param name="Snapshot">Its record (ports, features, last good and last try, tries, bad reason, source, address) and status now.</param>
/// <param name="InternalBucket">Its internal bucket (IPv4 address, IPv6 /64, <c>onion</c>); <see langword="null"/> before an address is known.</param>
/// <param name="ExternalBucket">Its external bucket (IPv4 /16, IPv6 /56, <c>onion</c>); <see langword="null"/> before an address is known.</param>
/// <param name="NextCheck">When it is checked next; <see langword="null"/> when no check is scheduled (discovery not running, or checking now).</param>
/// <param name="Checking">Whether a check of it runs now.</param>
/// <param name="Blacklisted">Whether the blacklist (configured or run-time) covers it now.</param>
public sealed record PeerDetail(PeerSnapshot Snapshot, string? InternalBucket, string? ExternalBucket, DateTimeOffset? NextCheck, bool Checking, bool Blacklisted);
