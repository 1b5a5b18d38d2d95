namespace PeerManagement;

/// <summary>Runs JSON-RPC sessions over streams.</summary>
public interface IJsonRpcSessionFactory
{
    /// <summary>Starts a session over a stream; the session owns the stream from then on.</summary>
    /// <param name="stream">A readable and writable stream.</param>
    /// <param name="settings">The session's settings.</param>
    /// <returns>The running session.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The stream cannot both read and write.</exception>
    IJsonRpcSession Create(Stream stream, JsonRpcSessionSettings settings);
}
