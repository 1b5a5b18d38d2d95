using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;

namespace PeerManagement.Redis;

/// <summary>
/// A peer record as JSON in Redis. What comes back is read as untrusted input: the host is parsed like any other,
/// the features through <see cref="PeerFeatures.FromJson"/> (bounded), and anything unreadable is refused whole.
/// </summary>
internal static class PeerRecordCodec
{
    public static string Encode(PeerRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("host", record.Host.Value);
            WriteNumber(writer, "tcp", record.Ports.TcpPort);
            WriteNumber(writer, "ssl", record.Ports.SslPort);
            if (record.Version is { } version)
            {
                writer.WriteString("version", version.ToString());
            }

            WriteNumber(writer, "pruning", record.Pruning);
            writer.WriteString("source", record.Source);
            if (record.IPAddress is { } address)
            {
                writer.WriteString("ip", address.ToString());
            }

            WriteNumber(writer, "last_good", record.LastGood?.UtcTicks);
            WriteNumber(writer, "last_try", record.LastTry?.UtcTicks);
            writer.WriteNumber("tries", record.TryCount);
            if (record.BadReason is { } bad)
            {
                writer.WriteString("bad", bad);
            }

            if (record.Features is { } features)
            {
                writer.WritePropertyName("features");
                features.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a record; <see langword="null"/> with a reason when it is not one.</summary>
    public static PeerRecord? Decode(string json, out string? error)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !PeerHost.TryParse(GetString(root, "host"), out var host))
            {
                error = "no valid host";
                return null;
            }

            var record = new PeerRecord
            {
                Host = host,
                Ports = new PeerPorts(GetPort(root, "tcp"), GetPort(root, "ssl")),
                Version = ProtocolVersion.TryParse(GetString(root, "version"), out var version) ? version : null,
                Pruning = GetLong(root, "pruning"),
                Source = GetString(root, "source") ?? PeerSources.Seed,
                IPAddress = IPAddress.TryParse(GetString(root, "ip"), out var address) ? PeerAddress.Normalize(address) : null,
                LastGood = GetTime(root, "last_good"),
                LastTry = GetTime(root, "last_try"),
                TryCount = (int)Math.Clamp(GetLong(root, "tries") ?? 0, 0, int.MaxValue),
                BadReason = GetString(root, "bad"),
                Features = root.TryGetProperty("features", out var features) && features.ValueKind == JsonValueKind.Object ? PeerFeatures.FromJson(features) : null,
            };
            error = null;
            return record;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or FormatException or InvalidOperationException)
        {
            error = ex.Message;
            return null;
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }

    private static string? GetString(JsonElement root, string name)
        => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? GetLong(JsonElement root, string name)
        => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static int? GetPort(JsonElement root, string name)
        => GetLong(root, name) is { } port && PeerPorts.IsValidPort(port) ? (int)port : null;

    private static DateTimeOffset? GetTime(JsonElement root, string name)
        => GetLong(root, name) is { } ticks && ticks > 0 && ticks <= DateTimeOffset.MaxValue.UtcTicks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
}
