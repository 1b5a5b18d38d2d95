using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement.Sample.Node.Chain;

/// <summary>
/// Answers the two chain methods other nodes' verifiers call: <c>blockchain.headers.subscribe</c> (the tip as
/// <c>{"hex", "height"}</c>) and <c>blockchain.block.header [height]</c> (the header's hex). Anything else is
/// refused with <c>MethodNotFound</c>. Chain it as <c>next</c> of <see cref="PeerManager.CreateRequestHandler"/>.
/// </summary>
public sealed class ChainRequestHandler : IJsonRpcRequestHandler
{
    private readonly IChainView _chain;

    /// <summary>Creates the handler.</summary>
    /// <param name="chain">The chain to serve.</param>
    public ChainRequestHandler(IChainView chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        _chain = chain;
    }

    /// <inheritdoc/>
    public async ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        switch (call.Method)
        {
            case "blockchain.headers.subscribe":
            {
                var height = await _chain.GetTipHeightAsync(cancellationToken).ConfigureAwait(false);
                var hex = await _chain.GetHeaderHexAsync(height, cancellationToken).ConfigureAwait(false);
                return new JsonObject { ["hex"] = hex, ["height"] = height };
            }

            case "blockchain.block.header":
            {
                var parameters = call.Parameters;
                if (parameters.ValueKind != JsonValueKind.Array || parameters.GetArrayLength() < 1
                    || parameters[0].ValueKind != JsonValueKind.Number || !parameters[0].TryGetInt32(out var height) || height < 0)
                {
                    throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "expected [height]");
                }

                var hex = await _chain.GetHeaderHexAsync(height, cancellationToken).ConfigureAwait(false)
                    ?? throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"height {height} is beyond the tip");
                return JsonValue.Create(hex);
            }

            default:
                throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, $"unknown method '{call.Method}'");
        }
    }
}
