using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// Reads the verified body of a peer store file (see <see cref="PeerStoreFormat"/>) into records, one load per
/// instance. A body that is not well-formed JSON or not shaped as a peer table is refused whole; within a good
/// table, an entry with a value of the wrong type or not valid is dropped, and a time that cannot be right is
/// cleared, each with one log line, so one bad entry never costs the others.
/// </summary>
internal sealed class PeerStoreBodyReader
{
    /// <summary>How far past the clock a stored time may be (clock skew between runs); later is cleared.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>No check happened before this: an earlier stored time is cleared.</summary>
    public static readonly DateTimeOffset EarliestTime = DateTimeOffset.UnixEpoch;

    /// <summary>
    /// The highest try count kept (the highest <c>ForgetAfterTries</c> allowed): an entry with more, or a
    /// negative count, is dropped.
    /// </summary>
    public const int MaxTryCount = 1000;

    /// <summary>At most this many lines about single entries per load; the summary counts the rest.</summary>
    public const int MaxEntryLogLines = 100;

    private const int MaxLoggedHostLength = 100;

    private readonly ILogger _logger;
    private readonly string _path;
    private readonly DateTimeOffset _latestTime;
    private readonly PeerStoreStringPool _strings = new();
    private readonly Dictionary<PeerHost, PeerPorts> _hosts = [];
    private int _logged;

    /// <summary>Creates a reader for one load of <paramref name="path"/> at <paramref name="now"/>.</summary>
    public PeerStoreBodyReader(ILogger logger, string path, DateTimeOffset now)
    {
        _logger = logger;
        _path = path;
        _latestTime = now + MaxClockSkew;
    }

    /// <summary>How many entries were dropped.</summary>
    public int Dropped { get; private set; }

    /// <summary>How many values were cleared from kept entries.</summary>
    public int Cleared { get; private set; }

    /// <summary>How many dropped entries and cleared values were not logged one by one.</summary>
    public int NotLogged { get; private set; }

    /// <summary>Reads a verified body into records, dropping entries that are not valid.</summary>
    /// <param name="body">The body.</param>
    /// <param name="records">The records read.</param>
    /// <param name="error">Why the body is not a peer table, when it is not.</param>
    /// <returns><see langword="true"/> when the body is a peer table.</returns>
    public bool TryRead(ReadOnlySpan<byte> body, [NotNullWhen(true)] out List<PeerRecord>? records, [NotNullWhen(false)] out string? error)
    {
        // Strings are checked only when read: a file that is not UTF-8 is damaged, not one bad entry.
        if (!Utf8.IsValid(body))
        {
            records = null;
            error = "the content is not a peer table: it is not UTF-8 text";
            return false;
        }

        try
        {
            return TryReadPeers(body, out records, out error);
        }
        catch (JsonException e)
        {
            records = null;
            error = $"the content is not a peer table: {e.Message}";
            return false;
        }
    }

