using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>During a check the peer may not call us, except the tip notification, which is ignored.</summary>
internal sealed class CheckSessionHandler : IJsonRpcRequestHandler
{
    public static readonly CheckSessionHandler Instance = new();

    public ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
    {
        if (call.IsNotification)
        {
            return ValueTask.FromResult<JsonNode?>(null);
        }

        throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, "requests are not accepted on this connection");
    }
}
