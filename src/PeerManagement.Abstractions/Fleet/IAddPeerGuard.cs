namespace PeerManagement;

/// <summary>
/// The memory of the <c>server.add_peer</c> pause (one announcement per network per pause) when several instances
/// share it. Without one (the default), each instance remembers the announcements it heard itself.
/// </summary>
public interface IAddPeerGuard
{
    /// <summary>
    /// Records an announcement under <paramref name="key"/> now and says whether it is allowed: <see langword="false"/>
    /// when the key announced less than <paramref name="pause"/> ago. A refused announcement is recorded too (the
    /// pause starts again), as in the local rule.
    /// </summary>
    /// <param name="key">What the announcement is paused under (the caller's network, or an onion host).</param>
    /// <param name="pause">The pause.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Whether the announcement is allowed.</returns>
    ValueTask<bool> TryRecordAsync(string key, TimeSpan pause, CancellationToken cancellationToken);
}
