using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>
/// A JSON-RPC 2.0 session with one remote party over one stream: requests in both directions, matched by id,
/// and notifications. Disposing it closes the stream and fails every pending request.
/// </summary>
public interface IJsonRpcSession : IAsyncDisposable
{
    /// <summary>The remote party's address, when known.</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>State that request handlers keep per session (e.g. "already announced a peer"); thread-safe.</summary>
    IDictionary<string, object?> Items { get; }

    /// <summary>Completes when the session has closed; faults with the reason when it closed on an error.</summary>
    Task Completion { get; }

    /// <summary>Sends a request with positional parameters and waits for its result.</summary>
    /// <param name="method">The method name.</param>
    /// <param name="parameters">The positional parameters.</param>
    /// <param name="cancellationToken">Releases the caller at once; a late answer is then dropped.</param>
    /// <returns>The <c>result</c> member of the answer.</returns>
    /// <exception cref="JsonRpcException">The remote party answered with an error object.</exception>
    /// <exception cref="TimeoutException">No answer came within the session's request timeout.</exception>
    /// <exception cref="JsonRpcProtocolException">The remote party broke the protocol; the session is closed.</exception>
    /// <exception cref="IOException">The session is closed or the stream failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<JsonElement> InvokeAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken);

    /// <summary>Sends a notification (a request that gets no answer).</summary>
    /// <param name="method">The method name.</param>
    /// <param name="parameters">The positional parameters.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the message is written.</returns>
    /// <exception cref="IOException">The session is closed or the stream failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask NotifyAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken);
}
