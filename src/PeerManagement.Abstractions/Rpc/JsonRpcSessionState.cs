using System.Runtime.CompilerServices;

namespace PeerManagement;

/// <summary>
/// The typed state request handlers keep per session (see <see cref="IJsonRpcSession.GetOrAddState"/>): one value per
/// type, created once, behind one lock.
/// </summary>
internal sealed class JsonRpcSessionState
{
    // For sessions that do not keep their own: the state lives as long as the session object does.
    private static readonly ConditionalWeakTable<IJsonRpcSession, JsonRpcSessionState> Attached = [];

    private readonly Lock _gate = new();
    private readonly Dictionary<Type, object> _values = [];

    /// <summary>The state attached to <paramref name="session"/>, for sessions that keep none of their own.</summary>
    public static JsonRpcSessionState Of(IJsonRpcSession session) => Attached.GetValue(session, static _ => new JsonRpcSessionState());

    /// <summary>The value of type <typeparamref name="T"/>, created by <paramref name="create"/> on first use only.</summary>
    public T GetOrAdd<T>(Func<T> create)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(create);
        lock (_gate)
        {
            if (_values.TryGetValue(typeof(T), out var found))
            {
                return (T)found;
            }

            // Created under the lock, so that concurrent first uses share one value; handlers' factories are tiny.
            var created = create() ?? throw new InvalidOperationException($"The factory of the session state {typeof(T).Name} returned null.");
            _values.Add(typeof(T), created);
            return created;
        }
    }
}
