namespace PeerManagement;

/// <summary>
/// Supplies blacklist entries: exact hosts, <c>*.domain.tld</c> wildcards, IP addresses and CIDR ranges
/// (e.g. <c>203.0.113.0/24</c>).
/// </summary>
public interface IBlacklistSource
{
    /// <summary>Fetches the current entries.</summary>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <returns>The entries as text; unparseable ones are skipped by the blacklist.</returns>
    /// <exception cref="PeerManagementException">The source could not be read; the previous list stays in force.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<IReadOnlyList<string>> GetEntriesAsync(CancellationToken cancellationToken);
}
