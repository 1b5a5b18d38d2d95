using System.Text.Json;
using System.Text.Json.Serialization;

namespace PeerManagement;

// The JSON shape of a peer store file (format version 1). Plain data for the source-generated serializer; the
// store converts it to and from PeerRecord and validates every value on the way in.

/// <summary>The body of a peer store file: the whole table.</summary>
internal sealed class PeerStoreDocument
{
    [JsonRequired]
    public List<PeerStoreEntry?> Peers { get; set; } = [];
}

/// <summary>One peer: a <see cref="PeerRecord"/> with its values as text and numbers.</summary>
internal sealed class PeerStoreEntry
{
    public string? Host { get; set; }

    [JsonPropertyName("tcp")]
    public int? TcpPort { get; set; }

    [JsonPropertyName("ssl")]
    public int? SslPort { get; set; }

    public string? Version { get; set; }

    public long? Pruning { get; set; }

    public string? Source { get; set; }

    [JsonPropertyName("ip")]
    public string? IPAddress { get; set; }

    [JsonConverter(typeof(PeerStoreTimeConverter))]
    public DateTimeOffset? LastGood { get; set; }

    [JsonConverter(typeof(PeerStoreTimeConverter))]
    public DateTimeOffset? LastTry { get; set; }

    [JsonPropertyName("tries")]
    public int TryCount { get; set; }

    public string? BadReason { get; set; }

    public PeerStoreFeatures? Features { get; set; }
}

/// <summary>A <see cref="PeerFeatures"/>.</summary>
internal sealed class PeerStoreFeatures
{
    public Dictionary<string, PeerStorePorts>? Hosts { get; set; }

    public string? GenesisHash { get; set; }

    public string? HashFunction { get; set; }

    public string? ServerVersion { get; set; }

    public string? ProtocolMin { get; set; }

    public string? ProtocolMax { get; set; }

    public long? Pruning { get; set; }
}

/// <summary>A <see cref="PeerPorts"/>.</summary>
internal sealed class PeerStorePorts
{
    [JsonPropertyName("tcp")]
    public int? TcpPort { get; set; }

    [JsonPropertyName("ssl")]
    public int? SslPort { get; set; }
}

/// <summary>
/// A time as the default converter writes it (ISO 8601). A string that is not a representable time (a date past
/// year 9999 once its offset is applied, or garbage) reads as <see cref="DateTimeOffset.MinValue"/>, which the
/// reader clears like any time out of range, instead of failing the whole entry.
/// </summary>
internal sealed class PeerStoreTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("A time must be a string.");
        }

        return reader.TryGetDateTimeOffset(out var time) ? time : DateTimeOffset.MinValue;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
        => writer.WriteStringValue(value);
}

/// <summary>The source-generated serializer of the store file: no reflection at run time.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PeerStoreDocument))]
[JsonSerializable(typeof(PeerStoreEntry))]
internal sealed partial class PeerStoreJsonContext : JsonSerializerContext;
