using System.Globalization;

namespace PeerManagement.Simulation;

/// <summary>The chain every honest node and the attacker serve: a fixed genesis and a deterministic header per height.</summary>
internal sealed class SimulatedChain : IChainView
{
    public string GenesisHash => "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";

    public int TipHeight { get; set; } = 900_000;

    public static string HeaderAt(int height) => "00000020" + height.ToString("x8", CultureInfo.InvariantCulture) + new string('a', 144);

    public ValueTask<int> GetTipHeightAsync(CancellationToken cancellationToken) => ValueTask.FromResult(TipHeight);

    public ValueTask<string?> GetHeaderHexAsync(int height, CancellationToken cancellationToken)
        => ValueTask.FromResult<string?>(height <= TipHeight ? HeaderAt(height) : null);
}
