namespace PeerManagement;

/// <summary>
/// The base of the library's own exceptions. Their messages are written for operators and may be shown to
/// remote callers; they never carry secrets.
/// </summary>
public class PeerManagementException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PeerManagementException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public PeerManagementException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public PeerManagementException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
