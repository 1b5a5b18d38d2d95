using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>
/// <c>server.version [client_name, protocol]</c>: our name and the highest protocol version both sides speak. A
/// protocol we cannot speak is a JSON-RPC error; malformed parameters get our highest version.
/// </summary>
internal sealed class ServerVersionAnswer(PeerManagementOptions options)
{
    private readonly ProtocolVersion _ourMin = ProtocolVersion.Parse(options.ProtocolMin);
    private readonly ProtocolVersion _ourMax = ProtocolVersion.Parse(options.ProtocolMax);

    public JsonArray Answer(JsonElement parameters)
    {
        var chosen = _ourMax;
        if (parameters.ValueKind == JsonValueKind.Array && parameters.GetArrayLength() >= 2
            && TryReadRange(parameters[1], out var theirMin, out var theirMax))
        {
            chosen = theirMax < _ourMax ? theirMax : _ourMax;
            var floor = theirMin > _ourMin ? theirMin : _ourMin;
            if (chosen < floor)
            {
                throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"unsupported protocol version; we speak {_ourMin} to {_ourMax}");
            }
        }

        return new JsonArray(options.ClientName, chosen.ToString());
    }

    /// <summary>One version (<c>"1.4"</c>) or a range (<c>["1.4", "1.4.2"]</c>).</summary>
    private static bool TryReadRange(JsonElement requested, out ProtocolVersion min, out ProtocolVersion max)
    {
        if (requested.ValueKind == JsonValueKind.String && ProtocolVersion.TryParse(requested.GetString(), out var single))
        {
            min = max = single;
            return true;
        }

        if (requested.ValueKind == JsonValueKind.Array && requested.GetArrayLength() == 2
            && requested[0].ValueKind == JsonValueKind.String && requested[1].ValueKind == JsonValueKind.String
            && ProtocolVersion.TryParse(requested[0].GetString(), out min)
            && ProtocolVersion.TryParse(requested[1].GetString(), out max))
        {
            return true;
        }

        min = max = default;
        return false;
    }
}
