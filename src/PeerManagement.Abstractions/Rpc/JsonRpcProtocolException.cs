namespace PeerManagement;

/// <summary>
/// The remote side broke the wire protocol (a message over the size limit, invalid UTF-8, not JSON, not
/// JSON-RPC 2.0); the session is closed. Counts as a failed try of a peer, not as bad behaviour.
/// </summary>
public class JsonRpcProtocolException : PeerManagementException
{
    /// <summary>Creates the exception.</summary>
    public JsonRpcProtocolException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was wrong.</param>
    public JsonRpcProtocolException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The cause.</param>
    public JsonRpcProtocolException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
