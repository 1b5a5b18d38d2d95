using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PeerManagement.Sample.Node.Chain;

/// <summary>
/// A deterministic chain of 80-byte block headers, so a local network verifies peers for real (genesis hash, tip,
/// header at the split height) without a blockchain. The same <c>network</c> name gives the same chain on every
/// node; another name gives another genesis, which is how the sample's misbehaving node is made.
/// </summary>
public sealed class SyntheticChain : IChainView
{
    private readonly string[] _headers;

    /// <summary>Builds the chain.</summary>
    /// <param name="network">Names the chain: equal names, equal chains.</param>
    /// <param name="height">The tip height.</param>
    public SyntheticChain(string network, int height)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        _headers = new string[height + 1];
        Span<byte> header = stackalloc byte[80];
        Span<byte> previousHash = stackalloc byte[32];
        var merkleSeed = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(network));
        for (var i = 0; i <= height; i++)
        {
            header.Clear();
            BinaryPrimitives.WriteInt32LittleEndian(header, 0x20000000);
            previousHash.CopyTo(header[4..]);
            merkleSeed.CopyTo(header[36..]);
            BinaryPrimitives.WriteInt32LittleEndian(header[36..], i);
            BinaryPrimitives.WriteUInt32LittleEndian(header[68..], 1_700_000_000u + (uint)i * 600);
            BinaryPrimitives.WriteUInt32LittleEndian(header[72..], 0x207fffff);
            _headers[i] = Convert.ToHexStringLower(header);
            SHA256.HashData(SHA256.HashData(header), previousHash);
            if (i == 0)
            {
                // Block hashes are shown byte-reversed, as Bitcoin does.
                var hash = previousHash.ToArray();
                Array.Reverse(hash);
                GenesisHash = Convert.ToHexStringLower(hash);
            }
        }
    }

    /// <inheritdoc/>
    public string GenesisHash { get; } = string.Empty;

    /// <summary>The tip height.</summary>
    public int Height => _headers.Length - 1;

    /// <inheritdoc/>
    public ValueTask<int> GetTipHeightAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Height);

    /// <inheritdoc/>
    public ValueTask<string?> GetHeaderHexAsync(int height, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        return ValueTask.FromResult(height < _headers.Length ? _headers[height] : null);
    }
}
