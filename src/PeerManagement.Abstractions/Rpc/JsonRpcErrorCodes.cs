namespace PeerManagement;

/// <summary>The JSON-RPC 2.0 error codes the library uses.</summary>
public static class JsonRpcErrorCodes
{
    /// <summary>The message was not valid JSON (or not valid UTF-8).</summary>
    public const int ParseError = -32700;

    /// <summary>The JSON was not a valid request object.</summary>
    public const int InvalidRequest = -32600;

    /// <summary>No handler for the method.</summary>
    public const int MethodNotFound = -32601;

    /// <summary>The parameters were not what the method takes.</summary>
    public const int InvalidParams = -32602;

    /// <summary>The handler failed; details stay on the server.</summary>
    public const int InternalError = -32603;

    /// <summary>The caller is over its rate limit; the error data says when to retry.</summary>
    public const int RateLimited = -32000;
}
