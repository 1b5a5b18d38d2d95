using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>Answers the requests and notifications that arrive on a session.</summary>
public interface IJsonRpcRequestHandler
{
    /// <summary>Handles one call.</summary>
    /// <param name="call">The call; its <see cref="JsonRpcCall.Parameters"/> are valid until the returned task completes (clone what you keep).</param>
    /// <param name="cancellationToken">Cancelled when the session closes.</param>
    /// <returns>The result to send back (ignored for a notification).</returns>
    /// <exception cref="JsonRpcException">Answer with this error object (e.g. <see cref="JsonRpcErrorCodes.MethodNotFound"/>).</exception>
    /// <remarks>Any other exception is answered with <see cref="JsonRpcErrorCodes.InternalError"/> and no details.</remarks>
    ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken);
}
