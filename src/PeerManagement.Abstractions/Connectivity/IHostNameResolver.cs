using System.Net;

namespace PeerManagement;

/// <summary>Resolves host names to addresses (replaceable so tests and sandboxed hosts need no DNS).</summary>
public interface IHostNameResolver
{
    /// <summary>Resolves a DNS name.</summary>
    /// <param name="host">The host name.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The addresses; empty when the name does not resolve.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken);
}
