namespace PeerManagement;

/// <summary>A peer could not be reached; the inner exception says why (refused, timed out, TLS failed, proxy failed).</summary>
public class PeerConnectionException : PeerManagementException
{
    /// <summary>Creates the exception.</summary>
    public PeerConnectionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public PeerConnectionException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public PeerConnectionException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
