using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>
/// What a server says of itself in its <c>server.features</c> answer, canonicalised. Remote values are
/// untrusted: <see cref="FromJson"/> keeps what has the right type and range and drops the rest, and never
/// throws. Compact however it is created: the hosts are kept in a small read-only map, and the strings most
/// peers report identically (genesis hash, hash function, server version) are shared between features objects
/// through a bounded cache, so a table of 100,000 peers does not keep 100,000 copies of them.
/// </summary>
public sealed record PeerFeatures
{
    /// <summary>At most this many entries of <c>hosts</c> are kept; a real server lists a handful.</summary>
    public const int MaxHosts = 32;

    /// <summary>Strings longer than this (server version, hash function, genesis hash) are dropped.</summary>
    public const int MaxStringLength = 256;

    private readonly IReadOnlyDictionary<PeerHost, PeerPorts> _hosts = PeerHostPortsMap.Empty;
    private readonly string? _genesisHash;
    private readonly string? _hashFunction;
    private readonly string? _serverVersion;

    /// <summary>The features of a server that said nothing usable.</summary>
    public static PeerFeatures Empty { get; } = new();

    /// <summary>
    /// The hosts the server answers as, with their ports. The dictionary given is copied into a compact
    /// read-only map (later changes to it have no effect); <see langword="null"/> means none. Two features objects
    /// with the same hosts and ports compare equal, whatever the order.
    /// </summary>
    public IReadOnlyDictionary<PeerHost, PeerPorts> Hosts
    {
        get => _hosts;
        init => _hosts = PeerHostPortsMap.From(value);
    }

    /// <summary>The hash of the network's genesis block, lower-case hex (shared with equal values).</summary>
    public string? GenesisHash
    {
        get => _genesisHash;
        init => _genesisHash = Share(value);
    }

    /// <summary>The script hash function, e.g. <c>sha256</c> (shared with equal values).</summary>
    public string? HashFunction
    {
        get => _hashFunction;
        init => _hashFunction = Share(value);
    }

    /// <summary>The server software and version, e.g. <c>ElectrumX 1.16.0</c> (shared with equal values).</summary>
    public string? ServerVersion
    {
        get => _serverVersion;
        init => _serverVersion = Share(value);
    }

    /// <summary>The lowest protocol version the server speaks.</summary>
    public ProtocolVersion? ProtocolMin { get; init; }

    /// <summary>The highest protocol version the server speaks.</summary>
    public ProtocolVersion? ProtocolMax { get; init; }

    /// <summary>The pruning limit in blocks, when the server prunes.</summary>
    public long? Pruning { get; init; }

    /// <summary>
    /// Reads a <c>server.features</c> result. Anything of the wrong type or range is dropped; a non-object
    /// gives <see cref="Empty"/>.
    /// </summary>
    /// <param name="element">The JSON result.</param>
    /// <returns>The canonical features.</returns>
    public static PeerFeatures FromJson(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return Empty;
        }

        var features = new PeerFeatures();
        foreach (var property in element.EnumerateObject())
        {
            try
            {
                features = ReadProperty(features, property);
            }
            catch (InvalidOperationException)
            {
                // A name or string that is not valid UTF-8: drop that property, keep the rest.
            }
        }

        return features;
    }

    private static PeerFeatures ReadProperty(PeerFeatures features, JsonProperty property)
    {
        var value = property.Value;
        return property.Name switch
        {
            "hosts" => features with { Hosts = ReadHosts(value) },
            "genesis_hash" => features with { GenesisHash = ReadString(value)?.ToLowerInvariant() },
            "hash_function" => features with { HashFunction = ReadString(value) },
            "server_version" => features with { ServerVersion = ReadString(value) },
            "protocol_min" => features with { ProtocolMin = ReadVersion(value) },
            "protocol_max" => features with { ProtocolMax = ReadVersion(value) },
            "pruning" => features with { Pruning = value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var p) && p > 0 ? p : null },
            _ => features,
        };
    }

    /// <summary>Writes the features as a <c>server.features</c> object.</summary>
    /// <param name="writer">The writer.</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is <see langword="null"/>.</exception>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteStartObject("hosts");
        foreach (var (host, ports) in Hosts)
        {
            writer.WriteStartObject(host.Value);
            WritePort(writer, "tcp_port", ports.TcpPort);
            WritePort(writer, "ssl_port", ports.SslPort);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        WriteOptional(writer, "genesis_hash", GenesisHash);
        WriteOptional(writer, "hash_function", HashFunction);
        WriteOptional(writer, "server_version", ServerVersion);
        WriteOptional(writer, "protocol_min", ProtocolMin?.ToString());
        WriteOptional(writer, "protocol_max", ProtocolMax?.ToString());
        if (Pruning is { } pruning)
        {
            writer.WriteNumber("pruning", pruning);
        }
        else
        {
            writer.WriteNull("pruning");
        }

        writer.WriteEndObject();
    }

    /// <summary>The features as a JSON object, e.g. to answer <c>server.features</c>.</summary>
    /// <returns>A new JSON object.</returns>
    public JsonObject ToJsonObject()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTo(writer);
        }

        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }

    private static PeerHostPortsMap ReadHosts(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return PeerHostPortsMap.Empty;
        }

        var hosts = new List<KeyValuePair<PeerHost, PeerPorts>>(1);
        foreach (var entry in value.EnumerateObject())
        {
            if (hosts.Count == MaxHosts)
            {
                break;
            }

            if (!TryReadName(entry, out var host) || hosts.Exists(h => h.Key == host))
            {
                continue;
            }

            int? tcp = null, ssl = null;
            if (entry.Value.ValueKind == JsonValueKind.Object)
            {
                foreach (var port in entry.Value.EnumerateObject())
                {
                    if (port.NameEquals("tcp_port"))
                    {
                        tcp = ReadPort(port.Value);
                    }
                    else if (port.NameEquals("ssl_port"))
                    {
                        ssl = ReadPort(port.Value);
                    }
                }
            }

            hosts.Add(new(host, new PeerPorts(tcp, ssl)));
        }

        return hosts.Count == 0 ? PeerHostPortsMap.Empty : new PeerHostPortsMap([.. hosts]);
    }

    private static bool TryReadName(JsonProperty entry, out PeerHost host)
    {
        try
        {
            return PeerHost.TryParse(entry.Name, out host);
        }
        catch (InvalidOperationException)
        {
            host = default;
            return false;
        }
    }

    /// <summary>A port given as a number or a numeric string, kept only when <c>0 &lt; port &lt; 65536</c>.</summary>
    private static int? ReadPort(JsonElement value)
    {
        long port;
        switch (value.ValueKind)
        {
            case JsonValueKind.Number when value.TryGetInt64(out port):
            case JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out port):
                return PeerPorts.IsValidPort(port) ? (int)port : null;
            default:
                return null;
        }
    }

    private static string? ReadString(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var text = value.GetString();
        return text is { Length: > 0 and <= MaxStringLength } ? text : null;
    }

    private static string? Share(string? text) => text is null ? null : SharedStrings.Share(text);

    private static ProtocolVersion? ReadVersion(JsonElement value)
        => ReadString(value) is { } text && ProtocolVersion.TryParse(text, out var version) ? version : null;

    private static void WritePort(Utf8JsonWriter writer, string name, int? port)
    {
        if (port is { } p)
        {
            writer.WriteNumber(name, p);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
