using System.Text.Json;

namespace PeerManagement;

/// <summary>Blacklist entries fetched from a URL that returns a JSON array of strings.</summary>
public sealed class UrlBlacklistSource : IBlacklistSource
{
    private const int MaxResponseBytes = 16 * 1024 * 1024;

    private readonly HttpClient _httpClient;

    /// <summary>Creates the source.</summary>
    /// <param name="httpClient">The client to fetch with (its timeout applies); the caller owns it.</param>
    /// <param name="url">The absolute http or https URL.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not an absolute http or https URL.</exception>
    public UrlBlacklistSource(HttpClient httpClient, Uri url)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"'{url}' is not an absolute http or https URL.", nameof(url));
        }

        _httpClient = httpClient;
        Url = url;
    }

    /// <summary>The URL.</summary>
    public Uri Url { get; }

    /// <inheritdoc />
    /// <exception cref="PeerManagementException">The fetch failed or the answer is not a JSON array.</exception>
    public async ValueTask<IReadOnlyList<string>> GetEntriesAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _httpClient.GetAsync(Url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            if (response.Content.Headers.ContentLength > MaxResponseBytes)
            {
                throw new PeerManagementException($"The blacklist at {Url} is larger than {MaxResponseBytes} bytes.");
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var document = await JsonDocument.ParseAsync(stream, default, cancellationToken).ConfigureAwait(false);
                return BlacklistText.ParseJson(document.RootElement, Url.ToString());
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or IOException
            || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new PeerManagementException($"The blacklist at {Url} could not be fetched: {ex.Message}", ex);
        }
    }

    /// <summary>Describes the source for logs.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"url {Url}";
}
