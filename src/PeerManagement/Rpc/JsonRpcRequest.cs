using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>One request of a batch sent with <see cref="JsonRpcSessionExtensions.InvokeBatchAsync"/>.</summary>
/// <param name="Method">The method name.</param>
/// <param name="Parameters">The positional parameters.</param>
public sealed record JsonRpcRequest(string Method, IReadOnlyList<JsonNode?> Parameters);
