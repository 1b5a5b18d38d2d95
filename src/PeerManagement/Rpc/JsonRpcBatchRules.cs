using System.Buffers;
using System.Text.Json;

namespace PeerManagement;

/// <summary>
/// The rules that keep a batch from amplifying or queueing work: too many calls are refused before the batch is
/// parsed, and errors are answered one per item only while their answer stays within a small multiple of the
/// request's size.
/// </summary>
internal static class JsonRpcBatchRules
{
    /// <summary>The bytes of one error answer without its id: <c>{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request"},"id":}</c>.</summary>
    public const int ErrorAnswerBytes = 80;

    /// <summary>Room for one error answer, so that a tiny batch with one bad item is still answered item by item.</summary>
    private const int ErrorAllowance = 128;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>Whether the line starts (after white space) with <c>[</c>.</summary>
    public static bool LooksLikeBatch(ReadOnlySequence<byte> line)
    {
        foreach (var segment in line)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
                {
                    return b == (byte)'[';
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a batch line holds more than <paramref name="maxCalls"/> items, found by skipping over the items
    /// without building them. Text that is not JSON gives <see langword="false"/>: the parser answers it.
    /// </summary>
    public static bool HasMoreItemsThan(ReadOnlySequence<byte> line, int maxCalls)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                return false;
            }

            var count = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (++count > maxCalls)
                {
                    return true;
                }

                reader.Skip();
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The largest error answer a batch of <paramref name="requestBytes"/> bytes may get item by item.</summary>
    public static long ErrorBudget(long requestBytes) => (2 * requestBytes) + ErrorAllowance;

    /// <summary>The size of the error answer to one item with this id.</summary>
    public static int ErrorBytes(JsonElement id)
        => ErrorAnswerBytes + (id.ValueKind is JsonValueKind.String or JsonValueKind.Number ? id.GetRawText().Length : 4);
}
