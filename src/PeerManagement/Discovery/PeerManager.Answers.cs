using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>What we answer other nodes.</summary>
public sealed partial class PeerManager
{
    private const string AddPeerSessionKey = "PeerManagement.AddPeer";
    private const int MaxOnionAnswerForTor = 50;
    private const int MinOnionAnswer = 10;
    private static readonly TimeSpan AnswerCacheLifetime = TimeSpan.FromSeconds(30);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<ProtocolVersion, string> VersionTokens = new();
    private CachedAnswer? _clearnetAnswer;
    private CachedAnswer? _torAnswer;

    /// <summary>
    /// <c>server.version [client_name, protocol]</c>: our name and the highest protocol version both sides speak.
    /// A protocol we cannot speak is a JSON-RPC error; malformed parameters get our highest version.
    /// </summary>
    internal JsonArray AnswerVersion(JsonElement parameters)
    {
        var ourMin = ProtocolVersion.Parse(_options.ProtocolMin);
        var ourMax = ProtocolVersion.Parse(_options.ProtocolMax);
        var chosen = ourMax;
        if (parameters.ValueKind == JsonValueKind.Array && parameters.GetArrayLength() >= 2)
        {
            var requested = parameters[1];
            ProtocolVersion? theirMin = null, theirMax = null;
            if (requested.ValueKind == JsonValueKind.String && ProtocolVersion.TryParse(requested.GetString(), out var single))
            {
                theirMin = theirMax = single;
            }
            else if (requested.ValueKind == JsonValueKind.Array && requested.GetArrayLength() == 2
                && requested[0].ValueKind == JsonValueKind.String && requested[1].ValueKind == JsonValueKind.String
                && ProtocolVersion.TryParse(requested[0].GetString(), out var low)
                && ProtocolVersion.TryParse(requested[1].GetString(), out var high))
            {
                theirMin = low;
                theirMax = high;
            }

            if (theirMin is { } tMin && theirMax is { } tMax)
            {
                chosen = tMax < ourMax ? tMax : ourMax;
                var floor = tMin > ourMin ? tMin : ourMin;
                if (chosen < floor)
                {
                    throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"unsupported protocol version; we speak {ourMin} to {ourMax}");
                }
            }
        }

