using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// A peer store that keeps the table in one file, written atomically and checked on load, so a restarted node
/// keeps its peers and their history.
/// </summary>
/// <remarks>
/// <para>
/// A save writes the whole table to <c>&lt;file&gt;.tmp</c> in the same directory, flushes it to disk, then
/// renames it over the file, keeping the previous copy as <c>&lt;file&gt;.bak</c>. A crash at any moment leaves
/// the previous or the new table, never a mix.
/// </para>
/// <para>
/// The file starts with a header holding a format version, the length of the content and its SHA-256. A load
/// that finds the file empty, truncated, garbled, of another format version, bigger than
/// <see cref="PeerStoreOptions.MaxFileBytes"/> or failing its checksum moves it aside as
/// <c>&lt;file&gt;.corrupt-&lt;timestamp&gt;</c>, logs an error and tries <c>&lt;file&gt;.bak</c>; it never throws
/// because of the file. In a file that passes these checks and is a well-formed peer table, an entry with a value
/// of the wrong type or not valid (host, ports, address, a try count outside 0 to 1000, ...) is dropped alone with
/// a warning, and a time that cannot be right (before 1970, not representable, or more than 5 minutes past the
/// clock) or a pruning limit that is not positive is cleared from its entry, which is kept and verified again.
/// </para>
/// <para>Loads and saves of one instance never overlap. Two instances must not share a file.</para>
/// </remarks>
public sealed class FilePeerStore : IPeerStore
{
    private const int WriteBufferBytes = 64 * 1024;

