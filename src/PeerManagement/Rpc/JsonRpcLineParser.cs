using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace PeerManagement;

/// <summary>
/// Turns one line into JSON: valid UTF-8 first, then one value and nothing after it. A large line is parsed into
/// pooled memory, where an answer to a request that parses its own result is read in place, with no copy at all.
/// </summary>
internal static class JsonRpcLineParser
{
    /// <summary>Lines longer than this are parsed into pooled memory, and answers to parsing requests read in place.</summary>
    public const int InPlaceThreshold = 64 * 1024;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// Parses a line. When <paramref name="consumeInPlace"/> takes the parsed root of a large line (an answer to a
    /// request that parses its own result), <paramref name="root"/> is undefined; anything else is copied out as an
    /// element that outlives the read buffer.
    /// </summary>
    /// <returns><see langword="false"/> with the reason in <paramref name="error"/> when the line is not valid UTF-8 or not one JSON value.</returns>
    public static bool TryParse(ReadOnlySequence<byte> line, Func<JsonElement, bool> consumeInPlace, out JsonElement root, out string? error)
    {
        byte[]? rented = null;
        ReadOnlyMemory<byte> memory;
        if (line.IsSingleSegment)
        {
            memory = line.First;
        }
        else
        {
            // A long line spans buffer segments. One contiguous copy can be checked as UTF-8 (a character may
            // straddle two segments) and is read several times faster by the JSON reader than the segments.
            var length = (int)line.Length;
            rented = ArrayPool<byte>.Shared.Rent(length);
            line.CopyTo(rented);
            memory = rented.AsMemory(0, length);
        }

        try
        {
            // The JSON reader leaves the bytes of strings unchecked, so UTF-8 is validated here, before anything is read.
            if (!Utf8.IsValid(memory.Span))
            {
                root = default;
                error = "it is not valid UTF-8";
                return false;
            }

            return memory.Length <= InPlaceThreshold
                ? TryParseSmall(memory.Span, out root, out error)
                : TryParseLarge(memory, consumeInPlace, out root, out error);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Small: one parse into memory the element owns (fewest allocations).</summary>
    private static bool TryParseSmall(ReadOnlySpan<byte> bytes, out JsonElement root, out string? error)
    {
        var reader = new Utf8JsonReader(bytes, ReaderOptions);
        try
        {
            root = JsonElement.ParseValue(ref reader);
            if (reader.Read())
            {
                error = "text after the message";
                return false;
            }

            error = null;
            return true;
        }
        catch (JsonException ex)
        {
            root = default;
            error = ex.Message;
            return false;
        }
    }

    /// <summary>Large: parse into pooled memory, so an answer parsed in place costs no copy at all.</summary>
    private static bool TryParseLarge(ReadOnlyMemory<byte> bytes, Func<JsonElement, bool> consumeInPlace, out JsonElement root, out string? error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, DocumentOptions);
        }
        catch (JsonException ex)
        {
            root = default;
            error = ex.Message;
            return false;
        }

        using (document)
        {
            error = null;
            root = consumeInPlace(document.RootElement) ? default : document.RootElement.Clone();
            return true;
        }
    }
}
