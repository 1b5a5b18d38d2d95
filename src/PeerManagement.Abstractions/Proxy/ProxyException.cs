namespace PeerManagement;

/// <summary>A proxy refused or failed a request; <see cref="ReplyCode"/> is the SOCKS reply when there was one.</summary>
public class ProxyException : PeerManagementException
{
    /// <summary>Creates the exception.</summary>
    public ProxyException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public ProxyException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public ProxyException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a SOCKS reply code.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="replyCode">The SOCKS5 reply code (RFC 1928 §6).</param>
    public ProxyException(string? message, int replyCode)
        : base(message)
    {
        ReplyCode = replyCode;
    }

    /// <summary>The SOCKS5 reply code, when the proxy sent one.</summary>
    public int? ReplyCode { get; }
}