    private bool TryReadPeers(ReadOnlySpan<byte> body, [NotNullWhen(true)] out List<PeerRecord>? records, [NotNullWhen(false)] out string? error)
    {
        // Entry by entry, each converted as soon as it is read: the intermediate objects die young instead of
        // living, with the whole file's worth of them, until the end (which made the garbage collector copy them).
        records = null;
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = "the content is not a peer table: it is not a JSON object";
            return false;
        }

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
            for (var index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
            {
                if (ReadEntry(ref reader, index) is { } record)
                {
                    records.Add(record);
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

    private PeerRecord? ReadEntry(ref Utf8JsonReader reader, int index)
    {
        var start = reader;
        PeerStoreEntry? entry;
        try
        {
            entry = JsonSerializer.Deserialize(ref reader, PeerStoreJsonContext.Default.PeerStoreEntry);
        }
        catch (JsonException e)
        {
            // A value of the wrong type: only this entry is lost. Reading it again as a document skips it, and
            // throws (the whole file is damaged) when it is not well-formed JSON.
            reader = start;
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            var host = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("host"u8, out var h) && h.ValueKind == JsonValueKind.String ? h.GetString() : null;
            Drop(index, host, root.ValueKind == JsonValueKind.Object
                ? $"the value at {e.Path ?? "$"} is of the wrong type or out of range"
                : $"it is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
            return null;
        }

        if (entry is null)
        {
            Drop(index, null, "it is null");
            return null;
        }

        if (TryToRecord(entry, index, out var record, out var reason))
        {
            return record;
        }

        Drop(index, entry.Host, reason);
        return null;
    }

    private bool TryToRecord(PeerStoreEntry entry, int index, [NotNullWhen(true)] out PeerRecord? record, [NotNullWhen(false)] out string? reason)
    {
        record = null;
        IPAddress? address = null;
        ProtocolVersion? version = null;
        PeerFeatures? features = null;
        PeerPorts ports = default;
        if (!PeerHost.TryParse(entry.Host, out var host))
        {
            reason = "host is missing or not a valid host name";
        }
        else if (!TryGetPorts(entry.TcpPort, entry.SslPort, out ports))
        {
            reason = "tcp or ssl is not a port (1-65535)";
        }
        else if (entry.Version is not null && !TryGetVersion(entry.Version, out version))
        {
            reason = "version is not a protocol version";
        }
        else if (entry.Source is null)
        {
            reason = "source is missing";
        }
        else if (entry.IPAddress is not null && !IPAddress.TryParse(entry.IPAddress, out address))
        {
            reason = "ip is not an IP address";
        }
        else if (entry.TryCount is < 0 or > MaxTryCount)
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"tries ({entry.TryCount}) is not within 0 and {MaxTryCount}");
        }
        else if (entry.Features is not null && !TryToFeatures(entry.Features, host, out features))
        {
            reason = "features are not valid";
        }
        else
        {
            reason = null;
        }

        if (reason is not null)
        {
            return false;
        }

        record = new PeerRecord
        {
            Host = host,
            Ports = ports,
            Version = version,
            Pruning = CheckPruning(entry.Pruning, index, host, "pruning"),
            Features = features is { Pruning: <= 0 } ? features with { Pruning = CheckPruning(features.Pruning, index, host, "features.pruning") } : features,
            Source = _strings.Get(entry.Source!),
            IPAddress = address,
            LastGood = CheckTime(entry.LastGood, index, host, "lastGood"),
            LastTry = CheckTime(entry.LastTry, index, host, "lastTry"),
            TryCount = entry.TryCount,
            BadReason = _strings.Get(entry.BadReason),
        };
        return true;
    }

    // A time past the clock would put the peer's next check out of reach (or out of range): unknown is safer,
    // and the peer is verified again.
    private DateTimeOffset? CheckTime(DateTimeOffset? time, int index, PeerHost host, string field)
    {
        if (time is not { } value || (value >= EarliestTime && value <= _latestTime))
        {
            return time;
        }

        Clear(index, host, field, value < EarliestTime
            ? "it is not a time, or one before 1970"
            : string.Create(CultureInfo.InvariantCulture, $"{value:O} is more than {MaxClockSkew.TotalMinutes} minutes past the clock"));
        return null;
    }

    private long? CheckPruning(long? pruning, int index, PeerHost host, string field)
    {
        if (pruning is not <= 0)
        {
            return pruning;
        }

        Clear(index, host, field, "a pruning limit must be positive");
        return null;
    }

    private void Drop(int index, string? host, string reason)
    {
        Dropped++;
        if (_logged++ < MaxEntryLogLines)
        {
            Log.StoreEntryDropped(_logger, index, Shorten(host), _path, reason);
        }
        else
        {
            NotLogged++;
        }
    }

    private void Clear(int index, PeerHost host, string field, string reason)
    {
        Cleared++;
        if (_logged++ < MaxEntryLogLines)
        {
            Log.StoreEntryValueCleared(_logger, field, index, host.Value, _path, reason);
        }
        else
        {
            NotLogged++;
        }
    }

    private static string Shorten(string? host)
        => host is null ? "no readable host" : host.Length <= MaxLoggedHostLength ? host : string.Concat(host.AsSpan(0, MaxLoggedHostLength), "...");

    private bool TryToFeatures(PeerStoreFeatures stored, PeerHost owner, [NotNullWhen(true)] out PeerFeatures? features)
    {
        features = null;
        // One scratch map for the whole load: the features keep their own compact copy of it.
        var hosts = _hosts;
        hosts.Clear();
        if (stored.Hosts is not null)
        {
            foreach (var (name, storedPorts) in stored.Hosts)
            {
                // Usually the peer lists its own host: no need to parse it twice.
                var host = owner;
                if ((name != owner.Value && !PeerHost.TryParse(name, out host)) || storedPorts is null
                    || !TryGetPorts(storedPorts.TcpPort, storedPorts.SslPort, out var ports)
                    || hosts.Count == PeerFeatures.MaxHosts || !hosts.TryAdd(host, ports))
                {
                    return false;
                }
            }
        }

        ProtocolVersion? min = null, max = null;
        if ((stored.ProtocolMin is not null && !TryGetVersion(stored.ProtocolMin, out min))
            || (stored.ProtocolMax is not null && !TryGetVersion(stored.ProtocolMax, out max)))
        {
            return false;
        }

        // The features share their common strings (genesis hash, ...) with those read from live peers themselves.
        features = new PeerFeatures
        {
            Hosts = hosts,
            GenesisHash = stored.GenesisHash,
            HashFunction = stored.HashFunction,
            ServerVersion = stored.ServerVersion,
            ProtocolMin = min,
            ProtocolMax = max,
            Pruning = stored.Pruning,
        };
        return true;
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
