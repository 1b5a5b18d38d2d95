namespace PeerManagement;

/// <summary>
/// Stands in for the host's <see cref="IChainView"/> when none is registered: the manager can be resolved (admin
/// adds and reads work), but discovery does not start (<see cref="PeerManagerHostedService"/> logs why), so nothing
/// ever asks this for the chain. If something does, the error says what is missing.
/// </summary>
internal sealed class MissingChainView : IChainView
{
    public static readonly MissingChainView Instance = new();

    private const string Message = "No IChainView is registered: register the host's view of the chain (UseChainView) to run peer discovery.";

    public string GenesisHash => throw new InvalidOperationException(Message);

    public ValueTask<int> GetTipHeightAsync(CancellationToken cancellationToken) => throw new InvalidOperationException(Message);

    public ValueTask<string?> GetHeaderHexAsync(int height, CancellationToken cancellationToken) => throw new InvalidOperationException(Message);
}
