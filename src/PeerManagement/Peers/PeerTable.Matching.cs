namespace PeerManagement;

/// <summary>Matching without building a list, for admission's hot path.</summary>
public sealed partial class PeerTable
{
    /// <summary>
    /// Whether an entry matches a host (the same host, or one last connected to the host's address when it is an
    /// IP literal): <see cref="FindMatches"/> is not empty.
    /// </summary>
    internal bool HasMatch(PeerHost host)
    {
        lock (_gate)
        {
            return FindMatch(host) is not null;
        }
    }
}
