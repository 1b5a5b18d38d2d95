namespace PeerManagement;

/// <summary>Our own view of the chain, against which peers are verified.</summary>
public interface IChainView
{
    /// <summary>The genesis block hash of our network, lower-case hex.</summary>
    string GenesisHash { get; }

    /// <summary>Our current tip height.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The height of our best block.</returns>
    ValueTask<int> GetTipHeightAsync(CancellationToken cancellationToken);

    /// <summary>Our block header at a height, as lower-case hex.</summary>
    /// <param name="height">The height (0 or more).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The header, or <see langword="null"/> when we have none at that height.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="height"/> is negative.</exception>
    ValueTask<string?> GetHeaderHexAsync(int height, CancellationToken cancellationToken);
}
