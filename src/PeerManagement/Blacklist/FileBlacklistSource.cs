
namespace PeerManagement;

/// <summary>
/// Blacklist entries read from a local file on every refresh: a JSON array of strings, or plain text with one
/// entry per line (blank lines and lines starting with <c>#</c> are ignored).
/// </summary>
public sealed class FileBlacklistSource : IBlacklistSource
{
    private const long MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>Creates the source.</summary>
    /// <param name="path">The file's path.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    public FileBlacklistSource(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    /// <exception cref="PeerManagementException">The file could not be read or is not a JSON array of strings.</exception>
    public async ValueTask<IReadOnlyList<string>> GetEntriesAsync(CancellationToken cancellationToken)
    {
        string text;
        try
        {
            var info = new FileInfo(Path);
            if (info.Exists && info.Length > MaxFileBytes)
            {
                throw new PeerManagementException($"The blacklist file '{Path}' is larger than {MaxFileBytes} bytes.");
            }

            text = await File.ReadAllTextAsync(Path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PeerManagementException($"The blacklist file '{Path}' could not be read: {ex.Message}", ex);
        }

        return BlacklistText.Parse(text, Path);
    }

    /// <summary>Describes the source for logs.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"file {Path}";
}
