using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>Our answer to one incoming call: a result, or an error when <see cref="ErrorMessage"/> is set.</summary>
internal readonly record struct JsonRpcAnswer(JsonElement Id, JsonNode? Result, int ErrorCode, string? ErrorMessage, JsonElement? ErrorData)
{
    public static JsonRpcAnswer Error(JsonElement id, int code, string message, JsonElement? data = null) => new(id, null, code, message, data);
}
