using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;

namespace PeerManagement;

/// <summary>Reads a blacklist document: a JSON array of strings, or one entry per line.</summary>
internal static class BlacklistText
{
    public static IReadOnlyList<string> Parse(string text, string origin)
    {
        var trimmed = text.AsSpan().TrimStart();
        if (!trimmed.IsEmpty && trimmed[0] == '[')
        {
            try
            {
                return ParseJson(JsonDocument.Parse(text.AsMemory()).RootElement, origin);
            }
            catch (JsonException ex)
            {
                throw new PeerManagementException($"The blacklist from {origin} is not valid JSON: {ex.Message}", ex);
            }
        }

        var entries = new List<string>();
        foreach (var range in text.AsSpan().SplitAny('\n', '\r'))
        {
            var line = text.AsSpan()[range].Trim();
            if (!line.IsEmpty && line[0] != '#')
            {
                entries.Add(line.ToString());
            }
        }

        return entries;
    }

    public static IReadOnlyList<string> ParseJson(JsonElement root, string origin)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new PeerManagementException($"The blacklist from {origin} is not a JSON array.");
        }

        var entries = new List<string>(root.GetArrayLength());
        foreach (var item in root.EnumerateArray())
        {
            // Entries of another type are skipped, like unreadable strings.
            if (item.ValueKind == JsonValueKind.String && item.GetString() is { } entry)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>Reads one entry (<c>match [until time]</c>) into its canonical match and expiry, as the blacklist reads it.</summary>
    public static bool TryParseEntry(string? text, [NotNullWhen(true)] out string? match, out DateTimeOffset? expires)
    {
        match = null;
        expires = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var body = text.Trim();
        var until = body.IndexOf(" until ", StringComparison.OrdinalIgnoreCase);
        if (until >= 0)
        {
            if (!DateTimeOffset.TryParse(body.AsSpan(until + 7).Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
            {
                return false;
            }

            expires = when;
            body = body[..until].TrimEnd();
        }

        if (!PeerMatch.TryParse(body, out var parsed, out _))
        {
            return false;
        }

        match = parsed.ToString();
        return true;
    }
}
