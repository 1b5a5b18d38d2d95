using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement.TestUtilities.Electrum;

/// <summary>How a scripted peer answers one method.</summary>
public abstract record ScriptedAnswer
{
    /// <summary>Answers with a result computed from the parameters.</summary>
    public sealed record Result(Func<JsonElement, JsonNode?> Compute) : ScriptedAnswer;

    /// <summary>Answers with a JSON-RPC error object.</summary>
    public sealed record Error(int Code, string Message) : ScriptedAnswer;

    /// <summary>Answers with raw UTF-8 bytes (which may hold invalid UTF-8 inside strings).</summary>
    public sealed record RawUtf8(byte[] Bytes) : ScriptedAnswer;

    /// <summary>Never answers: the request times out after the session's request timeout (on the session's clock).</summary>
    public sealed record Never : ScriptedAnswer;

    /// <summary>The connection breaks while waiting for the answer.</summary>
    public sealed record Disconnect : ScriptedAnswer;

    /// <summary>The peer breaks the wire protocol (e.g. a line over the size limit).</summary>
    public sealed record ProtocolViolation : ScriptedAnswer;

    public static ScriptedAnswer Of(JsonNode? value) => new Result(_ => value?.DeepClone());

    public static ScriptedAnswer OfJson(string json) => new Result(_ => JsonNode.Parse(json));
}