    private readonly string _path;
    private readonly string _backupPath;
    private readonly string _tempPath;
    private readonly long _maxFileBytes;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    // Serialises loads and saves; never waited on through its wait handle, so it holds nothing to dispose.
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates a store on the file named by <see cref="PeerStoreOptions.Path"/>.</summary>
    /// <param name="options">The settings; <see cref="PeerStoreOptions.Path"/> is required.</param>
    /// <param name="timeProvider">The clock that names the copies of damaged files and bounds the times loaded.</param>
    /// <param name="logger">Where damaged files, loads and saves are logged; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or <paramref name="timeProvider"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The path is missing or not valid, or <see cref="PeerStoreOptions.MaxFileBytes"/> is out of range.</exception>
    public FilePeerStore(IOptions<PeerStoreOptions> options, TimeProvider timeProvider, ILogger<FilePeerStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var settings = options.Value;
        if (CheckPath(settings.Path) is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        if (settings.MaxFileBytes is < 1024 or > 2147483591)
        {
            throw new ArgumentException($"PeerStoreOptions.MaxFileBytes ({settings.MaxFileBytes}) must be within 1024 and 2147483591.", nameof(options));
        }

        _path = System.IO.Path.GetFullPath(settings.Path!);
        _backupPath = _path + ".bak";
        _tempPath = _path + ".tmp";
        _maxFileBytes = settings.MaxFileBytes;
        _timeProvider = timeProvider;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The full path of the store file.</summary>
    public string Path => _path;

    /// <summary>
    /// Loads the table from the file, or from <c>&lt;file&gt;.bak</c> when the file is missing or damaged. A
    /// damaged file is moved aside and logged as an error; entries with values that are not valid are skipped.
    /// </summary>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The peers read; empty when neither file exists or neither could be read.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled. Nothing else is thrown.</exception>
    public async ValueTask<IReadOnlyList<PeerRecord>> LoadAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var main = await TryLoadFileAsync(_path, cancellationToken).ConfigureAwait(false);
            if (main is not null)
            {
                Log.StoreLoaded(_logger, main.Count, _path);
                return main;
            }

            var backup = await TryLoadFileAsync(_backupPath, cancellationToken).ConfigureAwait(false);
            if (backup is not null)
            {
                Log.StoreLoadedFromBackup(_logger, backup.Count, _backupPath);
                return backup;
            }

            Log.StoreMissing(_logger, _path);
            return [];
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Replaces the file with <paramref name="peers"/>: writes <c>&lt;file&gt;.tmp</c>, flushes it to disk and
    /// renames it over the file, keeping the previous copy as <c>&lt;file&gt;.bak</c>. Creates the directory when
    /// missing.
    /// </summary>
    /// <param name="peers">The whole table.</param>
    /// <param name="cancellationToken">Cancels the save; the previous copy stays.</param>
    /// <returns>A task that completes when the table is on disk.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="peers"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="IOException">The file could not be written (disk full, no permission, ...); the previous copy stays.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the previous copy stays.</exception>
    public async ValueTask SaveAsync(IReadOnlyList<PeerRecord> peers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peers);
        for (var i = 0; i < peers.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(peers[i], nameof(peers));
        }

        cancellationToken.ThrowIfCancellationRequested();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The write is synchronous (see PeerStoreFormat.WriteBody); it runs on the thread pool, not the caller's thread.
            var bytes = await Task.Run(() => WriteAtomically(peers, cancellationToken), cancellationToken).ConfigureAwait(false);
            Log.StoreSaved(_logger, peers.Count, _path, bytes);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"Could not save the peer table to '{_path}': {e.Message}", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Why <paramref name="path"/> cannot be the store file, or <see langword="null"/> when it can.</summary>
    internal static string? CheckPath(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return "PeerStoreOptions.Path must name the peer store file.";
        }

        try
        {
            var full = System.IO.Path.GetFullPath(path);
            return System.IO.Path.EndsInDirectorySeparator(full) || string.IsNullOrEmpty(System.IO.Path.GetFileName(full))
                ? $"PeerStoreOptions.Path ('{path}') must name a file, not a directory."
                : null;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException or System.Security.SecurityException)
        {
            return $"PeerStoreOptions.Path ('{path}') is not a valid path: {e.Message}";
        }
    }

    private long WriteAtomically(IReadOnlyList<PeerRecord> peers, CancellationToken cancellationToken)
    {
        if (System.IO.Path.GetDirectoryName(_path) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        try
        {
            long bodyLength;
            using (var file = new FileStream(_tempPath, FileMode.Create, FileAccess.Write, FileShare.None, WriteBufferBytes, FileOptions.None))
            {
                // The header's length and checksum are known only after the body: reserve its place, fill it last.
                var header = new byte[PeerStoreFormat.HeaderLength];
                file.Write(header);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                using (var body = new HashingWriteStream(file, hash))
                {
                    PeerStoreFormat.WriteBody(body, peers, cancellationToken);
                    bodyLength = body.BytesWritten;
                }

                PeerStoreFormat.WriteHeader(header, bodyLength, hash.GetHashAndReset());
                file.Position = 0;
                file.Write(header);
                file.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();

            // Replace keeps the current file as the backup (a hard link where the file system allows) and renames
            // the new one over it in one step, so the file is never absent.
            if (File.Exists(_path))
            {
                File.Replace(_tempPath, _path, _backupPath, ignoreMetadataErrors: true);
            }
            else
            {
                File.Move(_tempPath, _path, overwrite: true);
            }

            return PeerStoreFormat.HeaderLength + bodyLength;
        }
        catch
        {
            TryDelete(_tempPath);
            throw;
        }
    }

    private async Task<List<PeerRecord>?> TryLoadFileAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            byte[] content;
            using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous))
            {
                var length = RandomAccess.GetLength(handle);
                if (length > _maxFileBytes)
                {
                    MoveAside(path, $"the file is {length} bytes, more than MaxFileBytes ({_maxFileBytes})");
                    return null;
                }

                content = GC.AllocateUninitializedArray<byte>((int)length);
                var read = 0;
                while (read < content.Length)
                {
                    var n = await RandomAccess.ReadAsync(handle, content.AsMemory(read), read, cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                }

                if (read < content.Length)
                {
                    Array.Resize(ref content, read);
                }
            }

            var reader = new PeerStoreBodyReader(_logger, path, _timeProvider.GetUtcNow());
            if (!PeerStoreFormat.TryGetBody(content, out var body, out var error)
                || !reader.TryRead(body, out var records, out error))
            {
                MoveAside(path, error);
                return null;
            }

            if (reader.Dropped > 0)
            {
                Log.StoreEntriesSkipped(_logger, reader.Dropped, path);
            }

            if (reader.Cleared > 0)
            {
                Log.StoreEntryValuesCleared(_logger, reader.Cleared, path);
            }

            if (reader.NotLogged > 0)
            {
                Log.StoreEntryProblemsNotLogged(_logger, reader.NotLogged, path);
            }

            return records;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Start-up must not fail because of the file: anything else is logged and the next copy tried.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.StoreFileUnreadable(_logger, e, path);
            return null;
        }
    }

    private void MoveAside(string path, string reason)
    {
        var stamp = _timeProvider.GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);
        var target = $"{path}.corrupt-{stamp}";
        for (var i = 1; File.Exists(target) || Directory.Exists(target); i++)
        {
            target = string.Create(CultureInfo.InvariantCulture, $"{path}.corrupt-{stamp}-{i}");
        }

        try
        {
            File.Move(path, target);
            Log.StoreFileCorrupt(_logger, path, reason, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.StoreFileCorruptNotMoved(_logger, e, path, reason);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the next save truncates it anyway.
        }
    }
}
