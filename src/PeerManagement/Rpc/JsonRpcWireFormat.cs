using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>The members of JSON-RPC 2.0 messages and how ours are written: requests, results and errors.</summary>
internal static class JsonRpcWireFormat
{
    public static readonly JsonEncodedText JsonRpcName = JsonEncodedText.Encode("jsonrpc");
    public static readonly JsonEncodedText VersionValue = JsonEncodedText.Encode("2.0");
    public static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    public static readonly JsonEncodedText MethodName = JsonEncodedText.Encode("method");
    public static readonly JsonEncodedText ParamsName = JsonEncodedText.Encode("params");
    public static readonly JsonEncodedText ResultName = JsonEncodedText.Encode("result");
    public static readonly JsonEncodedText ErrorName = JsonEncodedText.Encode("error");
    public static readonly JsonEncodedText CodeName = JsonEncodedText.Encode("code");
    public static readonly JsonEncodedText MessageName = JsonEncodedText.Encode("message");
    public static readonly JsonEncodedText DataName = JsonEncodedText.Encode("data");

    /// <summary>Writes a request (with an id) or a notification (<paramref name="id"/> <see langword="null"/>).</summary>
    public static void WriteRequest(Utf8JsonWriter writer, long? id, string method, IReadOnlyList<JsonNode?> parameters)
    {
        writer.WriteStartObject();
        writer.WriteString(JsonRpcName, VersionValue);
        writer.WriteString(MethodName, method);
        writer.WriteStartArray(ParamsName);
        for (var i = 0; i < parameters.Count; i++)
        {
            if (parameters[i] is { } node)
            {
                node.WriteTo(writer);
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        writer.WriteEndArray();
        if (id is { } value)
        {
            writer.WriteNumber(IdName, value);
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes the answer to an incoming call: its result, or its error.</summary>
    public static void WriteAnswer(Utf8JsonWriter writer, JsonRpcAnswer answer)
    {
        if (answer.ErrorMessage is null)
        {
            WriteResult(writer, answer.Id, answer.Result);
        }
        else
        {
            WriteError(writer, answer.Id, answer.ErrorCode, answer.ErrorMessage, answer.ErrorData);
        }
    }

    public static void WriteResult(Utf8JsonWriter writer, JsonElement id, JsonNode? result)
    {
        writer.WriteStartObject();
        writer.WriteString(JsonRpcName, VersionValue);
        writer.WritePropertyName(ResultName);
        if (result is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            result.WriteTo(writer);
        }

        WriteId(writer, id);
        writer.WriteEndObject();
    }

    public static void WriteError(Utf8JsonWriter writer, JsonElement id, int code, string message, JsonElement? data)
    {
        writer.WriteStartObject();
        writer.WriteString(JsonRpcName, VersionValue);
        writer.WriteStartObject(ErrorName);
        writer.WriteNumber(CodeName, code);
        writer.WriteString(MessageName, message);
        if (data is { ValueKind: not JsonValueKind.Undefined } d)
        {
            writer.WritePropertyName(DataName);
            d.WriteTo(writer);
        }

        writer.WriteEndObject();
        WriteId(writer, id);
        writer.WriteEndObject();
    }

    /// <summary>Echoes a string or number id; anything else (absent, invalid) is answered with a null id.</summary>
    private static void WriteId(Utf8JsonWriter writer, JsonElement id)
    {
        writer.WritePropertyName(IdName);
        if (id.ValueKind is JsonValueKind.String or JsonValueKind.Number)
        {
            id.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
