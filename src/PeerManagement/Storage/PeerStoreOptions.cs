using System.ComponentModel.DataAnnotations;

namespace PeerManagement;

/// <summary>
/// Settings of the peer store: how often the table is saved (whatever store is used), and where and how big the
/// file of the file store may be. Set them with <c>builder.UseFileStore(...)</c> or
/// <c>services.Configure&lt;PeerStoreOptions&gt;(...)</c>; validated at start.
/// </summary>
public sealed class PeerStoreOptions
{
    /// <summary>The default of <see cref="SaveInterval"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultSaveInterval = TimeSpan.FromSeconds(10);

    /// <summary>The default of <see cref="MaxFileBytes"/>: 256 MiB.</summary>
    public const long DefaultMaxFileBytes = 256L * 1024 * 1024;

    /// <summary>
    /// The file of the file store, e.g. <c>/var/lib/mynode/peers.json</c>; a relative path is relative to the
    /// process's current directory. Its directory is created when missing. Next to it the store keeps
    /// <c>&lt;file&gt;.bak</c> (the previous copy) and <c>&lt;file&gt;.tmp</c> (a save in progress), and moves
    /// damaged files aside as <c>&lt;file&gt;.corrupt-&lt;timestamp&gt;</c>. Required by the file store; unused by
    /// other stores.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>
    /// After a change, the table is saved once this much time has passed, so that many changes cost one write;
    /// and at stop. Also the delay before a failed save is retried. Default: 10 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan SaveInterval { get; set; } = DefaultSaveInterval;

    /// <summary>
    /// A store file bigger than this is not read (it is treated as damaged and moved aside), so a wrong or
    /// hostile file cannot exhaust memory at start. Default: 256 MiB (a table of 100,000 peers takes about 40 MB).
    /// </summary>
    [Range(typeof(long), "1024", "2147483591")]
    public long MaxFileBytes { get; set; } = DefaultMaxFileBytes;
}
