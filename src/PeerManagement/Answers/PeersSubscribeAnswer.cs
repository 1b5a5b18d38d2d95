using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>
/// <c>server.peers.subscribe</c>: recent good, public, not blacklisted peers, at most 2 chosen at random per
/// external bucket (IPv4 /16, IPv6 /56); onion ones up to 50 for an asker that came over Tor, else up to
/// max(10, count / 4); plus our own identities when they were verified recently (always in
/// <see cref="PeerDiscoveryMode.Self"/>). Askers come in bursts, so an answer is reused for a while.
/// </summary>
/// <remarks>
/// An answer stays valid while the table's <see cref="PeerTable.GoodPeersVersion"/> and the blacklist are the same,
/// until the first peer in it would go stale, and for at most <see cref="CacheLifetime"/> (a new random choice, and
/// blacklist entries that lapse). It is built as UTF-8 text into reused buffers, so a fresh build allocates next to
/// nothing once warm; askers get a node that writes that text as it is.
/// </remarks>
internal sealed class PeersSubscribeAnswer(
    PeerTable table,
    PeerManagementOptions options,
    OwnIdentities identities,
    PeerBlacklist blacklist,
    IProxyConnector? proxy,
    Random random,
    TimeProvider timeProvider,
    DiscoveryMetrics? metrics = null)
{
    /// <summary>The longest an answer is reused.</summary>
    internal static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(30);

    private const int MaxOnionAnswerForTor = 50;
    private const int MinOnionAnswer = 10;
    private const int MaxSpareBuffers = 4;

    private readonly Lock _buildGate = new();
    private readonly Lock _spareGate = new();
    private readonly Stack<PeersAnswerBuffer> _spare = new();
    private readonly List<PeerRecord> _onion = [];
    private readonly AnswerBuckets _buckets = new();
    private readonly HashSet<long> _operators = [];
    private readonly PeersAnswerText _text = new();

    // The entries staged during a build's one pass over the records, by candidate index (see PeersAnswerText).
    private readonly PeersAnswerBuffer _scratch = new(16 * 1024, static _ => { });
    private PeerRecord[] _records = [];
    private Range[] _staged = [];
    private bool[] _chosen = [];
    private Random? _pick;
    private CachedAnswer? _cachedClearnet;
    private CachedAnswer? _cachedTor;
    private long _hits;
    private long _misses;

    /// <summary>How many answers were served from the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>How many answers had to be built.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>The answer for <paramref name="asker"/>: a node over text shared with other askers.</summary>
    public JsonNode Answer(EndPoint? asker)
    {
        var isTor = IsTorAsker(asker);
        var buffer = Take(isTor, out var cacheHit);
        Interlocked.Increment(ref cacheHit ? ref _hits : ref _misses);
        metrics?.RecordPeersAnswer(cacheHit);
        return PeersAnswerLease.Create(buffer, this, isTor);
    }

    /// <summary>A referenced buffer holding the current answer for the kind of asker, cached or built now.</summary>
    internal PeersAnswerBuffer Take(bool isTor, out bool cacheHit)
    {
        var now = timeProvider.GetUtcNow();
        var key = new AnswerKey(table.GoodPeersVersion, blacklist.Version);
        cacheHit = true;
        if (TryTakeCached(isTor, key, now) is { } hit)
        {
            return hit;
        }

        lock (_buildGate)
        {
            // Another asker may have built it while this one waited.
            if (TryTakeCached(isTor, key, now) is { } built)
            {
                return built;
            }

            var fresh = BuildLocked(isTor, key, now);
            fresh.Buffer.TryAddReference();
            CacheLocked(isTor, fresh);
            cacheHit = false;
            return fresh.Buffer;
        }
    }

    /// <summary>Builds the answer afresh (a new random choice) as UTF-8 text.</summary>
    public byte[] Build(bool isTor)
    {
        lock (_buildGate)
        {
            var built = BuildLocked(isTor, default, timeProvider.GetUtcNow());
            var text = built.Buffer.Written.ToArray();
            built.Buffer.Release();
            return text;
        }
    }

    /// <summary>
    /// Builds a fresh answer into the cache, as a missed asker would, and lets it go at once: what a miss costs
    /// (for measuring; the cached answer is replaced).
    /// </summary>
    internal int Rebuild(bool isTor)
    {
        lock (_buildGate)
        {
            var fresh = BuildLocked(isTor, new AnswerKey(table.GoodPeersVersion, blacklist.Version), timeProvider.GetUtcNow());
            CacheLocked(isTor, fresh);
            return fresh.Buffer.Written.Length;
        }
    }

    // Puts a fresh answer in the cache of its kind of asker and lets the one it replaces go (under _buildGate).
    private void CacheLocked(bool isTor, CachedAnswer fresh)
    {
        ref var slot = ref isTor ? ref _cachedTor : ref _cachedClearnet;
        var old = slot;
        Volatile.Write(ref slot, fresh);
        old?.Buffer.Release();
    }

    private PeersAnswerBuffer? TryTakeCached(bool isTor, AnswerKey key, DateTimeOffset now)
    {
        ref var slot = ref isTor ? ref _cachedTor : ref _cachedClearnet;
        var cached = Volatile.Read(ref slot);
        if (cached is null || cached.Key != key || now >= cached.Expires || !cached.Buffer.TryAddReference())
        {
            return null;
        }

        // The buffer may have been let go, reused and reset between the read and the reference: still cached means not.
        if (Volatile.Read(ref slot) != cached)
        {
            cached.Buffer.Release();
            return null;
        }

        return cached.Buffer;
    }

    private CachedAnswer BuildLocked(bool isTor, AnswerKey key, DateTimeOffset now)
    {
        var buffer = RentBuffer();
        _text.Begin(buffer);
        var expires = Write(isTor, now);
        _text.End();
        return new CachedAnswer(key, expires, buffer);
    }

    /// <summary>Writes the entries; returns when the answer stops being valid.</summary>
    private DateTimeOffset Write(bool isTor, DateTimeOffset now)
    {
        var expires = now + CacheLifetime;
        if (options.Discovery == PeerDiscoveryMode.Off)
        {
            return expires;
        }

        if (options.Discovery == PeerDiscoveryMode.Self)
        {
            foreach (var identity in identities.All)
            {
                WriteEntry(null, identity.Host, identity.Ports, identity.Version, identity.Pruning);
            }

            return expires;
        }

        var count = table.CopyRecords(ref _records);
        var records = _records.AsSpan(0, count);
        if (_staged.Length < count)
        {
            _staged = new Range[Math.Max(count, _staged.Length * 2)];
            _chosen = new bool[_staged.Length];
        }

        var pick = Picker();
        var staleAfter = table.StaleAfter;
        var checkBlacklist = blacklist.Count > 0;
        var checkIdentities = identities.All.Count > 0;
        var limitPerNetwork = options.LimitAnswerPerNetwork;
        var chosenFlags = _chosen.AsSpan(0, count);
        chosenFlags.Clear();
        var clearnet = 0;
        _onion.Clear();
        _buckets.Clear(count);
        _scratch.Reset();
        _operators.Clear();
        foreach (var record in records)
        {
            if (record.GetStatus(now, staleAfter) != PeerStatus.Good)
            {
                continue;
            }

            // The answer changes when this peer goes stale.
            var staleAt = record.LastGood!.Value + staleAfter;
            if (staleAt < expires)
            {
                expires = staleAt;
            }

            if (checkIdentities && identities.Contains(record.Host))
            {
                WriteEntry(record);
                continue;
            }

            if ((!record.Host.IsPublic && !options.AllowNonPublicPeers) || (checkBlacklist && blacklist.IsBlacklisted(record.Host, record.IPAddress, now)))
            {
                continue;
            }

            // One peer per operator (TLS key), the first in table order.
            if (record.ServerKeyId != 0 && options.LimitAnswerPerOperator && !_operators.Add(record.ServerKeyId))
            {
                continue;
            }

            if (record.Host.IsOnion)
            {
                _onion.Add(record);
                continue;
            }

            // At most two per external bucket, a uniform random pair of its peers (reservoir sampling in one
            // pass, in table order); a name whose address is not known yet shares one bucket.
            ref var slot = ref _buckets.Find(record.IPAddress ?? record.Host.Address);
            slot.Seen++;
            var dropped = -1;
            if (slot.Seen == 1)
            {
                slot.First = clearnet;
            }
            else if (slot.Seen == 2)
            {
                slot.Second = clearnet;
            }
            else
            {
                var replaced = pick.Next(slot.Seen);
                if (replaced == 0)
                {
                    dropped = slot.First;
                    slot.First = clearnet;
                }
                else if (replaced == 1)
                {
                    dropped = slot.Second;
                    slot.Second = clearnet;
                }
                else
                {
                    dropped = clearnet;
                }
            }

            // Written now, while the record is at hand, if it is in the answer so far: reading 100,000 records a
            // second time (cache misses) cost more than writing the few that a later peer of their bucket replaces.
            if (!limitPerNetwork || dropped != clearnet)
            {
                chosenFlags[clearnet] = true;
                _staged[clearnet] = Stage(record);
            }

            if (limitPerNetwork && dropped >= 0)
            {
                chosenFlags[dropped] = false;
            }

            clearnet++;
        }

        records.Clear();

        // Copied in table order: the answer is a set, and keeping the order of the table keeps the copy sequential.
        var staged = _scratch.Written;
        var chosen = 0;
        for (var i = 0; i < clearnet; i++)
        {
            if (chosenFlags[i])
            {
                _text.WriteStaged(staged[_staged[i]]);
                chosen++;
            }
        }

        Shuffle(pick, CollectionsMarshal.AsSpan(_onion));
        var maxOnion = isTor ? MaxOnionAnswerForTor : Math.Max(MinOnionAnswer, chosen / 4);
        for (var i = 0; i < _onion.Count && i < maxOnion; i++)
        {
            WriteEntry(_onion[i]);
        }

        // Keep no records alive through the reused buffers.
        _onion.Clear();
        _buckets.Clear(count);
        return expires;
    }

    private PeersAnswerBuffer RentBuffer()
    {
        PeersAnswerBuffer? buffer = null;
        lock (_spareGate)
        {
            _spare.TryPop(out buffer);
        }

        buffer ??= new PeersAnswerBuffer(16 * 1024, Recycle);
        buffer.Reset();
        return buffer;
    }

    private void Recycle(PeersAnswerBuffer buffer)
    {
        lock (_spareGate)
        {
            if (_spare.Count < MaxSpareBuffers)
            {
                _spare.Push(buffer);
            }
        }
    }

    private bool IsTorAsker(EndPoint? asker)
        => asker is IPEndPoint { Address: { } address }
            && proxy?.ProxyEndPoint is IPEndPoint { Address: { } proxyAddress }
            && PeerAddress.Normalize(address).Equals(PeerAddress.Normalize(proxyAddress));

    private static void Shuffle<T>(Random pick, Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = pick.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    // The builder's own generator (builds are serialised), seeded once from the shared one so that it is not
    // locked for a whole build.
    private Random Picker()
    {
        if (_pick is null)
        {
            lock (random)
            {
                _pick = new Random(random.Next());
            }
        }

        return _pick;
    }

    private Range Stage(PeerRecord record)
    {
        var start = _text.Stage(_scratch, record.IPAddress, record.Host, record.Ports, record.Features?.ProtocolMax ?? record.Version, record.Features?.Pruning ?? record.Pruning, options.DefaultPorts);
        return start.._scratch.Length;
    }

    private void WriteEntry(PeerRecord record)
        => _text.WriteEntry(record.IPAddress, record.Host, record.Ports, record.Features?.ProtocolMax ?? record.Version, record.Features?.Pruning ?? record.Pruning, options.DefaultPorts);

    private void WriteEntry(IPAddress? address, PeerHost host, PeerPorts ports, ProtocolVersion? version, long? pruning)
        => _text.WriteEntry(address, host, ports, version, pruning, options.DefaultPorts);

    private readonly record struct AnswerKey(long GoodPeers, long Blacklist);

    private sealed record CachedAnswer(AnswerKey Key, DateTimeOffset Expires, PeersAnswerBuffer Buffer);
}
