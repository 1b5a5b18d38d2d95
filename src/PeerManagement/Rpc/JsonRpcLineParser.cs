using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace PeerManagement;

/// <summary>
/// Turns one line into JSON: valid UTF-8 first, then one value and nothing after it. The line is copied into a
/// rented buffer and parsed into a pooled document, so a request costs one small object, not a copy of itself; the
/// parsed line must be released (<see cref="JsonRpcPooledLine.Release"/>) once nothing reads it any more.
/// </summary>
internal static class JsonRpcLineParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>Parses a line into pooled memory.</summary>
    /// <returns><see langword="false"/> with the reason in <paramref name="error"/> when the line is not valid UTF-8 or not one JSON value.</returns>
    public static bool TryParse(ReadOnlySequence<byte> line, out JsonRpcPooledLine parsed, out string? error)
    {
        // One contiguous copy: the line must outlive the read buffer while a handler runs, a character may straddle
        // two buffer segments, and the JSON reader is several times faster on one span than on segments.
        var length = (int)line.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        line.CopyTo(rented);
        var memory = rented.AsMemory(0, length);
        parsed = default;

        // The JSON reader leaves the bytes of strings unchecked, so UTF-8 is validated here, before anything is read.
        if (!Utf8.IsValid(memory.Span))
        {
            ArrayPool<byte>.Shared.Return(rented);
            error = "it is not valid UTF-8";
            return false;
        }

        try
        {
            parsed = new JsonRpcPooledLine(JsonDocument.Parse(memory, DocumentOptions), rented);
            error = null;
            return true;
        }
        catch (JsonException ex)
        {
            ArrayPool<byte>.Shared.Return(rented);
            error = ex.Message;
            return false;
        }
    }
}
