using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement.Tests.Integration;

/// <summary>The host's own methods behind the peer methods: the two chain requests the verifier sends.</summary>
internal sealed class ChainMethods(IChainView chain) : IJsonRpcRequestHandler
{
    public async ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
    {
        switch (call.Method)
        {
            case "blockchain.headers.subscribe":
                var tip = await chain.GetTipHeightAsync(cancellationToken);
                return new JsonObject { ["height"] = tip, ["hex"] = await chain.GetHeaderHexAsync(tip, cancellationToken) };
            case "blockchain.block.header":
                var height = call.Parameters.ValueKind == JsonValueKind.Array && call.Parameters.GetArrayLength() > 0
                    && call.Parameters[0].TryGetInt32(out var h) && h >= 0
                    ? h
                    : throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "height must be a non-negative integer");
                return await chain.GetHeaderHexAsync(height, cancellationToken)
                    ?? throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"no header at height {height}");
            default:
                throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, $"unknown method {call.Method}");
        }
    }
}
