using System.Text.Json.Nodes;

namespace PeerManagement.Tests.Integration;

/// <summary>Lets the listener start (and its port be known) before the manager that answers it exists.</summary>
internal sealed class LateBoundHandler : IJsonRpcRequestHandler
{
    public IJsonRpcRequestHandler? Target { get; set; }

    public ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
        => Target is { } target
            ? target.HandleAsync(call, cancellationToken)
            : throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, "not started");
}
