using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>
/// Answers other nodes' peer requests: <c>server.version</c>, <c>server.features</c>, <c>server.peers.subscribe</c>
/// and <c>server.add_peer</c>; everything else goes to the next handler, or is refused.
/// </summary>
internal sealed class PeerRequestHandler(
    ServerVersionAnswer version,
    OwnIdentities identities,
    PeersSubscribeAnswer peers,
    AddPeerPolicy addPeer,
    IJsonRpcRequestHandler? next) : IJsonRpcRequestHandler
{
    public ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        switch (call.Method)
        {
            case "server.version":
                return ValueTask.FromResult<JsonNode?>(version.Answer(call.Parameters));
            case "server.features":
                return ValueTask.FromResult<JsonNode?>(identities.Features.ToJsonObject());
            case "server.peers.subscribe":
                return ValueTask.FromResult<JsonNode?>(peers.Answer(call.Session.RemoteEndPoint));
            case "server.add_peer":
                return AddPeerAsync(call, cancellationToken);
            default:
                return next is not null
                    ? next.HandleAsync(call, cancellationToken)
                    : throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, $"unknown method '{call.Method}'");
        }
    }

    private async ValueTask<JsonNode?> AddPeerAsync(JsonRpcCall call, CancellationToken cancellationToken)
        => JsonValue.Create(await addPeer.HandleAsync(call, cancellationToken).ConfigureAwait(false));
}
