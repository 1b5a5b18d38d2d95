using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PeerManagement;

/// <summary>
/// Keeps the run-time bans in one small JSON file, a sibling of the peer table's file (<c>peers.json.bans</c>),
/// written atomically (a temporary file flushed to disk, then renamed over the old one). The file has its own
/// format version, so the peer table's format is untouched and an old table still loads. A damaged or unreadable
/// file is logged and moved aside; loading then starts with no run-time bans.
/// </summary>
public sealed class FileBanStore : IBanStore
{
    /// <summary>The format version written and read.</summary>
    public const int FormatVersion = 1;

    /// <summary>The largest file read (a ban is about 150 bytes).</summary>
    public const int MaxFileBytes = 4 * 1024 * 1024;

    private readonly string _path;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates a store on a file.</summary>
    /// <param name="path">The file; its directory is created when missing.</param>
    /// <param name="timeProvider">The clock that names the copy of a damaged file.</param>
    /// <param name="logger">Where damaged files are logged; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> or <paramref name="timeProvider"/> is <see langword="null"/>.</exception>
    public FileBanStore(string path, TimeProvider timeProvider, ILogger<FileBanStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _path = System.IO.Path.GetFullPath(path);
        _timeProvider = timeProvider;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The full path of the file.</summary>
    public string Path => _path;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<PeerBan>> LoadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!File.Exists(_path))
            {
                return [];
            }

            try
            {
                var info = new FileInfo(_path);
                if (info.Length > MaxFileBytes)
                {
                    throw new InvalidDataException($"the file is larger than {MaxFileBytes} bytes");
                }

                var stream = File.OpenRead(_path);
                await using (stream.ConfigureAwait(false))
                {
                    var document = await JsonSerializer.DeserializeAsync<BanFile>(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
                    if (document is null || document.Version != FormatVersion || document.Bans is null)
                    {
                        throw new InvalidDataException($"not a ban file of version {FormatVersion}");
                    }

                    return Read(document.Bans);
                }
            }
            catch (Exception ex) when (ex is JsonException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                MoveAside(ex);
                return [];
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask SaveAsync(IReadOnlyList<PeerBan> bans, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bans);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(_path)!);
            var temp = _path + ".tmp";
            var document = new BanFile(FormatVersion, [.. bans.Select(b => new BanItem(b.Match, b.Expires, b.Reason, b.Created))]);
            var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None);
            await using (stream.ConfigureAwait(false))
            {
                await JsonSerializer.SerializeAsync(stream, document, cancellationToken: cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, _path, overwrite: true);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new IOException($"The ban file '{_path}' could not be written: {ex.Message}", ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    private List<PeerBan> Read(IEnumerable<BanItem?> items)
    {
        var bans = new List<PeerBan>();
        foreach (var item in items)
        {
            // An entry that is not a valid match is dropped alone: the others still hold.
            if (item is null || !PeerMatch.TryParse(item.Match, out var match, out var error))
            {
                Log.BanEntrySkipped(_logger, _path, item?.Match ?? "null");
                continue;
            }

            bans.Add(new PeerBan(match.ToString(), item.Expires, item.Reason, item.Created, Configured: false));
        }

        return bans;
    }

    private void MoveAside(Exception ex)
    {
        var aside = $"{_path}.corrupt-{_timeProvider.GetUtcNow():yyyyMMdd'T'HHmmssfff'Z'}";
        try
        {
            File.Move(_path, aside, overwrite: true);
        }
        catch (Exception moveError) when (moveError is IOException or UnauthorizedAccessException)
        {
            aside = "(could not be moved)";
        }

        Log.BanFileDamaged(_logger, _path, aside, ex);
    }

    private sealed record BanFile(
        [property: JsonPropertyName("version")] int Version,
        [property: JsonPropertyName("bans")] BanItem?[]? Bans);

    private sealed record BanItem(
        [property: JsonPropertyName("match")] string? Match,
        [property: JsonPropertyName("expires")] DateTimeOffset? Expires,
        [property: JsonPropertyName("reason")] string? Reason,
        [property: JsonPropertyName("created")] DateTimeOffset? Created);
}
