namespace PeerManagement;

/// <summary>Blacklist entries given in code.</summary>
public sealed class StaticBlacklistSource : IBlacklistSource
{
    private readonly IReadOnlyList<string> _entries;

    /// <summary>Creates the source.</summary>
    /// <param name="entries">The entries: hosts, <c>*.domain.tld</c>, IP addresses, CIDR ranges; each optionally followed by <c> until &lt;ISO 8601 time&gt;</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="entries"/> is <see langword="null"/>.</exception>
    public StaticBlacklistSource(IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _entries = [.. entries];
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> GetEntriesAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_entries);
    }

    /// <summary>Describes the source for logs.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"code ({_entries.Count} entries)";
}
