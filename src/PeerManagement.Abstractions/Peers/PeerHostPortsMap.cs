using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace PeerManagement;

/// <summary>
/// The <c>hosts</c> of a features object: at most <see cref="PeerFeatures.MaxHosts"/> entries, usually one, so a
/// flat array searched in order costs less memory than a dictionary and is as fast at this size.
/// </summary>
internal sealed class PeerHostPortsMap : IReadOnlyDictionary<PeerHost, PeerPorts>
{
    public static readonly PeerHostPortsMap Empty = new([]);

    private readonly KeyValuePair<PeerHost, PeerPorts>[] _entries;

    /// <summary>Wraps entries with distinct hosts; the array is owned by the map from now on.</summary>
    public PeerHostPortsMap(KeyValuePair<PeerHost, PeerPorts>[] entries) => _entries = entries;

    public int Count => _entries.Length;

    public IEnumerable<PeerHost> Keys => _entries.Select(e => e.Key);

    public IEnumerable<PeerPorts> Values => _entries.Select(e => e.Value);

    public PeerPorts this[PeerHost key] => TryGetValue(key, out var ports) ? ports : throw new KeyNotFoundException($"The host '{key}' is not listed.");

    public bool ContainsKey(PeerHost key) => IndexOf(key) >= 0;

    public bool TryGetValue(PeerHost key, [MaybeNullWhen(false)] out PeerPorts value)
    {
        var index = IndexOf(key);
        value = index >= 0 ? _entries[index].Value : default;
        return index >= 0;
    }

    public IEnumerator<KeyValuePair<PeerHost, PeerPorts>> GetEnumerator() => ((IEnumerable<KeyValuePair<PeerHost, PeerPorts>>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Makes the entry equal to <paramref name="host"/> hold that very instance, so its text is stored once.
    /// Invisible to readers: the two hosts are equal, and only the reference to equal text changes.
    /// </summary>
    public void ShareKey(PeerHost host)
    {
        var index = IndexOf(host);
        if (index >= 0 && !ReferenceEquals(_entries[index].Key.Value, host.Value))
        {
            _entries[index] = new(host, _entries[index].Value);
        }
    }

    private int IndexOf(PeerHost key)
    {
        for (var i = 0; i < _entries.Length; i++)
        {
            if (_entries[i].Key == key)
            {
                return i;
            }
        }

        return -1;
    }
}
