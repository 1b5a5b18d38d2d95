using System.Buffers;
using System.Text.Json;

namespace PeerManagement;

/// <summary>
/// One received line, parsed into a pooled document over a rented copy of its bytes. Its elements are valid until
/// <see cref="Release"/>; after it, reading them throws <see cref="ObjectDisposedException"/> (the document is never
/// reused). Exactly one owner releases it: the dispatcher, or the call it is handed to.
/// </summary>
internal readonly struct JsonRpcPooledLine(JsonDocument document, byte[] bytes)
{
    /// <summary>The parsed message.</summary>
    public JsonElement Root => document.RootElement;

    /// <summary>Gives the memory back; the document first, so that nothing reads the bytes once they are reused.</summary>
    public void Release()
    {
        if (document is null)
        {
            return;
        }

        document.Dispose();
        ArrayPool<byte>.Shared.Return(bytes);
    }
}
