using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PeerManagement;

/// <summary>
/// The layout of a peer store file. Format version 1 is one ASCII header line followed by a UTF-8 JSON body:
/// <code>
/// PMPEERS 1 0000000000000012345 &lt;SHA-256 of the body, 64 lower-case hex digits&gt;\n
/// {"peers":[{"host":"electrum.example.org","tcp":50001,"ssl":50002,...}, ...]}
/// </code>
/// The header carries the magic word, the format version, the body's length in bytes (19 digits) and its
/// SHA-256; a file whose body does not have exactly that length and hash is damaged.
/// </summary>
internal static class PeerStoreFormat
{
    /// <summary>The format version written, and the only one read.</summary>
    public const int Version = 1;

    /// <summary>The length of a version 1 header, line feed included.</summary>
    public const int HeaderLength = 7 + 1 + 1 + 1 + LengthDigits + 1 + (2 * SHA256.HashSizeInBytes) + 1;

    private const int LengthDigits = 19;

    // A header of another version may be longer; no header is longer than this.
    private const int MaxHeaderLength = 256;

    private static ReadOnlySpan<byte> Magic => "PMPEERS"u8;

    /// <summary>Writes the header of a body of <paramref name="bodyLength"/> bytes with hash <paramref name="sha256"/>.</summary>
    public static void WriteHeader(Span<byte> destination, long bodyLength, ReadOnlySpan<byte> sha256)
    {
        var header = string.Create(
            CultureInfo.InvariantCulture,
            $"PMPEERS {Version} {bodyLength.ToString("D" + LengthDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)} {Convert.ToHexStringLower(sha256)}\n");
        Encoding.ASCII.GetBytes(header, destination);
    }

