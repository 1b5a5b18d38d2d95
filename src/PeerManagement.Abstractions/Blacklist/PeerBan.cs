namespace PeerManagement;

/// <summary>One blacklist entry in force: a run-time ban, or an entry of a configured source.</summary>
/// <param name="Match">What it covers, in canonical form: a host, <c>*.domain</c>, an IP address or a CIDR range.</param>
/// <param name="Expires">When it ends (UTC); <see langword="null"/> for never.</param>
/// <param name="Reason">Why it was added (run-time bans); <see langword="null"/> when none was given.</param>
/// <param name="Created">When it was added (run-time bans); <see langword="null"/> for a configured entry.</param>
/// <param name="Configured">Whether it comes from a configured source (code, file, URL), which the run time cannot remove.</param>
public sealed record PeerBan(string Match, DateTimeOffset? Expires, string? Reason, DateTimeOffset? Created, bool Configured);
