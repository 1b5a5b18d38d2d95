using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement;

/// <summary>Batches on any <see cref="IJsonRpcSession"/>.</summary>
public static class JsonRpcSessionExtensions
{
    /// <summary>
    /// Sends a request and turns its result into <typeparamref name="T"/> with <paramref name="parseResult"/>. On the
    /// library's own sessions the parser runs on the answer while it is still in the read buffer, so a large answer
    /// (a long peer list) is read without being copied; the element must therefore not be kept beyond the call.
    /// </summary>
    /// <typeparam name="T">What the result becomes.</typeparam>
    /// <param name="session">The session.</param>
    /// <param name="method">The method name.</param>
    /// <param name="parameters">The positional parameters.</param>
    /// <param name="parseResult">Turns the <c>result</c> member into <typeparamref name="T"/>; runs on the session's reader, so keep it short. What it throws is what the returned task throws.</param>
    /// <param name="cancellationToken">Releases the caller at once; a late answer is then dropped.</param>
    /// <returns>The parsed result.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="method"/> is empty.</exception>
    /// <exception cref="JsonRpcException">The remote party answered with an error object.</exception>
    /// <exception cref="TimeoutException">No answer came within the session's request timeout.</exception>
    /// <exception cref="JsonRpcProtocolException">The remote party broke the protocol.</exception>
    /// <exception cref="IOException">The session is closed or the stream failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<T> InvokeAsync<T>(this IJsonRpcSession session, string method, IReadOnlyList<JsonNode?> parameters, Func<JsonElement, T> parseResult, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(parseResult);
        if (session is JsonRpcSession ours)
        {
            return await ours.InvokeAsync(method, parameters, parseResult, cancellationToken).ConfigureAwait(false);
        }

        return parseResult(await session.InvokeAsync(method, parameters, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Sends several requests; the library's own sessions send them as one batch (a JSON array on one line),
    /// other sessions as separate requests. Each result arrives on its own task, in the order of
    /// <paramref name="requests"/>, with the errors of <see cref="IJsonRpcSession.InvokeAsync"/>.
    /// </summary>
    /// <param name="session">The session.</param>
    /// <param name="requests">The requests; at least one.</param>
    /// <param name="cancellationToken">Releases the callers at once; late answers are dropped.</param>
    /// <returns>One task per request.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="requests"/> is empty or holds a request without a method.</exception>
    public static IReadOnlyList<Task<JsonElement>> InvokeBatchAsync(this IJsonRpcSession session, IReadOnlyList<JsonRpcRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
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

        if (session is JsonRpcSession ours)
        {
            return ours.InvokeBatch(requests, cancellationToken);
        }

        var tasks = new Task<JsonElement>[requests.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = session.InvokeAsync(requests[i].Method, requests[i].Parameters, cancellationToken);
        }

        return tasks;
    }
}