    /// <summary>Checks the header, length and hash of a whole file and returns its body.</summary>
    /// <param name="file">The file's bytes.</param>
    /// <param name="body">The verified body.</param>
    /// <param name="error">Why the file is damaged, when it is.</param>
    /// <returns><see langword="true"/> when the file is intact.</returns>
    public static bool TryGetBody(ReadOnlySpan<byte> file, out ReadOnlySpan<byte> body, [NotNullWhen(false)] out string? error)
    {
        body = default;
        if (file.IsEmpty)
        {
            error = "the file is empty";
            return false;
        }

        var end = file[..Math.Min(file.Length, MaxHeaderLength)].IndexOf((byte)'\n');
        if (end < 0 || !file.StartsWith(Magic) || file.Length == Magic.Length || file[Magic.Length] != (byte)' ')
        {
            error = "it does not start with a peer store header";
            return false;
        }

        var fields = file[(Magic.Length + 1)..end];
        var space = fields.IndexOf((byte)' ');
        var versionText = space < 0 ? fields : fields[..space];
        if (!Utf8Parser.TryParse(versionText, out int version, out var consumed) || consumed != versionText.Length)
        {
            error = "the format version is unreadable";
            return false;
        }

        if (version != Version)
        {
            error = $"format version {version} is not supported (this version reads format {Version})";
            return false;
        }

        if (end != HeaderLength - 1 || space < 0)
        {
            error = "the header is malformed";
            return false;
        }

        var rest = fields[(space + 1)..];
        if (rest.Length != LengthDigits + 1 + (2 * SHA256.HashSizeInBytes) || rest[LengthDigits] != (byte)' '
            || !Utf8Parser.TryParse(rest[..LengthDigits], out long length, out consumed) || consumed != LengthDigits)
        {
            error = "the header is malformed";
            return false;
        }

        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        var hex = Encoding.ASCII.GetString(rest[(LengthDigits + 1)..]);
        if (Convert.FromHexString(hex, expected, out _, out var written) != System.Buffers.OperationStatus.Done || written != expected.Length)
        {
            error = "the header's checksum is unreadable";
            return false;
        }

        body = file[HeaderLength..];
        if (body.Length != length)
        {
            error = $"the body is {body.Length} bytes but the header says {length} (truncated or extended)";
            return false;
        }

        Span<byte> actual = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, actual);
        if (!actual.SequenceEqual(expected))
        {
            error = "the checksum does not match the content";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Reads a verified body into records, skipping entries whose values are not valid.</summary>
    /// <param name="body">The body.</param>
    /// <param name="records">The records read.</param>
    /// <param name="skipped">How many entries were skipped.</param>
    /// <param name="error">Why the body is not a peer table, when it is not.</param>
    /// <returns><see langword="true"/> when the body is a peer table.</returns>
    public static bool TryReadBody(ReadOnlySpan<byte> body, [NotNullWhen(true)] out List<PeerRecord>? records, out int skipped, [NotNullWhen(false)] out string? error)
    {
        records = null;
        skipped = 0;
        try
        {
            return TryReadPeers(body, out records, out skipped, out error);
        }
        catch (JsonException e)
        {
            records = null;
            error = $"the content is not a peer table: {e.Message}";
            return false;
        }
    }

    private static bool TryReadPeers(ReadOnlySpan<byte> body, [NotNullWhen(true)] out List<PeerRecord>? records, out int skipped, [NotNullWhen(false)] out string? error)
    {
        // Entry by entry, each converted as soon as it is read: the intermediate objects die young instead of
        // living, with the whole file's worth of them, until the end (which made the garbage collector copy them).
        records = null;
        skipped = 0;
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = "the content is not a peer table: it is not a JSON object";
            return false;
        }

        var strings = new StringPool();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isPeers = reader.ValueTextEquals("peers"u8);
            reader.Read();
            if (!isPeers)
            {
                reader.Skip(); // a property of a later version: ignored
                continue;
            }

            if (records is not null || reader.TokenType != JsonTokenType.StartArray)
            {
                error = "the content is not a peer table: \"peers\" is not one list";
                return false;
            }

            records = [];
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var entry = JsonSerializer.Deserialize(ref reader, PeerStoreJsonContext.Default.PeerStoreEntry);
                if (entry is not null && TryToRecord(entry, strings, out var record))
                {
                    records.Add(record);
                }
                else
                {
                    skipped++;
                }
            }
        }

        // Reading past the end throws on anything but whitespace after the object.
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            records = null;
            error = "the content is not a peer table: it does not end after its object";
            return false;
        }

        if (records is null)
        {
            error = "the content is not a peer table: it has no list of peers";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>
    /// Writes the body for <paramref name="peers"/> to <paramref name="stream"/>, entry by entry, so the
    /// intermediate objects die young however big the table is. Synchronous (the file store runs it on the thread
    /// pool): a round trip through the thread pool for every chunk made a save several times slower under load.
    /// </summary>
    public static void WriteBody(Stream stream, IReadOnlyList<PeerRecord> peers, CancellationToken cancellationToken)
    {
        // The serializer flushes its writer after every value: into memory, and the stream gets big chunks.
        const int ChunkBytes = 64 * 1024;
        var buffer = new ArrayBufferWriter<byte>(ChunkBytes + (ChunkBytes / 2));
        using var writer = new Utf8JsonWriter(buffer);
        writer.WriteStartObject();
        writer.WriteStartArray("peers"u8);
        for (var i = 0; i < peers.Count; i++)
        {
            JsonSerializer.Serialize(writer, ToEntry(peers[i]), PeerStoreJsonContext.Default.PeerStoreEntry);
            if (buffer.WrittenCount >= ChunkBytes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                stream.Write(buffer.WrittenSpan);
                buffer.ResetWrittenCount();
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        stream.Write(buffer.WrittenSpan);
    }

    /// <summary>The whole document for <paramref name="peers"/> (what <see cref="WriteBody"/> writes).</summary>
    public static PeerStoreDocument ToDocument(IReadOnlyList<PeerRecord> peers)
    {
        var entries = new List<PeerStoreEntry?>(peers.Count);
        for (var i = 0; i < peers.Count; i++)
        {
            entries.Add(ToEntry(peers[i]));
        }

        return new PeerStoreDocument { Peers = entries };
    }

    private static PeerStoreEntry ToEntry(PeerRecord peer) => new()
    {
        Host = peer.Host.Value,
        TcpPort = peer.Ports.TcpPort,
        SslPort = peer.Ports.SslPort,
        Version = peer.Version?.ToString(),
        Pruning = peer.Pruning,
        Source = peer.Source,
        IPAddress = peer.IPAddress?.ToString(),
        LastGood = peer.LastGood,
        LastTry = peer.LastTry,
        TryCount = peer.TryCount,
        BadReason = peer.BadReason,
        Features = peer.Features is { } features ? ToDocument(features) : null,
    };

    private static PeerStoreFeatures ToDocument(PeerFeatures features)
    {
        Dictionary<string, PeerStorePorts>? hosts = null;
        if (features.Hosts.Count > 0)
        {
            hosts = new Dictionary<string, PeerStorePorts>(features.Hosts.Count, StringComparer.Ordinal);
            foreach (var (host, ports) in features.Hosts)
            {
                hosts[host.Value] = new PeerStorePorts { TcpPort = ports.TcpPort, SslPort = ports.SslPort };
            }
        }

        return new PeerStoreFeatures
        {
            Hosts = hosts,
            GenesisHash = features.GenesisHash,
            HashFunction = features.HashFunction,
            ServerVersion = features.ServerVersion,
            ProtocolMin = features.ProtocolMin?.ToString(),
            ProtocolMax = features.ProtocolMax?.ToString(),
            Pruning = features.Pruning,
        };
    }

    private static bool TryToRecord(PeerStoreEntry entry, StringPool strings, [NotNullWhen(true)] out PeerRecord? record)
    {
        record = null;
        IPAddress? address = null;
        ProtocolVersion? version = null;
        PeerFeatures? features = null;
        if (!PeerHost.TryParse(entry.Host, out var host)
            || !TryGetPorts(entry.TcpPort, entry.SslPort, out var ports)
            || (entry.Version is not null && !TryGetVersion(entry.Version, out version))
            || entry.Source is null
            || (entry.IPAddress is not null && !IPAddress.TryParse(entry.IPAddress, out address))
            || entry.TryCount < 0
            || (entry.Features is not null && !TryToFeatures(entry.Features, host, out features)))
        {
            return false;
        }

        record = new PeerRecord
        {
            Host = host,
            Ports = ports,
            Version = version,
            Pruning = entry.Pruning,
            Features = features,
            Source = strings.Get(entry.Source),
            IPAddress = address,
            LastGood = entry.LastGood,
            LastTry = entry.LastTry,
            TryCount = entry.TryCount,
            BadReason = strings.Get(entry.BadReason),
        };
        return true;
    }

    private static bool TryToFeatures(PeerStoreFeatures stored, PeerHost owner, [NotNullWhen(true)] out PeerFeatures? features)
    {
        features = null;
        // The same compact map as features read from a peer (usually one host), not a dictionary per entry.
        var hosts = new KeyValuePair<PeerHost, PeerPorts>[stored.Hosts?.Count ?? 0];
        var count = 0;
        if (stored.Hosts is not null)
        {
            foreach (var (name, storedPorts) in stored.Hosts)
            {
                // Usually the peer lists its own host: no need to parse it twice.
                var host = owner;
                if ((name != owner.Value && !PeerHost.TryParse(name, out host)) || storedPorts is null
                    || !TryGetPorts(storedPorts.TcpPort, storedPorts.SslPort, out var ports)
                    || count == PeerFeatures.MaxHosts || Array.FindIndex(hosts, 0, count, h => h.Key == host) >= 0)
                {
                    return false;
                }

                hosts[count++] = new(host, ports);
            }
        }

        ProtocolVersion? min = null, max = null;
        if ((stored.ProtocolMin is not null && !TryGetVersion(stored.ProtocolMin, out min))
            || (stored.ProtocolMax is not null && !TryGetVersion(stored.ProtocolMax, out max)))
        {
            return false;
        }

        features = new PeerFeatures
        {
            Hosts = count == 0 ? PeerHostPortsMap.Empty : new PeerHostPortsMap(hosts),
            // Shared with the features read from live peers, so a loaded table and fresh checks keep one copy.
            GenesisHash = Share(stored.GenesisHash),
            HashFunction = Share(stored.HashFunction),
            ServerVersion = Share(stored.ServerVersion),
            ProtocolMin = min,
            ProtocolMax = max,
            Pruning = stored.Pruning,
        };
        return true;
    }

    private static string? Share(string? value) => value is null ? null : SharedStrings.Share(value);

    /// <summary>
    /// Shares equal sources and bad reasons among the records of one load: they repeat across thousands of peers,
    /// but are too varied (source host names, reasons with heights) for the process-wide bounded cache of
    /// <see cref="SharedStrings"/>, so this pool lives only as long as the load.
    /// </summary>
    private sealed class StringPool
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

    private static bool TryGetVersion(string text, out ProtocolVersion? version)
    {
        version = ProtocolVersion.TryParse(text, out var parsed) ? parsed : null;
        return version is not null;
    }

    private static bool TryGetPorts(int? tcp, int? ssl, out PeerPorts ports)
    {
        ports = default;
        if ((tcp is { } t && !PeerPorts.IsValidPort(t)) || (ssl is { } s && !PeerPorts.IsValidPort(s)))
        {
            return false;
        }

        ports = new PeerPorts(tcp, ssl);
        return true;
    }
}
