using System.Net;

namespace PeerManagement;

/// <summary>
/// Decides which connections a <see cref="JsonRpcListener"/> takes: at most so many sessions per address (IPv4
/// address, IPv6 /64), per network (IPv4 /24, IPv6 /48) and in all. When the listener is full, a newcomer from an
/// address or network holding fewer sessions takes the place of the session idle longest of the greediest network
/// (then address), so one source can never keep the others out. Not thread-safe: the listener calls it under its lock.
/// </summary>
internal sealed class ListenerAdmission(int maxSessions, int maxPerAddress, int maxPerNetwork)
{
    /// <summary>The prefix length sessions are counted per network under: IPv4 /24, IPv6 /48 (a typical end site).</summary>
    public const int NetworkIpv4Length = 24;

    /// <summary>See <see cref="NetworkIpv4Length"/>.</summary>
    public const int NetworkIpv6Length = 48;

    private readonly Dictionary<NetworkPrefix, int> _perAddress = [];
    private readonly Dictionary<NetworkPrefix, int> _perNetwork = [];
    private readonly HashSet<Entry> _entries = [];

    /// <summary>Why a connection was refused, or <see cref="Outcome.Admitted"/>.</summary>
    public enum Outcome
    {
        Admitted,
        AddressFull,
        NetworkFull,
        ListenerFull,
    }

    /// <summary>What counts as one address: an IPv4 address, an IPv6 /64 (the internal bucket, <see cref="PeerBuckets.GetInternalNetwork"/>).</summary>
    public static NetworkPrefix AddressOf(EndPoint? remote) => PeerBuckets.GetInternalNetwork(IPAddressOf(remote));

    /// <summary>What counts as one network: an IPv4 /24, an IPv6 /48.</summary>
    public static NetworkPrefix NetworkOf(EndPoint? remote) => NetworkPrefix.Of(IPAddressOf(remote), NetworkIpv4Length, NetworkIpv6Length);

    /// <summary>Admitted sessions.</summary>
    public int Count => _entries.Count;

    /// <summary>The admitted sessions (read under the listener's lock).</summary>
    public IEnumerable<Entry> Entries => _entries;

    /// <summary>
    /// Admits a connection from <paramref name="remote"/>, or says why not. When the listener is full but the
    /// newcomer may take a greedier source's place, <paramref name="evicted"/> is the session to close (already
    /// removed here).
    /// </summary>
    public Outcome TryAdmit(EndPoint? remote, long now, out Entry? admitted, out Entry? evicted)
    {
        admitted = null;
        evicted = null;
        var addressKey = AddressOf(remote);
        var networkKey = NetworkOf(remote);
        var addressCount = _perAddress.GetValueOrDefault(addressKey);
        var networkCount = _perNetwork.GetValueOrDefault(networkKey);
        if (addressCount >= maxPerAddress)
        {
            return Outcome.AddressFull;
        }

        if (networkCount >= maxPerNetwork)
        {
            return Outcome.NetworkFull;
        }

        if (_entries.Count >= maxSessions)
        {
            evicted = FindVictim(addressKey, addressCount, networkKey, networkCount, now);
            if (evicted is null)
            {
                return Outcome.ListenerFull;
            }

            Remove(evicted);
        }

        admitted = new Entry(remote, addressKey, networkKey, now);
        _entries.Add(admitted);
        _perAddress[addressKey] = addressCount + 1;
        _perNetwork[networkKey] = networkCount + 1;
        return Outcome.Admitted;
    }

    /// <summary>Forgets a session (closed or evicted). Idempotent.</summary>
    public void Remove(Entry entry)
    {
        if (!_entries.Remove(entry))
        {
            return;
        }

        Decrement(_perAddress, entry.Address);
        Decrement(_perNetwork, entry.Network);
    }

    private static void Decrement(Dictionary<NetworkPrefix, int> counts, NetworkPrefix key)
    {
        var count = counts[key] - 1;
        if (count == 0)
        {
            counts.Remove(key);
        }
        else
        {
            counts[key] = count;
        }
    }

    /// <summary>
    /// The session idle longest of the greediest network (then address), if that source holds more sessions than
    /// the newcomer's would after admission; otherwise none, and the newcomer is refused.
    /// </summary>
    private Entry? FindVictim(NetworkPrefix addressKey, int addressCount, NetworkPrefix networkKey, int networkCount, long now)
    {
        Entry? best = null;
        (int Network, int Address, long Idle) bestScore = default;
        foreach (var entry in _entries)
        {
            var score = (_perNetwork[entry.Network], _perAddress[entry.Address], now - entry.LastActivity);
            if (best is null || score.CompareTo(bestScore) > 0)
            {
                best = entry;
                bestScore = score;
            }
        }

        if (best is null)
        {
            return null;
        }

        var greedierNetwork = !best.Network.Equals(networkKey) && bestScore.Network > networkCount + 1;
        var greedierAddress = best.Network.Equals(networkKey) && !best.Address.Equals(addressKey) && bestScore.Address > addressCount + 1;
        return greedierNetwork || greedierAddress ? best : null;
    }

    /// <summary>One admitted session.</summary>
    public sealed class Entry(EndPoint? remote, NetworkPrefix address, NetworkPrefix network, long admittedAt)
    {
        private readonly CancellationTokenSource _evicted = new();

        public EndPoint? Remote { get; } = remote;

        public NetworkPrefix Address { get; } = address;

        public NetworkPrefix Network { get; } = network;

        /// <summary>The session, once created; its last activity ranks it for eviction.</summary>
        public JsonRpcSession? Session { get; set; }

        /// <summary>Cancelled when the session must make room for a newcomer.</summary>
        public CancellationToken Evicted => _evicted.Token;

        public long LastActivity => Session?.LastActivity ?? admittedAt;

        public void Evict() => _evicted.Cancel();
    }

    private static IPAddress IPAddressOf(EndPoint? remote) => (remote as IPEndPoint)?.Address ?? IPAddress.None;
}
