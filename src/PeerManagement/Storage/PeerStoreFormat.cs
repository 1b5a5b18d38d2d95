using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
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
}
