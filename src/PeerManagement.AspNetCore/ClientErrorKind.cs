namespace PeerManagement.AspNetCore;

/// <summary>The kinds of request failure caused by the client, each logged at most once per window.</summary>
internal enum ClientErrorKind
{
    /// <summary>The body is over the server's limit (413).</summary>
    BodyTooLarge,

    /// <summary>The request is malformed: a bad chunk, a body shorter than announced, too slow, ... (400, 408, ...).</summary>
    BadRequest,

    /// <summary>The client went away before the answer.</summary>
    Disconnected,
}
