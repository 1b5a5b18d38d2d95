using Microsoft.AspNetCore.Http;

namespace PeerManagement.AspNetCore;

/// <summary>Endpoint results in the envelope of the PeerManagement HTTP API.</summary>
public static class PeerManagementResults
{
    /// <summary>
    /// <c>{"success": true, "response": value}</c> with status 200 (byte arrays are written as base64), using the
    /// host's minimal-API JSON options.
    /// </summary>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <param name="value">The response.</param>
    /// <returns>The result.</returns>
    public static IResult Success<T>(T value) => new SuccessResult<T>(value);

    /// <summary><c>{"success": false, "code": 1, "message": message}</c> with the given status.</summary>
    /// <param name="statusCode">The HTTP status, 400 or above.</param>
    /// <param name="message">What went wrong, shown to the caller.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="statusCode"/> is below 400 or above 599.</exception>
    public static IResult Failure(int statusCode, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        return new FailureResult(statusCode, message);
    }

    private sealed class SuccessResult<T>(T value) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            return Envelope.WriteSuccessAsync(httpContext, value, StatusCodes.Status200OK);
        }
    }

    private sealed class FailureResult(int statusCode, string message) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            return Envelope.WriteFailureAsync(httpContext, statusCode, message);
        }
    }
}
