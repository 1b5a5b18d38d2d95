using System.Text.Json;

namespace PeerManagement;

/// <summary>
/// A JSON-RPC error object: received from a peer in answer to a request, or thrown by a request handler to
/// answer with that error.
/// </summary>
public class JsonRpcException : PeerManagementException
{
    /// <summary>Creates the exception.</summary>
    public JsonRpcException()
        : this(JsonRpcErrorCodes.InternalError, "JSON-RPC error")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The error message.</param>
    public JsonRpcException(string? message)
        : this(JsonRpcErrorCodes.InternalError, message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The cause.</param>
    public JsonRpcException(string? message, Exception? innerException)
        : base(message, innerException)
    {
        Code = JsonRpcErrorCodes.InternalError;
    }

    /// <summary>Creates the exception for an error object.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="message">The error message.</param>
    /// <param name="data">The error's <c>data</c> member, if any.</param>
    public JsonRpcException(int code, string? message, JsonElement? data = null)
        : base(message)
    {
        Code = code;
        ErrorData = data;
    }

    /// <summary>The error code.</summary>
    public int Code { get; }

    /// <summary>The error's <c>data</c> member, if any.</summary>
    public JsonElement? ErrorData { get; }
}
