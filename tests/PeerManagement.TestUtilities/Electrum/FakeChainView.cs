using System.Globalization;

namespace PeerManagement.TestUtilities.Electrum;

/// <summary>Our chain for tests: a fixed genesis, a settable tip and a deterministic header per height.</summary>
public sealed class FakeChainView : IChainView
{
    /// <summary>Bitcoin mainnet's genesis hash.</summary>
    public const string MainnetGenesis = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";

    public string GenesisHash { get; set; } = MainnetGenesis;

    public int TipHeight { get; set; } = 800_000;

    public static string HeaderAt(int height) => "00000020" + height.ToString("x8", CultureInfo.InvariantCulture) + new string('a', 144);

    public ValueTask<int> GetTipHeightAsync(CancellationToken cancellationToken) => ValueTask.FromResult(TipHeight);

    public ValueTask<string?> GetHeaderHexAsync(int height, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        return ValueTask.FromResult<string?>(height <= TipHeight ? HeaderAt(height) : null);
    }
}
