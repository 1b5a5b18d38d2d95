using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace PeerManagement;

/// <summary>
/// The <c>hosts</c> of a features object: usually one entry, so a flat array searched in order costs less memory
/// than a dictionary and is as fast at this size. <see cref="PeerFeatures.Hosts"/> turns any dictionary it is
/// given into one of these, so every features object stores its hosts the same compact way. Equal when it lists
/// the same hosts with the same ports, in any order.
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

    /// <summary>
    /// The compact form of <paramref name="hosts"/>: the map itself when it already is one, else a copy (the first
    /// of two equal hosts wins, in case the dictionary's comparer is not the hosts' own).
    /// </summary>
    public static PeerHostPortsMap From(IReadOnlyDictionary<PeerHost, PeerPorts>? hosts)
    {
        if (hosts is PeerHostPortsMap map)
        {
            return map;
        }

        if (hosts is null || hosts.Count == 0)
        {
            return Empty;
        }

        var entries = new KeyValuePair<PeerHost, PeerPorts>[hosts.Count];
        var count = 0;
        var seen = hosts.Count > PeerFeatures.MaxHosts ? new HashSet<PeerHost>() : null;
        foreach (var entry in hosts)
        {
            var distinct = seen?.Add(entry.Key) ?? Array.FindIndex(entries, 0, count, e => e.Key == entry.Key) < 0;
            if (distinct && count < entries.Length)
            {
                entries[count++] = entry;
            }
        }

        return new PeerHostPortsMap(count == entries.Length ? entries : entries[..count]);
    }

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

    public override bool Equals(object? obj)
    {
        if (ReferenceEquals(this, obj))
        {
            return true;
        }

        if (obj is not PeerHostPortsMap other || other.Count != Count)
        {
            return false;
        }

        foreach (var (host, ports) in _entries)
        {
            if (!other.TryGetValue(host, out var otherPorts) || otherPorts != ports)
            {
                return false;
            }
        }

        return true;
    }

    public override int GetHashCode()
    {
        // Order-independent, as equality is.
        var hash = 0;
        foreach (var entry in _entries)
        {
            hash ^= HashCode.Combine(entry.Key, entry.Value);
        }

        return hash;
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
