using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>One request of a batch sent with <see cref="IJsonRpcSession.InvokeBatchAsync"/>.</summary>
/// <param name="Method">The method name.</param>
/// <param name="Parameters">The positional parameters.</param>
public sealed record JsonRpcRequest(string Method, IReadOnlyList<JsonNode?> Parameters)
{
    /// <summary>Refuses an empty batch and requests without a method or parameters, before anything is sent (for session implementations).</summary>
    /// <param name="requests">The batch.</param>
    /// <exception cref="ArgumentNullException"><paramref name="requests"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The batch is empty, or a request has no method or no parameters.</exception>
    public static void ThrowIfInvalidBatch(IReadOnlyList<JsonRpcRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0)
        {
            throw new ArgumentException("A batch needs at least one request.", nameof(requests));
        }

        foreach (var request in requests)
        {
            if (request is null || string.IsNullOrEmpty(request.Method) || request.Parameters is null)
            {
                throw new ArgumentException("Every request of a batch needs a method and parameters.", nameof(requests));
            }
        }
    }
}
