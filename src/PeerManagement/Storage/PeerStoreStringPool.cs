using System.Diagnostics.CodeAnalysis;

namespace PeerManagement;

/// <summary>
/// Shares equal sources and bad reasons among the records of one load: they repeat across thousands of peers,
/// but are too varied (source host names, reasons with heights) for the process-wide bounded cache of
/// <see cref="PeerFeatures"/>, so this pool lives only as long as the load.
/// </summary>
internal sealed class PeerStoreStringPool
{
    private const int MaxPooledLength = 128;
    private const int MaxEntries = 4096;
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);

    [return: NotNullIfNotNull(nameof(value))]
    public string? Get(string? value)
    {
        if (value is null || value.Length > MaxPooledLength)
        {
            return value;
        }

        if (_strings.TryGetValue(value, out var pooled))
        {
            return pooled;
        }

        if (_strings.Count < MaxEntries)
        {
            _strings.Add(value, value);
        }

        return value;
    }
}
