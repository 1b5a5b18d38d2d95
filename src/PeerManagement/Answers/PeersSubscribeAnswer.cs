using System.Buffers;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>
/// <c>server.peers.subscribe</c>: recent good, public, not blacklisted peers, at most 2 chosen at random per
/// external bucket (IPv4 /16, IPv6 /56); onion ones up to 50 for an asker that came over Tor, else up to
/// max(10, count / 4); plus our own identities when they were verified recently (always in
/// <see cref="PeerDiscoveryMode.Self"/>). Askers come in bursts, so an answer is reused for a while.
/// </summary>
internal sealed class PeersSubscribeAnswer(
    PeerTable table,
    PeerManagementOptions options,
    OwnIdentities identities,
    PeerBlacklist blacklist,
    IProxyConnector? proxy,
    Random random,
    TimeProvider timeProvider)
{
    private const int MaxOnionAnswerForTor = 50;
    private const int MinOnionAnswer = 10;
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(30);
    private CachedAnswer? _clearnet;
    private CachedAnswer? _tor;

    /// <summary>The answer for <paramref name="asker"/>; each caller gets its own node over a shared, immutable element.</summary>
    public JsonArray Answer(EndPoint? asker)
    {
        // Reused while the table, the blacklist and the kind of asker are the same, for at most CacheLifetime.
        var isTor = IsTorAsker(asker);
        var now = timeProvider.GetUtcNow();
        var key = (table.Version, blacklist.Version, isTor);
        var cached = isTor ? _tor : _clearnet;
        if (cached is not null && cached.Key == key && now < cached.Expires)
        {
            return JsonArray.Create(cached.Answer)!;
        }

        var answer = Build(isTor);
        var entry = new CachedAnswer(key, now + CacheLifetime, answer);
        if (isTor)
        {
            _tor = entry;
        }
        else
        {
            _clearnet = entry;
        }

        return JsonArray.Create(answer)!;
    }

    /// <summary>Builds the answer afresh (a new random choice).</summary>
    public JsonElement Build(bool isTor)
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            Write(writer, isTor);
            writer.WriteEndArray();
        }

        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        return JsonElement.ParseValue(ref reader);
    }

    private void Write(Utf8JsonWriter writer, bool isTor)
    {
        if (options.Discovery == PeerDiscoveryMode.Off)
        {
            return;
        }

        if (options.Discovery == PeerDiscoveryMode.Self)
        {
            foreach (var identity in identities.All)
            {
                WriteEntry(writer, null, identity.Host, identity.Ports, identity.Version, identity.Pruning);
            }

            return;
        }

        var now = timeProvider.GetUtcNow();
        var clearnet = new List<PeerRecord>();
        var onion = new List<PeerRecord>();
        foreach (var record in table.GetRecords())
        {
            if (record.GetStatus(now, table.StaleAfter) != PeerStatus.Good)
            {
                continue;
            }

            if (identities.Contains(record.Host))
            {
                WriteEntry(writer, record);
                continue;
            }

            if ((!record.Host.IsPublic && !options.AllowNonPublicPeers) || blacklist.IsBlacklisted(record.Host, record.IPAddress, now))
            {
                continue;
            }

            (record.Host.IsOnion ? onion : clearnet).Add(record);
        }

        lock (random)
        {
            Shuffle(clearnet);
            Shuffle(onion);
        }

        // At most two per external bucket; a name whose address is not known yet shares one bucket (the default key).
        var perBucket = new Dictionary<NetworkPrefix, int>();
        var chosen = 0;
        foreach (var record in clearnet)
        {
            var address = record.IPAddress ?? record.Host.Address;
            var bucket = address is null ? default : PeerBuckets.GetExternalNetwork(address);
            perBucket.TryGetValue(bucket, out var count);
            if (count < 2)
            {
                perBucket[bucket] = count + 1;
                WriteEntry(writer, record);
                chosen++;
            }
        }

        var maxOnion = isTor ? MaxOnionAnswerForTor : Math.Max(MinOnionAnswer, chosen / 4);
        for (var i = 0; i < onion.Count && i < maxOnion; i++)
        {
            WriteEntry(writer, onion[i]);
        }
    }

    private bool IsTorAsker(EndPoint? asker)
        => asker is IPEndPoint { Address: { } address }
            && proxy?.ProxyEndPoint is IPEndPoint { Address: { } proxyAddress }
            && PeerAddress.Normalize(address).Equals(PeerAddress.Normalize(proxyAddress));

    private void Shuffle(List<PeerRecord> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    private void WriteEntry(Utf8JsonWriter writer, PeerRecord record)
        => WriteEntry(writer, record.IPAddress, record.Host, record.Ports, record.Features?.ProtocolMax ?? record.Version, record.Features?.Pruning ?? record.Pruning);

    /// <summary>Writes <c>[ip-or-host, host, ["v1.4", "p100", "s", "t50011"]]</c>.</summary>
    private void WriteEntry(Utf8JsonWriter writer, IPAddress? address, PeerHost host, PeerPorts ports, ProtocolVersion? version, long? pruning)
    {
        writer.WriteStartArray();
        Span<char> text = stackalloc char[64];
        if (address is not null && address.TryFormat(text, out var written))
        {
            writer.WriteStringValue(text[..written]);
        }
        else
        {
            writer.WriteStringValue(host.Value);
        }

        writer.WriteStringValue(host.Value);
        writer.WriteStartArray();
        PeerRealName.FormatTokens(ports, version, pruning, options.DefaultPorts, static (token, w) => w.WriteStringValue(token), writer);
        writer.WriteEndArray();
        writer.WriteEndArray();
    }

    private sealed record CachedAnswer((long Table, long Blacklist, bool Tor) Key, DateTimeOffset Expires, JsonElement Answer);
}
