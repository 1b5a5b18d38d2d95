using System.Text.Json;

namespace PeerManagement;

/// <summary>An incoming request or notification, handed to an <see cref="IJsonRpcRequestHandler"/>.</summary>
/// <remarks>
/// The library's sessions parse each message into pooled memory: <see cref="Parameters"/> is valid only until the
/// task returned by <see cref="IJsonRpcRequestHandler.HandleAsync"/> completes (across its awaits). Afterwards,
/// reading it throws <see cref="ObjectDisposedException"/>; a handler that keeps parameters beyond the call keeps
/// what it read from them, or a copy made with <see cref="JsonElement.Clone"/>.
/// </remarks>
/// <param name="Method">The method name.</param>
/// <param name="Parameters">The <c>params</c> member (an array, an object, or <see cref="JsonValueKind.Undefined"/> when absent); valid until the handler's task completes.</param>
/// <param name="IsNotification"><see langword="true"/> when the caller expects no answer.</param>
/// <param name="Session">The session the call came in on.</param>
public sealed record JsonRpcCall(string Method, JsonElement Parameters, bool IsNotification, IJsonRpcSession Session);
