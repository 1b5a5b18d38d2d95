using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>
/// A JSON-RPC 2.0 session with one remote party over one stream: requests in both directions, matched by id,
/// and notifications. Disposing it closes the stream and fails every pending request.
/// </summary>
/// <remarks>
/// Only <see cref="RemoteEndPoint"/>, <see cref="Completion"/>, <see cref="InvokeAsync(string, IReadOnlyList{JsonNode?}, CancellationToken)"/>,
/// <see cref="NotifyAsync"/> and disposal must be implemented; the typed call, the batch and the per-session state have
/// default implementations built on them, which the library's own sessions replace with faster ones.
/// </remarks>
public interface IJsonRpcSession : IAsyncDisposable
{
    /// <summary>
    /// The remote party's address, when known. The library's sessions report it in normal form
    /// (<see cref="PeerAddress.Normalize"/>: an IPv4-mapped IPv6 address is the IPv4 address), so handlers need not.
    /// </summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>Completes when the session has closed; faults with the reason when it closed on an error.</summary>
    Task Completion { get; }

    /// <summary>
    /// The session's value of type <typeparamref name="T"/> (e.g. "already announced a peer", a rejection counter),
    /// created with <paramref name="create"/> on first use. Thread-safe: every caller asking for the same type gets
    /// the same instance, and concurrent first uses create it once. The value lives as long as the session.
    /// </summary>
    /// <typeparam name="T">The state's type, which is its key: use a type of your own.</typeparam>
    /// <param name="create">Creates the value; called at most once per session and type, under a lock, so keep it short.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="create"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="create"/> returned <see langword="null"/>.</exception>
    T GetOrAddState<T>(Func<T> create)
        where T : class
        => JsonRpcSessionState.Of(this).GetOrAdd(create);

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

    /// <summary>
    /// Sends a request and turns its result into <typeparamref name="T"/> with <paramref name="parseResult"/>. The
    /// library's sessions run the parser on the answer while it is still in the read buffer, so a large answer (a long
    /// peer list) is read without being copied; the element must therefore not be kept beyond the call. The default
    /// implementation parses the result of <see cref="InvokeAsync(string, IReadOnlyList{JsonNode?}, CancellationToken)"/>.
    /// </summary>
    /// <typeparam name="T">What the result becomes.</typeparam>
    /// <param name="method">The method name.</param>
    /// <param name="parameters">The positional parameters.</param>
    /// <param name="parseResult">Turns the <c>result</c> member into <typeparamref name="T"/>; may run on the session's reader, so keep it short. What it throws is what the returned task throws.</param>
    /// <param name="cancellationToken">Releases the caller at once; a late answer is then dropped.</param>
    /// <returns>The parsed result.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="method"/> is empty.</exception>
    /// <exception cref="JsonRpcException">The remote party answered with an error object.</exception>
    /// <exception cref="TimeoutException">No answer came within the session's request timeout.</exception>
    /// <exception cref="JsonRpcProtocolException">The remote party broke the protocol.</exception>
    /// <exception cref="IOException">The session is closed or the stream failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    async Task<T> InvokeAsync<T>(string method, IReadOnlyList<JsonNode?> parameters, Func<JsonElement, T> parseResult, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return parseResult(await InvokeAsync(method, parameters, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Sends several requests. The library's sessions send them as one batch (a JSON array on one line); the default
    /// implementation sends them as separate requests. Each result arrives on its own task, in the order of
    /// <paramref name="requests"/>, with the errors of <see cref="InvokeAsync(string, IReadOnlyList{JsonNode?}, CancellationToken)"/>.
    /// </summary>
    /// <param name="requests">The requests; at least one.</param>
    /// <param name="cancellationToken">Releases the callers at once; late answers are dropped.</param>
    /// <returns>One task per request.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="requests"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="requests"/> is empty or holds a request without a method.</exception>
    IReadOnlyList<Task<JsonElement>> InvokeBatchAsync(IReadOnlyList<JsonRpcRequest> requests, CancellationToken cancellationToken)
    {
        JsonRpcRequest.ThrowIfInvalidBatch(requests);
        var tasks = new Task<JsonElement>[requests.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = InvokeAsync(requests[i].Method, requests[i].Parameters, cancellationToken);
        }

        return tasks;
    }

    /// <summary>Sends a notification (a request that gets no answer).</summary>
    /// <param name="method">The method name.</param>
    /// <param name="parameters">The positional parameters.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the message is written.</returns>
    /// <exception cref="IOException">The session is closed or the stream failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask NotifyAsync(string method, IReadOnlyList<JsonNode?> parameters, CancellationToken cancellationToken);
}
