using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>Log lines of the peer store (event ids 500–599).</summary>
internal static partial class Log
{
    [LoggerMessage(500, LogLevel.Error, "Peer store file {Path} is damaged ({Reason}); moved it aside to {CorruptPath}")]
    public static partial void StoreFileCorrupt(ILogger logger, string path, string reason, string corruptPath);

    [LoggerMessage(501, LogLevel.Error, "Peer store file {Path} is damaged ({Reason}) and could not be moved aside")]
    public static partial void StoreFileCorruptNotMoved(ILogger logger, Exception exception, string path, string reason);

    [LoggerMessage(502, LogLevel.Error, "Could not read peer store file {Path}")]
    public static partial void StoreFileUnreadable(ILogger logger, Exception exception, string path);

    [LoggerMessage(503, LogLevel.Information, "Loaded {Count} peers from {Path}")]
    public static partial void StoreLoaded(ILogger logger, int count, string path);

    [LoggerMessage(504, LogLevel.Warning, "Loaded {Count} peers from the backup {Path}: the main file was missing or unusable")]
    public static partial void StoreLoadedFromBackup(ILogger logger, int count, string path);

    [LoggerMessage(505, LogLevel.Information, "No usable peer store file at {Path}; starting with an empty table")]
    public static partial void StoreMissing(ILogger logger, string path);

    [LoggerMessage(506, LogLevel.Warning, "Skipped {Count} unusable entries of peer store file {Path}")]
    public static partial void StoreEntriesSkipped(ILogger logger, int count, string path);

    [LoggerMessage(507, LogLevel.Debug, "Saved {Count} peers to {Path} ({Bytes} bytes)")]
    public static partial void StoreSaved(ILogger logger, int count, string path, long bytes);

    [LoggerMessage(508, LogLevel.Error, "Saving the peer table failed; the table in memory is unchanged and the save is retried in {RetryIn}")]
    public static partial void StoreSaveFailed(ILogger logger, Exception exception, TimeSpan retryIn);

    [LoggerMessage(509, LogLevel.Error, "The last save of the peer table at stop failed; changes since the previous save are lost")]
    public static partial void StoreFinalSaveFailed(ILogger logger, Exception exception);

    [LoggerMessage(510, LogLevel.Warning, "The last save of the peer table at stop was cancelled; changes since the previous save are lost")]
    public static partial void StoreFinalSaveCancelled(ILogger logger);

    [LoggerMessage(511, LogLevel.Debug, "Saved the peer table ({Count} peers, version {Version})")]
    public static partial void StoreTableSaved(ILogger logger, int count, long version);

    [LoggerMessage(520, LogLevel.Warning, "Dropped entry {Index} ({Host}) of peer store file {Path}: {Reason}")]
    public static partial void StoreEntryDropped(ILogger logger, int index, string host, string path, string reason);

    [LoggerMessage(521, LogLevel.Warning, "Cleared {Field} of entry {Index} ({Host}) of peer store file {Path}: {Reason}; the peer is verified again")]
    public static partial void StoreEntryValueCleared(ILogger logger, string field, int index, string host, string path, string reason);

    [LoggerMessage(522, LogLevel.Warning, "Cleared {Count} values that cannot be right (times past the clock or out of range, pruning limits) in entries of peer store file {Path}")]
    public static partial void StoreEntryValuesCleared(ILogger logger, int count, string path);

    [LoggerMessage(523, LogLevel.Warning, "{Count} more dropped entries and cleared values of peer store file {Path} were not logged one by one")]
    public static partial void StoreEntryProblemsNotLogged(ILogger logger, int count, string path);
}
