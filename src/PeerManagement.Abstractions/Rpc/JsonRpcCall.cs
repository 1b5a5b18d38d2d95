using System.Text.Json;

namespace PeerManagement;

/// <summary>An incoming request or notification, handed to an <see cref="IJsonRpcRequestHandler"/>.</summary>
/// <param name="Method">The method name.</param>
/// <param name="Parameters">The <c>params</c> member (an array, an object, or <see cref="JsonValueKind.Undefined"/> when absent).</param>
/// <param name="IsNotification"><see langword="true"/> when the caller expects no answer.</param>
/// <param name="Session">The session the call came in on.</param>
public sealed record JsonRpcCall(string Method, JsonElement Parameters, bool IsNotification, IJsonRpcSession Session);