        return new JsonArray(_options.ClientName, chosen.ToString());
    }

    /// <summary>
    /// <c>server.peers.subscribe</c>: recent good, public, not blacklisted peers, at most 2 chosen at random per
    /// external bucket; onion ones up to 50 for an asker that came over Tor, else up to max(10, count / 4); plus our
    /// own identities when they were verified recently (always in <see cref="PeerDiscoveryMode.Self"/>).
    /// </summary>
    internal JsonArray AnswerPeersSubscribe(EndPoint? asker)
    {
        // Askers come in bursts: an answer is reused while the table, the blacklist and the kind of asker are the
        // same, for at most AnswerCacheLifetime. Each caller gets its own node over the shared, immutable element.
        var isTor = IsTorAsker(asker);
        var now = _timeProvider.GetUtcNow();
        var key = (_table.Version, _blacklist.Version, isTor);
        var cached = isTor ? _torAnswer : _clearnetAnswer;
        if (cached is not null && cached.Key == key && now < cached.Expires)
        {
            return JsonArray.Create(cached.Answer)!;
        }

        var answer = BuildPeersSubscribe(isTor);
        var entry = new CachedAnswer(key, now + AnswerCacheLifetime, answer);
        if (isTor)
        {
            _torAnswer = entry;
        }
        else
        {
            _clearnetAnswer = entry;
        }

        return JsonArray.Create(answer)!;
    }

    /// <summary>Builds the <c>server.peers.subscribe</c> answer afresh (a new random choice).</summary>
    internal JsonElement BuildPeersSubscribe(bool isTor)
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            WritePeersSubscribe(writer, isTor);
            writer.WriteEndArray();
        }

        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        return JsonElement.ParseValue(ref reader);
    }

    private void WritePeersSubscribe(Utf8JsonWriter writer, bool isTor)
    {
        if (_options.Discovery == PeerDiscoveryMode.Off)
        {
            return;
        }

        if (_options.Discovery == PeerDiscoveryMode.Self)
        {
            foreach (var identity in _identities)
            {
                WriteEntry(writer, null, identity.Host, identity.Ports, identity.Version, identity.Pruning);
            }

            return;
        }

        var now = _timeProvider.GetUtcNow();
        var records = _table.GetRecords();
        var clearnet = new List<PeerRecord>();
        var onion = new List<PeerRecord>();
        foreach (var record in records)
        {
            if (record.GetStatus(now, _options.StaleAfter) != PeerStatus.Good)
            {
                continue;
            }

            if (_identityHosts.Contains(record.Host))
            {
                WriteEntry(writer, record);
                continue;
            }

            if ((!record.Host.IsPublic && !_options.AllowNonPublicPeers) || _blacklist.IsBlacklisted(record.Host, record.IPAddress, now))
            {
                continue;
            }

            (record.Host.IsOnion ? onion : clearnet).Add(record);
        }

        lock (_random)
        {
            Shuffle(clearnet);
            Shuffle(onion);
        }

        var perBucket = new Dictionary<(int Family, UInt128 Network), int>();
        var chosen = 0;
        foreach (var record in clearnet)
        {
            var key = ExternalBucket(record);
            perBucket.TryGetValue(key, out var count);
            if (count < 2)
            {
                perBucket[key] = count + 1;
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

    /// <summary>
    /// <c>server.add_peer [features]</c>: accepts the first host of the features when discovery is on, the caller's
    /// address is known, this session has not announced before, its bucket has not announced within the pause,
    /// and (clearnet) the host resolves to the caller's address or (onion) the random permit allows it.
    /// </summary>
    internal async Task<bool> OnAddPeerAsync(JsonRpcCall call, CancellationToken cancellationToken)
    {
        var endPoint = call.Session.RemoteEndPoint;
        var sourceText = endPoint?.ToString() ?? "unknown";
        if (_options.Discovery != PeerDiscoveryMode.On)
        {
            return Reject(sourceText, "?", "peer discovery is not on");
        }

        if (endPoint is not IPEndPoint { Address: { } rawSource })
        {
            return Reject(sourceText, "?", "the source address is unknown");
        }

        var source = Normalize(rawSource)!;
        sourceText = source.ToString();
        lock (call.Session.Items)
        {
            if (call.Session.Items.ContainsKey(AddPeerSessionKey))
            {
                return Reject(sourceText, "?", "this connection already announced a peer");
            }

            call.Session.Items[AddPeerSessionKey] = true;
        }

        if (ReadFirstPeer(call.Parameters) is not { } peer)
        {
            return Reject(sourceText, "?", "no valid peer given");
        }

        var host = peer.Host;
        if (RejectReason(host) is { } unacceptable)
        {
            return Reject(sourceText, host.Value, unacceptable);
        }

        if (!PeerHost.FromAddress(source).IsPublic && !_options.AllowNonPublicPeers)
        {
            return Reject(sourceText, host.Value, "the caller's address is not public");
        }

        if (_table.Count >= _options.MaxPeers)
        {
            return Reject(sourceText, host.Value, "the peer table is full");
        }

        var now = _timeProvider.GetUtcNow();
        if (!_addPeerBudget.HasRoom(now))
        {
            return RejectOverBudget(sourceText, host.Value);
        }

        if (!_addPeerPauses.TryRecord(AddPeerPauseKey(source, host), now))
        {
            return Reject(sourceText, host.Value, "rate limiting: its network announced a peer recently");
        }

        if (host.IsOnion)
        {
            lock (_random)
            {
                if (now < _onionPermitTime)
                {
                    return Reject(sourceText, host.Value, "rate limiting: onion peers are accepted only now and then");
                }

                _onionPermitTime = now + TimeSpan.FromTicks((long)(_random.NextDouble() * _options.MaxOnionAddInterval.Ticks));
            }
        }
        else if (host.Address is { } literal)
        {
            if (!literal.Equals(source))
            {
                return Reject(sourceText, host.Value, "source-destination mismatch");
            }
        }
        else
        {
            IReadOnlyList<IPAddress> addresses;
            try
            {
                addresses = await _resolver.ResolveAsync(host.Value, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return Reject(sourceText, host.Value, "address resolution failure");
            }

            if (!addresses.Any(a => source.Equals(Normalize(a))))
            {
                return Reject(sourceText, host.Value, addresses.Count == 0 ? "address resolution failure" : "source-destination mismatch");
            }
        }

        if (!_addPeerBudget.TryTake(_timeProvider.GetUtcNow()))
        {
            return RejectOverBudget(sourceText, host.Value);
        }

        Log.AddPeerAccepted(_logger, sourceText, host.Value);
        NotePeers([peer], PeerSources.AddPeer, checkPorts: true, capped: false);
        return true;
    }

    private bool Reject(string source, string host, string reason)
    {
        Log.AddPeerRejected(_logger, source, host, reason);
        return false;
    }

    private bool RejectOverBudget(string source, string host)
    {
        if (Interlocked.Exchange(ref _addPeerBudgetWarned, 1) == 0)
        {
            Log.AddPeerBudgetExhausted(_logger, _options.AddPeerBudget, _options.AddPeerBudgetInterval);
        }

        return Reject(source, host, "rate limiting: too many peers announced lately");
    }

    private PeerRealName? ReadFirstPeer(JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Array || parameters.GetArrayLength() < 1)
        {
            return null;
        }

        var features = parameters[0];
        if (features.ValueKind != JsonValueKind.Object
            || !features.TryGetProperty("hosts", out var hosts)
            || hosts.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        // Only the first host is considered.
        foreach (var entry in hosts.EnumerateObject())
        {
            string name;
            try
            {
                name = entry.Name;
            }
            catch (InvalidOperationException)
            {
                return null;
            }

            if (!PeerHost.TryParse(name, out var host))
            {
                return null;
            }

            var parsed = PeerFeatures.FromJson(features);
            var ports = parsed.Hosts.TryGetValue(host, out var p) ? p : PeerPorts.None;
            return new PeerRealName(host, ports, parsed.ProtocolMax, parsed.Pruning);
        }

        return null;
    }

    /// <summary>
    /// What an announcement is paused under: the caller's network (IPv4 /24, IPv6 /48 by default), since a clearnet
    /// host must resolve to the caller; an onion host, which arrives through the local Tor daemon, by itself (the
    /// onion permit limits onion announcements as a whole).
    /// </summary>
    private string AddPeerPauseKey(IPAddress source, PeerHost host)
        => host.IsOnion
            ? host.Value
            : NetworkPrefix.Of(source, _options.AddPeerIPv4PrefixLength, _options.AddPeerIPv6PrefixLength).ToString();

    private bool IsTorAsker(EndPoint? asker)
        => asker is IPEndPoint { Address: { } address }
            && _proxy?.ProxyEndPoint is IPEndPoint { Address: { } proxyAddress }
            && Normalize(address)!.Equals(Normalize(proxyAddress));

    private void Shuffle(List<PeerRecord> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    /// <summary>The external bucket as numbers (no strings): IPv4 /16, IPv6 /56; no address known: one bucket.</summary>
    private static (int Family, UInt128 Network) ExternalBucket(PeerRecord record)
    {
        var address = record.IPAddress ?? record.Host.Address;
        if (address is null)
        {
            return (0, UInt128.Zero);
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return (4, BinaryPrimitives.ReadUInt32BigEndian(bytes) >> 16);
        }

        address.TryWriteBytes(bytes, out _);
        return (6, BinaryPrimitives.ReadUInt128BigEndian(bytes) >> 72);
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
        if (version is { } v)
        {
            writer.WriteStringValue(VersionToken(v));
        }

        if (pruning is { } p)
        {
            WriteToken(writer, text, 'p', p);
        }

        var defaults = _options.DefaultPorts;
        if (ports.SslPort is { } ssl)
        {
            if (ssl == defaults.Ssl)
            {
                writer.WriteStringValue("s");
            }
            else
            {
                WriteToken(writer, text, 's', ssl);
            }
        }

        if (ports.TcpPort is { } tcp)
        {
            if (tcp == defaults.Tcp)
            {
                writer.WriteStringValue("t");
            }
            else
            {
                WriteToken(writer, text, 't', tcp);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndArray();
    }

    private static void WriteToken(Utf8JsonWriter writer, Span<char> buffer, char letter, long number)
    {
        buffer[0] = letter;
        number.TryFormat(buffer[1..], out var digits, default, CultureInfo.InvariantCulture);
        writer.WriteStringValue(buffer[..(1 + digits)]);
    }

    private static string VersionToken(ProtocolVersion version)
        => VersionTokens.Count < 64 ? VersionTokens.GetOrAdd(version, static v => "v" + v.ToString()) : "v" + version.ToString();

    private sealed record CachedAnswer((long Table, long Blacklist, bool Tor) Key, DateTimeOffset Expires, JsonElement Answer);
}
