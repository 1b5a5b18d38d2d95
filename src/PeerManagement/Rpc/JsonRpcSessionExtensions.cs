using System.Text.Json;

namespace PeerManagement;

/// <summary>Batches on any <see cref="IJsonRpcSession"/>.</summary>
public static class JsonRpcSessionExtensions
{
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
