using System.Runtime.CompilerServices;

namespace PeerManagement;

/// <summary>
/// The typed state request handlers keep per session (see <see cref="IJsonRpcSession.GetOrAddState"/>): one value per
/// type, created once, behind one lock. A session implementation holds one and answers
/// <see cref="IJsonRpcSession.GetOrAddState"/> with <see cref="GetOrAdd"/>; a session that does not gets one attached
/// by the interface's default implementation.
/// </summary>
public sealed class JsonRpcSessionState
{
    // For sessions that do not keep their own: the state lives as long as the session object does.
    private static readonly ConditionalWeakTable<IJsonRpcSession, JsonRpcSessionState> Attached = [];

    private readonly Lock _gate = new();
    private readonly Dictionary<Type, object> _values = [];

    /// <summary>The state attached to <paramref name="session"/>, for sessions that keep none of their own.</summary>
    internal static JsonRpcSessionState Of(IJsonRpcSession session) => Attached.GetValue(session, static _ => new JsonRpcSessionState());

    /// <summary>The value of type <typeparamref name="T"/>, created by <paramref name="create"/> on first use only.</summary>
    /// <typeparam name="T">The state's type: one value per type.</typeparam>
    /// <param name="create">Creates the value on first use (under the store's lock: keep it short).</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="create"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="create"/> returned <see langword="null"/>.</exception>
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
