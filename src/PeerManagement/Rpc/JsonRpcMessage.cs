using System.Text.Json;
using static PeerManagement.JsonRpcWireFormat;

namespace PeerManagement;

/// <summary>
/// What one received message is, read in a single pass over its members: an answer to one of ours, a request, a
/// notification, or invalid (with the reason). The elements point into the message.
/// </summary>
internal struct JsonRpcMessage
{
    public bool IsResponse;
    public bool IsNotification;
    public bool LacksMethod;
    public string? Invalid;
    public string? Method;
    public JsonElement Id;
    public JsonElement Params;
    public JsonElement Result;
    public JsonElement Error;

    /// <summary>An item that cannot be a message at all (e.g. a batch item that is not an object).</summary>
    public static JsonRpcMessage InvalidItem(string reason) => new() { Invalid = reason };

    /// <summary>Reads the members of one message object and says what it is.</summary>
    /// <param name="message">The message object.</param>
    /// <param name="names">The session's method names, to reuse a name received before.</param>
    public static JsonRpcMessage Classify(JsonElement message, JsonRpcMethodNames? names = null)
    {
        var parsed = default(JsonRpcMessage);
        var version = default(JsonElement);
        var method = default(JsonElement);
        var hasResult = false;
        foreach (var property in message.EnumerateObject())
        {
            if (property.NameEquals(JsonRpcName.EncodedUtf8Bytes))
            {
                version = property.Value;
            }
            else if (property.NameEquals(IdName.EncodedUtf8Bytes))
            {
                parsed.Id = property.Value;
            }
            else if (property.NameEquals(MethodName.EncodedUtf8Bytes))
            {
                method = property.Value;
            }
            else if (property.NameEquals(ParamsName.EncodedUtf8Bytes))
            {
                parsed.Params = property.Value;
            }
            else if (property.NameEquals(ResultName.EncodedUtf8Bytes))
            {
                parsed.Result = property.Value;
                hasResult = true;
            }
            else if (property.NameEquals(ErrorName.EncodedUtf8Bytes))
            {
                parsed.Error = property.Value;
            }
        }

        var hasError = parsed.Error.ValueKind != JsonValueKind.Undefined;
        var hasId = parsed.Id.ValueKind != JsonValueKind.Undefined;
        var idValid = parsed.Id.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null or JsonValueKind.Undefined;
        if (!idValid)
        {
            parsed.Id = default;
        }

        var versionValid = version.ValueKind == JsonValueKind.String && version.ValueEquals(VersionValue.EncodedUtf8Bytes);
        if (method.ValueKind == JsonValueKind.Undefined && (hasResult || hasError))
        {
            parsed.IsResponse = true;
            parsed.Invalid = !versionValid ? "the jsonrpc member is not \"2.0\""
                : hasResult && hasError ? "it has both a result and an error"
                : hasError && !IsErrorObject(parsed.Error) ? "the error is not an object with an integer code"
                : null;
            return parsed;
        }

        parsed.IsNotification = !hasId;
        parsed.LacksMethod = method.ValueKind == JsonValueKind.Undefined;
        parsed.Invalid = !versionValid ? "the jsonrpc member is not \"2.0\""
            : method.ValueKind != JsonValueKind.String ? "the method is not a string"
            : !idValid ? "the id is not a string, a number or null"
            : parsed.Params.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Array or JsonValueKind.Object) ? "params is neither an array nor an object"
            : null;
        if (parsed.Invalid is null)
        {
            parsed.Method = names is null ? method.GetString() : names.Get(method);
        }

        return parsed;
    }

    private static bool IsErrorObject(JsonElement error)
        => error.ValueKind == JsonValueKind.Object
            && error.TryGetProperty(CodeName.EncodedUtf8Bytes, out var code)
            && code.ValueKind == JsonValueKind.Number
            && code.TryGetInt32(out _);
}
